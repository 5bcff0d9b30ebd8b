using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

/// <summary>One tensor of the parameter block, as the emitter lays it out.</summary>
internal sealed class TensorPlan
{
    public TensorPlan(string name, string role, int offset, int rows, int columns, bool transposed, int gates = 1, int onesBlock = -1, InitializerKind initializer = InitializerKind.Default, double onesValue = 1.0)
    {
        Initializer = initializer;
        OnesValue = onesValue;
        Name = name;
        Role = role;
        Offset = offset;
        Rows = rows;
        Columns = columns;
        Transposed = transposed;
        Gates = gates;
        OnesBlock = onesBlock;
    }

    /// <summary>PyTorch name, e.g. <c>weight_ih_l0_reverse</c>.</summary>
    public string Name { get; }

    /// <summary>Member name of <c>NativeRnn.TensorRole</c>.</summary>
    public string Role { get; }

    public int Offset { get; }

    public int Rows { get; }

    /// <summary>Columns, or 0 for a vector.</summary>
    public int Columns { get; }

    public bool Transposed { get; }

    public int Gates { get; }

    public int OnesBlock { get; }

    /// <summary>The declared initialiser (Default: the role's standard).</summary>
    public InitializerKind Initializer { get; }

    /// <summary>The start of the <see cref="OnesBlock"/> gate block.</summary>
    public double OnesValue { get; }

    public int Length => Columns == 0 ? Rows : Rows * Columns;

    /// <summary>C# identifier of the offset constant: <c>weight_ih_l0_reverse</c> → <c>WeightIhL0ReverseOffset</c>.</summary>
    public string OffsetName => Pascal(Name) + "Offset";

    /// <summary>The slice of a block named <paramref name="block"/>: <c>p.Slice(WeightIhL0Offset, 24)</c>.</summary>
    public string In(string block) => $"{block}.Slice({OffsetName}, {Length})";

    public string ShapeText => Columns == 0 ? $"[{Rows}]" : $"[{Rows}, {Columns}]";

    public string StorageText => Transposed ? $"packed as [{Columns}, {Rows}] in panels" : "stored as is";

    private static string Pascal(string name)
    {
        var builder = new System.Text.StringBuilder();
        foreach (string part in name.Split('_', '.'))
        {
            if (part.Length > 0)
            {
                builder.Append(char.ToUpperInvariant(part[0])).Append(part, 1, part.Length - 1);
            }
        }

        return builder.ToString();
    }
}

/// <summary>One direction of one recurrent layer: the unit that has its own weights and time loop.</summary>
internal sealed class UnitPlan
{
    public UnitPlan(LayerPlan layer, int direction, TensorPlan inputWeight, TensorPlan recurrentWeight, TensorPlan? inputBias, TensorPlan? recurrentBias)
    {
        Layer = layer;
        Direction = direction;
        InputWeight = inputWeight;
        RecurrentWeight = recurrentWeight;
        InputBias = inputBias;
        RecurrentBias = recurrentBias;
    }

    public LayerPlan Layer { get; }

    /// <summary>0 forward in time, 1 reverse.</summary>
    public int Direction { get; }

    public bool Reverse => Direction == 1;

    /// <summary>Prefix of the unit's methods: <c>Layer0</c> or <c>Layer0Reverse</c>.</summary>
    public string Name => Reverse ? $"Layer{Layer.Index}Reverse" : $"Layer{Layer.Index}";

    public TensorPlan InputWeight { get; }

    public TensorPlan RecurrentWeight { get; }

    /// <summary><c>bias_ih</c>, or null for a layer declared with <c>Bias = false</c>.</summary>
    public TensorPlan? InputBias { get; }

    /// <summary><c>bias_hh</c>, or null for a layer declared with <c>Bias = false</c>.</summary>
    public TensorPlan? RecurrentBias { get; }

    public bool HasBias => InputBias is not null;

    /// <summary>First column of this direction's output inside the layer's <c>[rows, D·H]</c> output.</summary>
    public int OutputColumn => Direction * Layer.Hidden;
}

/// <summary>One recurrent layer, with its sizes.</summary>
internal sealed class LayerPlan
{
    public LayerPlan(int index, LayerInfo info, int inputWidth)
    {
        Index = index;
        Info = info;
        InputWidth = inputWidth;
    }

    public int Index { get; }

    public LayerInfo Info { get; }

    public LayerKind Kind => Info.Kind;

    public int Hidden => Info.Hidden;

    public bool HasBias => Info.Bias;

    /// <summary>Dropout rate on the layer's input, 0 for none.</summary>
    public double InputDropout => Info.InputDropout;

    public int Directions => Info.Bidirectional ? 2 : 1;

    public int Gates => Kind switch
    {
        LayerKind.Lstm => 4,
        LayerKind.Gru => 3,
        _ => 1,
    };

    /// <summary>Width of the layer's input rows.</summary>
    public int InputWidth { get; }

    /// <summary>Width of the layer's output rows: <c>D·H</c>.</summary>
    public int OutputWidth => Directions * Hidden;

    public List<UnitPlan> Units { get; } = new();

    /// <summary>Offset of this layer's h in the streaming state (c follows for an LSTM).</summary>
    public int StateOffset { get; set; }

    /// <summary>Elements of this layer in the streaming state: h, and c for an LSTM.</summary>
    public int StateWidth => Kind == LayerKind.Lstm ? 2 * Hidden : Hidden;

    /// <summary>Per row (step and sequence), what the forward pass keeps for the backward pass besides h_t.</summary>
    public int CacheWidth => Kind switch
    {
        LayerKind.Lstm => 6 * Hidden,   // [i f g o | c | tanh c]
        LayerKind.Gru => 4 * Hidden,    // [r z n | W_hn h + b_hn] or [r z n | r ⊙ h]
        _ => 0,
    };

    /// <summary>Per sequence, the scratch one step needs (a GRU's recurrent pre-activations).</summary>
    public int WorkWidth => Kind == LayerKind.Gru ? 3 * Hidden : 0;

    /// <summary>Per row, ∂L/∂(gate pre-activations) in the backward pass (a simple RNN reuses its output gradient).</summary>
    public int DzWidth => Kind == LayerKind.SimpleRnn ? 0 : Gates * Hidden;

    /// <summary>Per row, a GRU's second gradient: ∂L/∂(W_hh h + b_hh), which differs from the input one in the n block.</summary>
    public int Dz2Width => Kind == LayerKind.Gru ? 3 * Hidden : 0;

    /// <summary>Parts of the per-sequence state regions of the tape: h0, hN, ∂h0, ∂hN (and the same for c).</summary>
    public int StateParts => Kind == LayerKind.Lstm ? 8 : 4;

    public string Describe()
    {
        string kind = Kind switch
        {
            LayerKind.Lstm => "LSTM",
            LayerKind.Gru => Info.ResetAfter ? "GRU (reset after)" : "GRU (reset before)",
            _ => "simple RNN, " + Info.Activation.ToString().ToLowerInvariant(),
        };
        return $"{(Info.Bidirectional ? "bidirectional " : string.Empty)}{kind}, {InputWidth} → {Hidden}";
    }
}

/// <summary>Dropout on the input of layer <paramref name="Index"/> (the head when it equals the layer count), <paramref name="Width"/> wide.</summary>
internal sealed record DropoutSite(int Index, int Width, double Rate)
{
    /// <summary>Name stem of the site's tape regions and comments: <c>Drop1</c>, or <c>DropHead</c>.</summary>
    public string Name(ModelPlan plan) => Index == plan.Layers.Count ? "DropHead" : $"Drop{Index}";

    public string RateText => Rate.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>Everything the writers need about a model: sizes, tensor offsets, buffer sizes.</summary>
internal sealed class ModelPlan
{
    public ModelPlan(ModelInfo model)
    {
        Model = model;
        T = model.Element == ElementKind.Double ? "double" : "float";
        InputSize = model.InputSize;

        int offset = 0;
        TensorPlan Add(TensorPlan tensor)
        {
            Tensors.Add(tensor);
            offset += tensor.Length;
            return tensor;
        }

        if (model.HasEmbedding)
        {
            Embedding = Add(new TensorPlan("embedding.weight", "EmbeddingWeight", offset, model.Vocabulary, model.EmbeddingDimension, transposed: false));
        }

        int width = InputSize;
        for (int k = 0; k < model.Layers.Count; k++)
        {
            var layer = new LayerPlan(k, model.Layers[k], width);
            int gh = layer.Gates * layer.Hidden;
            for (int d = 0; d < layer.Directions; d++)
            {
                string suffix = d == 1 ? "_reverse" : string.Empty;
                LayerInfo info = layer.Info;
                int onesBlock = layer.Kind == LayerKind.Lstm && info.ForgetGateBias != 0 ? 1 : -1;
                TensorPlan wih = Add(new TensorPlan($"weight_ih_l{k}{suffix}", "InputWeight", offset, gh, layer.InputWidth, transposed: true, layer.Gates, initializer: info.InputWeights));
                TensorPlan whh = Add(new TensorPlan($"weight_hh_l{k}{suffix}", "RecurrentWeight", offset, gh, layer.Hidden, transposed: true, layer.Gates, initializer: info.RecurrentWeights));
                TensorPlan? bih = info.Bias ? Add(new TensorPlan($"bias_ih_l{k}{suffix}", "InputBias", offset, gh, 0, transposed: false, layer.Gates, onesBlock, onesValue: info.ForgetGateBias)) : null;
                TensorPlan? bhh = info.Bias ? Add(new TensorPlan($"bias_hh_l{k}{suffix}", "RecurrentBias", offset, gh, 0, transposed: false, layer.Gates)) : null;
                layer.Units.Add(new UnitPlan(layer, d, wih, whh, bih, bhh));
            }

            Layers.Add(layer);
            width = layer.OutputWidth;
        }

        TopWidth = width;
        if (model.HeadOutputs > 0)
        {
            HeadWeight = Add(new TensorPlan("head.weight", "HeadWeight", offset, model.HeadOutputs, TopWidth, transposed: true, initializer: model.HeadWeights));
            HeadBias = Add(new TensorPlan("head.bias", "HeadBias", offset, model.HeadOutputs, 0, transposed: false));
        }

        ParameterCount = offset;
        OutputSize = model.HeadOutputs > 0 ? model.HeadOutputs : TopWidth;

        int state = 0;
        foreach (LayerPlan layer in Layers)
        {
            layer.StateOffset = state;
            state += layer.StateWidth;
        }

        StateSize = state;

        // Backward keeps weights in PyTorch (untransposed) layout here while it multiplies by them.
        int scratch = 0;
        foreach (TensorPlan tensor in Tensors)
        {
            if (tensor.Transposed)
            {
                scratch = Math.Max(scratch, tensor.Length);
            }
        }

        ScratchSize = scratch;
    }

    public ModelInfo Model { get; }

    /// <summary>
    /// The places where dropout applies, in order: the input of each layer declared after a <c>[Dropout]</c>,
    /// then the head's input. Index = the layer's index, or <see cref="Layers"/>.Count for the head.
    /// </summary>
    public IEnumerable<DropoutSite> DropoutSites
    {
        get
        {
            int width = InputSize;
            foreach (LayerPlan layer in Layers)
            {
                if (layer.InputDropout > 0)
                {
                    yield return new DropoutSite(layer.Index, width, layer.InputDropout);
                }

                width = layer.OutputWidth;
            }

            if (HasHead && Model.HeadDropout > 0)
            {
                yield return new DropoutSite(Layers.Count, TopWidth, Model.HeadDropout);
            }
        }
    }

    public bool HasDropout => DropoutSites.Any();

    /// <summary>The dropout on the input of layer <paramref name="index"/> (or the head, at <c>Layers.Count</c>), or null.</summary>
    public DropoutSite? DropoutAt(int index) => DropoutSites.FirstOrDefault(site => site.Index == index);

    /// <summary>The C# element type keyword.</summary>
    public string T { get; }

    public int InputSize { get; }

    public List<TensorPlan> Tensors { get; } = new();

    public List<LayerPlan> Layers { get; } = new();

    public IEnumerable<UnitPlan> Units => Layers.SelectMany(l => l.Units);

    public TensorPlan? Embedding { get; }

    public bool HasEmbedding => Embedding is not null;

    /// <summary>The C# name of the width of <c>x_t</c>: <c>InputSize</c>, or <c>EmbeddingSize</c> for a token model.</summary>
    public string InputWidthName => HasEmbedding ? "EmbeddingSize" : "InputSize";

    /// <summary>The element type of the inputs: T, or int token ids.</summary>
    public string InputSpan => HasEmbedding ? "global::System.ReadOnlySpan<int>" : ReadOnlySpan;

    public int MaxCacheWidth => Layers.Max(l => l.CacheWidth);

    public int MaxWorkWidth => Layers.Max(l => l.WorkWidth);

    public int MaxDzWidth => Layers.Max(l => l.DzWidth);

    public int MaxDz2Width => Layers.Max(l => l.Dz2Width);

    public TensorPlan? HeadWeight { get; }

    public TensorPlan? HeadBias { get; }

    public bool HasHead => HeadWeight is not null;

    public int TopWidth { get; }

    public int OutputSize { get; }

    public int ParameterCount { get; }

    public int StateSize { get; }

    public int ScratchSize { get; }

    /// <summary>True when every layer runs forward in time only, so a streaming <c>Step</c> exists.</summary>
    public bool Streaming => Layers.All(l => l.Directions == 1);

    /// <summary>Widest layer output, for the streaming buffers.</summary>
    public int MaxLayerWidth => Layers.Max(l => l.OutputWidth);

    /// <summary>
    /// Steps per chunk in the streaming <c>Forward</c>: enough to amortise streaming <c>W_ih</c> over several
    /// steps, while the chunk buffers (two layer outputs, a cache, the embedded inputs) stay within 128 KiB of stack.
    /// </summary>
    /// <remarks>
    /// Measured on LSTM (256, 256): 16-step chunks beat 8 (the input weights evict fewer recurrent ones
    /// from L2) and also beat 21, whose larger buffer does the evicting itself.
    /// </remarks>
    public int ChunkSteps => Math.Max(1, Math.Min(64, 131072 / (((2 * MaxLayerWidth) + Math.Max(MaxCacheWidth, Layers.Max(l => l.Gates * l.Hidden)) + (HasEmbedding ? InputSize : 0)) * ElementSize)));

    public int ElementSize => Model.Element == ElementKind.Double ? 8 : 4;

    /// <summary>Width in elements of the column panels of packed weights (256 bytes; see <c>NativeRnn.Kernels.Panels</c>).</summary>
    public int PanelWidth => 256 / ElementSize;

    public string Span => $"global::System.Span<{T}>";

    public string ReadOnlySpan => $"global::System.ReadOnlySpan<{T}>";

    public static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
}
