using System;
using System.Numerics;
using NativeRnn.Kernels;

namespace NativeRnn.Training;

/// <summary>
/// Adam (Kingma &amp; Ba 2015), as <c>torch.optim.Adam</c>; with <see cref="Decoupled"/> it is AdamW (Loshchilov &amp; Hutter
/// 2019, <c>torch.optim.AdamW</c>). At step <c>t</c> (from 1):
/// <code>
/// θ ← θ(1 − ηλ)                               (AdamW only: decoupled weight decay)
/// g ← g + λθ                                  (Adam only: L2 weight decay)
/// m ← β₁m + (1 − β₁)g        v ← β₂v + (1 − β₂)g²
/// θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// State: two blocks, <c>m</c> then <c>v</c>.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public class Adam<T> : Optimizer<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameterCount">Elements of the parameter block.</param>
    /// <param name="learningRate">The step size <c>η</c> (PyTorch's default 1e-3).</param>
    /// <param name="beta1">The decay <c>β₁</c> of the first moment, in <c>[0, 1)</c>.</param>
    /// <param name="beta2">The decay <c>β₂</c> of the second moment, in <c>[0, 1)</c>.</param>
    /// <param name="epsilon">The <c>ε</c> added to the denominator, positive.</param>
    /// <param name="weightDecay">The weight decay <c>λ</c>: L2 for Adam, decoupled for AdamW.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    public Adam(int parameterCount, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : this(parameterCount, learningRate, beta1, beta2, epsilon, weightDecay, decoupled: false)
    {
    }

    private protected Adam(int parameterCount, double learningRate, double beta1, double beta2, double epsilon, double weightDecay, bool decoupled)
        : base(parameterCount, 2, learningRate, weightDecay)
    {
        Beta1 = CheckedFraction(beta1, nameof(beta1));
        Beta2 = CheckedFraction(beta2, nameof(beta2));
        Checked(epsilon, nameof(epsilon), allowZero: false);
        Epsilon = epsilon;
        Decoupled = decoupled;
    }

    /// <summary>The decay <c>β₁</c> of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>The decay <c>β₂</c> of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>The <c>ε</c> of the denominator.</summary>
    public double Epsilon { get; }

    /// <summary>Whether the weight decay is decoupled from the gradient (AdamW) rather than added to it (Adam's L2).</summary>
    public bool Decoupled { get; }

    private protected override bool Update(Span<T> parameters, ReadOnlySpan<T> gradients, long step, bool commit)
    {
        double correction1 = 1 - Math.Pow(Beta1, step);
        double correction2 = 1 - Math.Pow(Beta2, step);
        T rate = Checked(LearningRate, nameof(LearningRate), false);
        T decay = Checked(WeightDecay, nameof(WeightDecay), true);
        var rule = new Rule(
            Decoupled ? T.One - (rate * decay) : T.One,
            Decoupled ? T.Zero : decay,
            T.CreateTruncating(Beta1),
            T.CreateTruncating(1 - Beta1),
            T.CreateTruncating(Beta2),
            T.CreateTruncating(1 - Beta2),
            rate / T.CreateTruncating(correction1),
            T.CreateTruncating(Math.Sqrt(correction2)),
            T.CreateTruncating(Epsilon));
        return Run(rule, parameters, gradients, commit);
    }

    private readonly struct Rule(T shrink, T decay, T beta1, T oneMinusBeta1, T beta2, T oneMinusBeta2, T stepSize, T correction2Root, T epsilon) : Optimizers.IUpdateRule<T>
    {
        public int Blocks => 2;

        public TVector Update<TOps, TVector>(TVector p, TVector g, ref TVector m, ref TVector v, ref TVector unused)
            where TOps : ISimd<TVector, T>
        {
            p = TOps.Multiply(p, TOps.Broadcast(shrink));
            g = TOps.Add(g, TOps.Multiply(TOps.Broadcast(decay), p));
            m = TOps.Add(TOps.Multiply(TOps.Broadcast(beta1), m), TOps.Multiply(TOps.Broadcast(oneMinusBeta1), g));
            v = TOps.Add(TOps.Multiply(TOps.Broadcast(beta2), v), TOps.Multiply(TOps.Broadcast(oneMinusBeta2), TOps.Multiply(g, g)));
            TVector denominator = TOps.Add(TOps.Divide(TOps.Sqrt(v), TOps.Broadcast(correction2Root)), TOps.Broadcast(epsilon));
            return TOps.Subtract(p, TOps.Multiply(TOps.Broadcast(stepSize), TOps.Divide(m, denominator)));
        }
    }
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019), as <c>torch.optim.AdamW</c>: Adam with the weight decay taken out of the gradient,
/// <c>θ ← θ(1 − ηλ)</c> before the Adam step (see <see cref="Adam{T}"/> for the whole formula). PyTorch's default
/// <c>λ</c> is 0.01.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class AdamW<T> : Adam<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameterCount">Elements of the parameter block.</param>
    /// <param name="learningRate">The step size <c>η</c>.</param>
    /// <param name="beta1">The decay <c>β₁</c> of the first moment.</param>
    /// <param name="beta2">The decay <c>β₂</c> of the second moment.</param>
    /// <param name="epsilon">The <c>ε</c> of the denominator.</param>
    /// <param name="weightDecay">The decoupled weight decay <c>λ</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    public AdamW(int parameterCount, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01)
        : base(parameterCount, learningRate, beta1, beta2, epsilon, weightDecay, decoupled: true)
    {
    }
}
