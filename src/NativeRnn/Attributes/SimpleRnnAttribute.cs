using System;

namespace NativeRnn;

/// <summary>
/// A simple (Elman) recurrent layer: <c>h_t = g(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)</c>, with
/// PyTorch's parameter names <c>weight_ih_l{k}</c>, <c>weight_hh_l{k}</c>, <c>bias_ih_l{k}</c>, <c>bias_hh_l{k}</c>.
/// Repeat the attribute to stack layers; each reads the outputs of the one before.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class SimpleRnnAttribute : Attribute
{
    /// <summary>Declares a layer with <paramref name="hidden"/> units.</summary>
    /// <param name="hidden">Size of the hidden state <c>h_t</c>; must be positive.</param>
    public SimpleRnnAttribute(int hidden) => Hidden = hidden;

    /// <summary>Size of the hidden state <c>h_t</c>.</summary>
    public int Hidden { get; }

    /// <summary>The nonlinearity <c>g</c>; <see cref="NativeRnn.Activation.Tanh"/> by default.</summary>
    public Activation Activation { get; set; } = Activation.Tanh;

    /// <summary>
    /// Adds a second copy that reads the sequence backwards (parameters suffixed <c>_reverse</c>); the
    /// layer's output is <c>[h_forward; h_reverse]</c>, 2·hidden wide. A bidirectional model has no streaming <c>Step</c>.
    /// </summary>
    public bool Bidirectional { get; set; }

    /// <summary>
    /// Whether the layer has the biases <c>bias_ih</c> and <c>bias_hh</c> (<see langword="true"/>, the default). Set to
    /// <see langword="false"/> for PyTorch's <c>bias=False</c>: the layer then has no bias tensors at all.
    /// </summary>
    public bool Bias { get; set; } = true;

    /// <summary>How <c>weight_ih</c> starts; <see cref="WeightInitializer.Default"/> is Glorot uniform per gate block.</summary>
    public WeightInitializer InputWeights { get; set; }

    /// <summary>How <c>weight_hh</c> starts; <see cref="WeightInitializer.Default"/> is orthogonal per gate block.</summary>
    public WeightInitializer RecurrentWeights { get; set; }
}
