using System;

namespace NativeRnn;

/// <summary>
/// A gated recurrent unit, gate order r, z, n in the rows of <c>weight_ih_l{k}</c> <c>[3H, in]</c> and
/// <c>weight_hh_l{k}</c> <c>[3H, H]</c>:
/// <code>
/// r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))        (ResetAfter = true: PyTorch, cuDNN, Keras reset_after=True)
/// n = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)        (ResetAfter = false: Cho et al. 2014)
/// h' = (1 − z) ⊙ n + z ⊙ h
/// </code>
/// Texts that write <c>h' = (1 − z) ⊙ h + z ⊙ ñ</c> describe the same model with the update gate
/// <c>z</c> replaced by <c>1 − z</c>, i.e. with the z rows of both weights and biases negated; see
/// <see cref="GruConventions.ConvertUpdateGate{T}"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class GruAttribute : Attribute
{
    /// <summary>Declares a layer with <paramref name="hidden"/> units.</summary>
    /// <param name="hidden">Size of <c>h</c>; must be positive.</param>
    public GruAttribute(int hidden) => Hidden = hidden;

    /// <summary>Size of the hidden state <c>h</c>.</summary>
    public int Hidden { get; }

    /// <summary>
    /// Whether the reset gate multiplies <c>W_hn h + b_hn</c> (<see langword="true"/>, the default: PyTorch's form)
    /// or <c>h</c> before the product (<see langword="false"/>: the original form of Cho et al. 2014).
    /// </summary>
    public bool ResetAfter { get; set; } = true;

    /// <summary>Adds a reverse-direction copy; the output is <c>[h_forward; h_reverse]</c>. No streaming <c>Step</c> then.</summary>
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
