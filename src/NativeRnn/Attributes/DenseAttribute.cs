using System;

namespace NativeRnn;

/// <summary>
/// The affine output head applied at every time step to the top layer's output:
/// <c>y_t = W h_t + b</c>, with parameters <c>head.weight</c> <c>[outputs, width]</c> and <c>head.bias</c>.
/// Its outputs are logits for softmax cross-entropy or values for mean squared error. Must be the last layer.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class DenseAttribute : Attribute
{
    /// <summary>Declares the head.</summary>
    /// <param name="outputs">Outputs per time step; must be positive.</param>
    public DenseAttribute(int outputs) => Outputs = outputs;

    /// <summary>Outputs per time step.</summary>
    public int Outputs { get; }

    /// <summary>How <c>head.weight</c> starts; <see cref="WeightInitializer.Default"/> is Glorot uniform.</summary>
    public WeightInitializer Weights { get; set; }
}
