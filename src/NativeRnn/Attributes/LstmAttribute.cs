using System;

namespace NativeRnn;

/// <summary>
/// A long short-term memory layer, PyTorch's <c>nn.LSTM</c> (gate order i, f, g, o in the rows of
/// <c>weight_ih_l{k}</c> <c>[4H, in]</c> and <c>weight_hh_l{k}</c> <c>[4H, H]</c>):
/// <code>
/// i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
/// g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
/// c' = f ⊙ c + i ⊙ g                       h' = o ⊙ tanh(c')
/// </code>
/// The forget gate's <c>bias_ih</c> starts at one (Jozefowicz et al. 2015), so the cell remembers by default.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class LstmAttribute : Attribute
{
    /// <summary>Declares a layer with <paramref name="hidden"/> units.</summary>
    /// <param name="hidden">Size of <c>h</c> and <c>c</c>; must be positive.</param>
    public LstmAttribute(int hidden) => Hidden = hidden;

    /// <summary>Size of the hidden state <c>h</c> and the cell state <c>c</c>.</summary>
    public int Hidden { get; }

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

    /// <summary>
    /// The initial value of the forget gate's <c>bias_ih</c> block; 1 by default (Jozefowicz et al. 2015), so the
    /// cell remembers until training says otherwise. 0 is PyTorch's own start. Ignored when <see cref="Bias"/> is false.
    /// </summary>
    public double ForgetGateBias { get; set; } = 1.0;
}
