using System;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace NativeRnn.Serialization;

/// <summary>
/// What a checkpoint records of the architecture it was written for, derived from the model's
/// <see cref="ModelDescription"/> and <see cref="ModelLayout"/>: a sentence in words
/// (<see cref="Description"/>), and a canonical text of every layer and every tensor — name, shape,
/// role, packed storage and offset — with the element type (<see cref="Layout"/>). Two models with
/// different tensors, or with tensors packed differently, never have the same signature, so an optimizer
/// state in packed order is never restored into a block that orders it otherwise.
/// </summary>
public sealed class ArchitectureSignature : IEquatable<ArchitectureSignature>
{
    private const string Version = "nativernn-architecture 1";

    private ArchitectureSignature(string description, string layout)
    {
        Description = description;
        Layout = layout;
    }

    /// <summary>The architecture in words, e.g. <c>float32: input 3 → LSTM(9) → Dense(2)</c>.</summary>
    public string Description { get; }

    /// <summary>The canonical text compared: the element type, each layer as declared, each tensor as laid out.</summary>
    public string Layout { get; }

    /// <summary>The signature of a model.</summary>
    /// <param name="model">The model.</param>
    /// <typeparam name="T">The element type.</typeparam>
    /// <returns>The signature.</returns>
    public static ArchitectureSignature Of<T>(IRecurrentModel<T> model)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        return Of(model.Description, model.Layout);
    }

    /// <summary>The signature of an architecture.</summary>
    /// <param name="description">The declared architecture.</param>
    /// <param name="layout">Its parameter layout.</param>
    /// <returns>The signature.</returns>
    public static ArchitectureSignature Of(ModelDescription description, ModelLayout layout)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(layout);
        string words = Words(description, layout);
        var text = new StringBuilder();
        CultureInfo invariant = CultureInfo.InvariantCulture;
        text.Append(Version).Append('\n');
        text.Append("element ").Append(SafeTensorTypes.Words(description.ElementType)).Append('\n');
        text.Append(invariant, $"input {description.InputSize} vocabulary {description.Vocabulary} embedding {description.EmbeddingDimension} output {description.OutputSize} head {description.HeadOutputs}\n");
        for (int k = 0; k < description.Layers.Count; k++)
        {
            LayerDescription layer = description.Layers[k];
            text.Append(invariant, $"layer {k} {layer.Kind} input {layer.InputWidth} hidden {layer.Hidden} activation {layer.Activation} bidirectional {layer.Bidirectional} reset-after {layer.ResetAfter}\n");
        }

        foreach (TensorInfo tensor in layout)
        {
            text.Append(invariant, $"tensor {tensor.Name} {FileText.Shape(tensor.Shape)} {tensor.Role} {tensor.Storage} panel {tensor.PanelWidth} gates {tensor.Gates} offset {tensor.Offset}\n");
        }

        text.Append(invariant, $"parameters {layout.ParameterCount}");
        return new ArchitectureSignature(words, text.ToString());
    }

    internal static ArchitectureSignature FromText(string description, string layout) => new(description, layout);

    /// <summary>Whether the layouts are the same (the descriptions follow from them).</summary>
    /// <param name="other">The other signature.</param>
    /// <returns>True when equal.</returns>
    public bool Equals(ArchitectureSignature? other) => other is not null && string.Equals(Layout, other.Layout, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as ArchitectureSignature);

    /// <inheritdoc/>
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Layout);

    /// <inheritdoc/>
    public override string ToString() => Description;

    /// <summary>The first line where two signatures differ, for messages.</summary>
    internal string FirstDifference(ArchitectureSignature other)
    {
        string[] mine = Layout.Split('\n');
        string[] theirs = other.Layout.Split('\n');
        for (int i = 0; i < Math.Max(mine.Length, theirs.Length); i++)
        {
            string a = i < mine.Length ? mine[i] : "(nothing)";
            string b = i < theirs.Length ? theirs[i] : "(nothing)";
            if (a != b)
            {
                return $"'{FileText.Sanitize(a, 120)}' where the model has '{FileText.Sanitize(b, 120)}'";
            }
        }

        return "nothing";
    }

    private static string Words(ModelDescription description, ModelLayout layout)
    {
        var words = new StringBuilder();
        CultureInfo invariant = CultureInfo.InvariantCulture;
        words.Append(SafeTensorTypes.Words(description.ElementType)).Append(": ");
        words.Append(description.HasEmbedding ? string.Create(invariant, $"Embedding({description.Vocabulary}, {description.EmbeddingDimension})") : string.Create(invariant, $"input {description.InputSize}"));
        for (int k = 0; k < description.Layers.Count; k++)
        {
            LayerDescription layer = description.Layers[k];
            words.Append(" → ").Append(layer.Bidirectional ? "bidirectional " : string.Empty);
            words.Append(layer.Kind switch { LayerKind.Lstm => "LSTM", LayerKind.Gru => "GRU", _ => "RNN" });
            words.Append('(').Append(layer.Hidden.ToString(invariant));
            if (layer.Kind == LayerKind.SimpleRnn)
            {
                words.Append(", ").Append(layer.Activation.ToString().ToLowerInvariant());
            }

            if (layer.Kind == LayerKind.Gru && !layer.ResetAfter)
            {
                words.Append(", reset before");
            }

            if (!layout.TryGetTensor(string.Create(invariant, $"bias_ih_l{k}"), out _))
            {
                words.Append(", no bias");
            }

            words.Append(')');
        }

        if (description.HasHead)
        {
            words.Append(invariant, $" → Dense({description.HeadOutputs})");
        }

        return words.ToString();
    }
}
