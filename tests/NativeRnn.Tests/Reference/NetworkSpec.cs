using System.Linq;

namespace NativeRnn.Tests.Reference;

/// <summary>A recurrent layer as the tests understand it, written independently of the generator.</summary>
public sealed record LayerSpec(LayerKind Kind, int Hidden, Activation Activation = Activation.Tanh, bool Bidirectional = false, bool ResetAfter = true, bool Bias = true)
{
    public int Directions => Bidirectional ? 2 : 1;

    public int Gates => Kind switch
    {
        LayerKind.Lstm => 4,
        LayerKind.Gru => 3,
        _ => 1,
    };
}

/// <summary>A whole network as the tests understand it. With a vocabulary, InputSize is the embedding's width.</summary>
public sealed record NetworkSpec(int InputSize, LayerSpec[] Layers, int HeadOutputs, int Vocabulary = 0)
{
    public bool HasEmbedding => Vocabulary > 0;

    public int TopWidth => Layers[^1].Directions * Layers[^1].Hidden;

    public int OutputSize => HeadOutputs > 0 ? HeadOutputs : TopWidth;

    public int InputWidth(int layer) => layer == 0 ? InputSize : Layers[layer - 1].Directions * Layers[layer - 1].Hidden;

    public override string ToString()
        => (HasEmbedding ? $"Embedding({Vocabulary}, {InputSize}) → " : $"{InputSize} → ") + string.Join(" → ", Layers.Select(l => $"{(l.Bidirectional ? "Bi" : string.Empty)}{l.Kind}({l.Hidden}{(l.Kind == LayerKind.SimpleRnn ? "," + l.Activation : l.Kind == LayerKind.Gru && !l.ResetAfter ? ",reset before" : string.Empty)}{(l.Bias ? string.Empty : ",no bias")})"))
         + (HeadOutputs > 0 ? $" → Dense({HeadOutputs})" : string.Empty);
}
