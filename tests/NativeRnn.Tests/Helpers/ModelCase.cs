using System;
using System.Collections.Generic;
using System.Numerics;
using NativeRnn.Initialization;
using NativeRnn.Tests.Reference;

namespace NativeRnn.Tests.Helpers;

/// <summary>A declared test model with the architecture the tests expect of it.</summary>
public sealed class ModelCase<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    public ModelCase(string name, NetworkSpec spec, Func<ulong, IRecurrentModel<T>> create)
    {
        Name = name;
        Spec = spec;
        Create = create;
    }

    public string Name { get; }

    public NetworkSpec Spec { get; }

    public Func<ulong, IRecurrentModel<T>> Create { get; }

    /// <summary>
    /// A model whose every parameter (biases too) is uniform in [−scale, scale], so no tensor keeps its
    /// special initial value.
    /// </summary>
    public IRecurrentModel<T> CreateRandomized(ulong seed, double scale = 0.5)
    {
        IRecurrentModel<T> model = Create(seed);
        var random = new DeterministicRandom(seed, 1000);
        Span<T> p = model.Parameters;
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = T.CreateTruncating(random.NextUniform(-scale, scale));
        }

        return model;
    }

    public override string ToString() => $"{Name} ({Spec})";
}

/// <summary>Helpers shared by model tests.</summary>
public static class ModelTools
{
    /// <summary>Every tensor of a model in PyTorch layout, as doubles.</summary>
    public static Dictionary<string, double[]> ExportAll<T>(IRecurrentModel<T> model)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => ExportAll(model.Layout, model.Parameters);

    /// <summary>Every tensor of a block in PyTorch layout, as doubles.</summary>
    public static Dictionary<string, double[]> ExportAll<T>(ModelLayout layout, ReadOnlySpan<T> block)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var result = new Dictionary<string, double[]>();
        foreach (TensorInfo tensor in layout)
        {
            T[] values = new T[tensor.Length];
            tensor.Export(block, values);
            result[tensor.Name] = Array.ConvertAll(values, v => double.CreateTruncating(v));
        }

        return result;
    }

    /// <summary>Uniform values in [−scale, scale] from a seed.</summary>
    public static double[] Uniform(ulong seed, ulong stream, int length, double scale = 1)
    {
        var random = new DeterministicRandom(seed, stream);
        double[] values = new double[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = random.NextUniform(-scale, scale);
        }

        return values;
    }

    public static T[] Convert<T>(double[] values)
        where T : IFloatingPointIeee754<T>
        => Array.ConvertAll(values, v => T.CreateTruncating(v));

    public static double[] ToDouble<T>(ReadOnlySpan<T> values)
        where T : IFloatingPointIeee754<T>
    {
        double[] result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = double.CreateTruncating(values[i]);
        }

        return result;
    }
}
