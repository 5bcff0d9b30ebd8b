using System;
using System.Collections.Generic;

namespace NativeRnn.Serialization;

/// <summary>How a tensor of a file relates to the model's tensors.</summary>
internal enum FileTensorForm
{
    /// <summary>One model tensor, in PyTorch's row-major layout and shape.</summary>
    Direct,

    /// <summary>One model tensor's transpose <c>[columns, rows]</c>, its gate blocks (along the rows) in the order <see cref="FileTensor.GateOrder"/>.</summary>
    TransposedGates,

    /// <summary><c>bias_ih + bias_hh</c> in one vector, gate blocks reordered; loads as <c>bias_ih</c> with <c>bias_hh</c> zero.</summary>
    SummedBias,

    /// <summary><c>[2, G·H]</c>: row 0 <c>bias_ih</c>, row 1 <c>bias_hh</c>, gate blocks reordered.</summary>
    StackedBiases,
}

/// <summary>One tensor of a weight file, as a convention defines it from the model's layout.</summary>
internal sealed class FileTensor
{
    private readonly int[] _shape;

    public FileTensor(string canonicalName, int[] shape, FileTensorForm form, TensorInfo primary, TensorInfo? secondary = null, int[]? gateOrder = null)
    {
        CanonicalName = canonicalName;
        FileName = canonicalName;
        _shape = shape;
        Form = form;
        Primary = primary;
        Secondary = secondary;
        GateOrder = gateOrder;
    }

    /// <summary>The convention's name, before <see cref="SafeTensorsOptions.Prefix"/> and <see cref="SafeTensorsOptions.NameMap"/>.</summary>
    public string CanonicalName { get; }

    /// <summary>The name in the file.</summary>
    public string FileName { get; set; }

    /// <summary>The shape in the file.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (int d in _shape)
            {
                count *= d;
            }

            return count;
        }
    }

    public string ShapeText => FileText.Shape(_shape);

    public FileTensorForm Form { get; }

    /// <summary>The model tensor this one fills (for biases: <c>bias_ih</c>).</summary>
    public TensorInfo Primary { get; }

    /// <summary>For bias forms: <c>bias_hh</c>.</summary>
    public TensorInfo? Secondary { get; }

    /// <summary>For reordered forms: the model's gate block held by each of the file's gate blocks; null keeps the order.</summary>
    public int[]? GateOrder { get; }

    /// <summary>"'rnn.weight_ih_l0'", with the model's name when it differs.</summary>
    public string Describe() => FileName == Primary.Name ? FileText.Quote(FileName) : $"{FileText.Quote(FileName)} (the model's {Primary.Name})";
}

/// <summary>The file tensors of a model under a convention, with their file names resolved from the options.</summary>
internal static class WeightPlan
{
    /// <exception cref="ArgumentException">The options name tensors the model does not have, or map two tensors to one name.</exception>
    public static FileTensor[] Create(ModelDescription description, ModelLayout layout, SafeTensorsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        FileTensor[] plan = options.Convention switch
        {
            WeightConvention.PyTorch => PyTorch(layout),
            WeightConvention.Keras => KerasConvention.Plan(description, layout),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Convention, "Unknown weight convention."),
        };

        // Every tensor of the model is filled by exactly one file tensor, or a load would leave it unset.
        var covered = new Dictionary<TensorInfo, int>(ReferenceEqualityComparer.Instance);
        foreach (FileTensor tensor in plan)
        {
            covered[tensor.Primary] = covered.GetValueOrDefault(tensor.Primary) + 1;
            if (tensor.Secondary is not null)
            {
                covered[tensor.Secondary] = covered.GetValueOrDefault(tensor.Secondary) + 1;
            }
        }

        foreach (TensorInfo tensor in layout)
        {
            if (covered.GetValueOrDefault(tensor) != 1)
            {
                throw new NotSupportedException($"The {options.Convention} convention does not map tensor '{tensor.Name}' of this model.");
            }
        }

        var canonical = new HashSet<string>(StringComparer.Ordinal);
        foreach (FileTensor tensor in plan)
        {
            canonical.Add(tensor.CanonicalName);
        }

        foreach (string key in options.NameMap.Keys)
        {
            if (!canonical.Contains(key))
            {
                throw new ArgumentException(
                    $"NameMap maps {FileText.Quote(key)}, which is not a tensor of this model under the {options.Convention} convention; its tensors are {FileText.List(Array.ConvertAll(plan, t => FileText.Quote(t.CanonicalName)))}.",
                    nameof(options));
            }
        }

        var names = new Dictionary<string, FileTensor>(StringComparer.Ordinal);
        foreach (FileTensor tensor in plan)
        {
            tensor.FileName = options.NameMap.TryGetValue(tensor.CanonicalName, out string? mapped) ? mapped : options.Prefix + tensor.CanonicalName;
            if (!FileText.IsValidName(tensor.FileName))
            {
                throw new ArgumentException($"The file name {FileText.Quote(tensor.FileName)} for tensor '{tensor.CanonicalName}' is empty or holds control characters.", nameof(options));
            }

            if (!names.TryAdd(tensor.FileName, tensor))
            {
                throw new ArgumentException($"Tensors '{names[tensor.FileName].CanonicalName}' and '{tensor.CanonicalName}' would both be named {FileText.Quote(tensor.FileName)} in the file.", nameof(options));
            }
        }

        return plan;
    }

    private static FileTensor[] PyTorch(ModelLayout layout)
    {
        var plan = new FileTensor[layout.Count];
        for (int i = 0; i < plan.Length; i++)
        {
            TensorInfo tensor = layout[i];
            plan[i] = new FileTensor(tensor.Name, tensor.Shape.ToArray(), FileTensorForm.Direct, tensor);
        }

        return plan;
    }
}
