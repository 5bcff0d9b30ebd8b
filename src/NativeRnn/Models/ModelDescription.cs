using System;
using System.Collections.Generic;

namespace NativeRnn;

/// <summary>The kind of a recurrent layer.</summary>
public enum LayerKind
{
    /// <summary>Simple (Elman) RNN: <c>h_t = g(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)</c>.</summary>
    SimpleRnn = 0,

    /// <summary>Long short-term memory, PyTorch gate order i, f, g, o.</summary>
    Lstm = 1,

    /// <summary>Gated recurrent unit, PyTorch gate order r, z, n.</summary>
    Gru = 2,
}

/// <summary>One recurrent layer as declared.</summary>
/// <param name="Kind">The cell.</param>
/// <param name="InputWidth">Width of the layer's input rows.</param>
/// <param name="Hidden">Size of the hidden state.</param>
/// <param name="Activation">Nonlinearity of a simple RNN layer (tanh for the gated kinds, where it does not apply).</param>
/// <param name="Bidirectional">Whether a reverse-direction copy runs too, its output concatenated after the forward one.</param>
/// <param name="ResetAfter">For a GRU: whether the reset gate multiplies <c>W_hn h + b_hn</c> (PyTorch) rather than <c>h</c> (Cho 2014).</param>
public readonly record struct LayerDescription(LayerKind Kind, int InputWidth, int Hidden, Activation Activation, bool Bidirectional, bool ResetAfter)
{
    /// <summary>Whether the layer has the biases <c>bias_ih</c> and <c>bias_hh</c> (PyTorch's <c>bias</c>).</summary>
    public bool Bias { get; init; } = true;

    /// <summary>The dropout rate on the layer's input in training passes (0: none).</summary>
    public double InputDropout { get; init; }

    /// <summary>Width of the layer's output rows: the hidden size, twice for a bidirectional layer.</summary>
    public int OutputWidth => Bidirectional ? 2 * Hidden : Hidden;
}

/// <summary>The architecture of a generated model, as declared by its attributes.</summary>
public sealed class ModelDescription
{
    private readonly LayerDescription[] _layers;

    /// <summary>Describes a model.</summary>
    /// <param name="elementType"><c>typeof(float)</c> or <c>typeof(double)</c>.</param>
    /// <param name="inputSize">Features per time step.</param>
    /// <param name="outputSize">Outputs per time step.</param>
    /// <param name="layers">The recurrent layers, bottom to top.</param>
    /// <param name="headOutputs">Outputs of the dense head, or 0 when there is none.</param>
    /// <param name="vocabulary">Tokens of the embedding, or 0 when the inputs are real-valued.</param>
    /// <param name="embeddingDimension">Width of the embedding vectors, or 0.</param>
    /// <param name="headDropout">The dropout rate on the head's input in training passes, or 0.</param>
    public ModelDescription(Type elementType, int inputSize, int outputSize, LayerDescription[] layers, int headOutputs, int vocabulary = 0, int embeddingDimension = 0, double headDropout = 0)
    {
        HeadDropout = headDropout;
        Vocabulary = vocabulary;
        EmbeddingDimension = embeddingDimension;
        ArgumentNullException.ThrowIfNull(elementType);
        ArgumentNullException.ThrowIfNull(layers);
        ElementType = elementType;
        InputSize = inputSize;
        OutputSize = outputSize;
        _layers = (LayerDescription[])layers.Clone();
        HeadOutputs = headOutputs;
    }

    /// <summary><c>typeof(float)</c> or <c>typeof(double)</c>.</summary>
    public Type ElementType { get; }

    /// <summary>Features per time step (for a token model: the embedding's width).</summary>
    public int InputSize { get; }

    /// <summary>Tokens of the embedding, or 0 when the inputs are real-valued.</summary>
    public int Vocabulary { get; }

    /// <summary>Width of the embedding vectors, or 0 when there is no embedding.</summary>
    public int EmbeddingDimension { get; }

    /// <summary>Whether the inputs are token ids.</summary>
    public bool HasEmbedding => Vocabulary > 0;

    /// <summary>Outputs per time step.</summary>
    public int OutputSize { get; }

    /// <summary>The recurrent layers, bottom to top.</summary>
    public IReadOnlyList<LayerDescription> Layers => _layers;

    /// <summary>Outputs of the dense head, or 0 when there is none.</summary>
    public int HeadOutputs { get; }

    /// <summary>The dropout rate on the head's input in training passes (0: none).</summary>
    public double HeadDropout { get; }

    /// <summary>Whether the model has a dense head.</summary>
    public bool HasHead => HeadOutputs > 0;

    /// <inheritdoc/>
    public override string ToString()
        => $"{ElementType.Name}: {(HasEmbedding ? $"Embedding({Vocabulary}, {EmbeddingDimension})" : InputSize.ToString(System.Globalization.CultureInfo.InvariantCulture))} → "
         + string.Join(" → ", Array.ConvertAll(_layers, l => $"{Dropout(l.InputDropout)}{(l.Bidirectional ? "Bi" : string.Empty)}{l.Kind}({l.Hidden}{(l.Bias ? string.Empty : ", no bias")})"))
         + (HasHead ? $" → {Dropout(HeadDropout)}Dense({HeadOutputs})" : string.Empty);

    private static string Dropout(double rate)
        => rate > 0 ? $"Dropout({rate.ToString(System.Globalization.CultureInfo.InvariantCulture)}) → " : string.Empty;
}
