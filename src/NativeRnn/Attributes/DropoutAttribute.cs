using System;

namespace NativeRnn;

/// <summary>
/// Dropout on the input of the layer declared after it (Srivastava et al. 2014): in training passes each element
/// of that input is kept with probability <c>1 − rate</c> and scaled by <c>1/(1 − rate)</c>, or set to zero;
/// inference (<c>Step</c>, the streaming <c>Forward</c>, and training passes with dropout switched off on the tape)
/// is the identity, exactly as fast as without it. Placed between two recurrent layers it is PyTorch's
/// <c>dropout</c> argument of a stacked <c>nn.LSTM</c>; before the first recurrent layer it drops inputs (or
/// embedded tokens); before <see cref="DenseAttribute"/> it drops the top layer's outputs. A fresh mask is drawn for
/// every element of every step, from the tape's dropout seed, and recorded on the tape so that BPTT uses the same one.
/// </summary>
/// <example>
/// <code>
/// [RnnModel]
/// [Embedding(65, 64)]
/// [Lstm(256)]
/// [Dropout(0.2)]    // between the layers, as nn.LSTM(num_layers=2, dropout=0.2)
/// [Lstm(256)]
/// [Dense(65)]
/// public partial class CharModel;
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class DropoutAttribute : Attribute
{
    /// <summary>Declares dropout on the next layer's input.</summary>
    /// <param name="rate">Probability of zeroing an element, in <c>[0, 1)</c>.</param>
    public DropoutAttribute(double rate) => Rate = rate;

    /// <summary>Probability of zeroing an element.</summary>
    public double Rate { get; }
}
