using System;
using System.Numerics;
using NativeRnn.Kernels;

namespace NativeRnn.Training;

/// <summary>
/// RMSprop (Hinton's lecture 6e), as <c>torch.optim.RMSprop</c>:
/// <code>
/// g ← g + λθ                                  (weight decay λ)
/// v ← αv + (1 − α)g²
/// a ← √(v − ḡ²) + ε with ḡ ← αḡ + (1 − α)g     (centred), or a ← √v + ε
/// b ← μb + g/a,  θ ← θ − η·b                  (momentum μ &gt; 0), or θ ← θ − η·g/a
/// </code>
/// State: <c>v</c>, then <c>ḡ</c> when centred, then <c>b</c> with momentum.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class RmsProp<T> : Optimizer<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameterCount">Elements of the parameter block.</param>
    /// <param name="learningRate">The step size <c>η</c> (PyTorch's default 1e-2).</param>
    /// <param name="alpha">The decay <c>α</c> of the squared-gradient average, in <c>[0, 1)</c>.</param>
    /// <param name="epsilon">The <c>ε</c> of the denominator, positive.</param>
    /// <param name="weightDecay">The L2 weight decay <c>λ</c>.</param>
    /// <param name="momentum">The momentum <c>μ</c> in <c>[0, 1)</c>; 0 for none.</param>
    /// <param name="centered">Whether to divide by the centred (variance) estimate.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    public RmsProp(int parameterCount, double learningRate = 1e-2, double alpha = 0.99, double epsilon = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(parameterCount, 1 + (centered ? 1 : 0) + (momentum > 0 ? 1 : 0), learningRate, weightDecay)
    {
        Alpha = CheckedFraction(alpha, nameof(alpha));
        Momentum = CheckedFraction(momentum, nameof(momentum));
        Checked(epsilon, nameof(epsilon), allowZero: false);
        Epsilon = epsilon;
        Centered = centered;
    }

    /// <summary>The decay <c>α</c> of the squared-gradient average.</summary>
    public double Alpha { get; }

    /// <summary>The <c>ε</c> of the denominator.</summary>
    public double Epsilon { get; }

    /// <summary>The momentum <c>μ</c> (0: none).</summary>
    public double Momentum { get; }

    /// <summary>Whether the denominator is centred.</summary>
    public bool Centered { get; }

    private protected override bool Update(Span<T> parameters, ReadOnlySpan<T> gradients, long step, bool commit)
    {
        var rule = new Rule(
            Checked(LearningRate, nameof(LearningRate), false),
            Checked(WeightDecay, nameof(WeightDecay), true),
            T.CreateTruncating(Alpha),
            T.CreateTruncating(1 - Alpha),
            T.CreateTruncating(Epsilon),
            T.CreateTruncating(Momentum),
            Centered,
            Momentum > 0);
        return Run(rule, parameters, gradients, commit);
    }

    private readonly struct Rule(T rate, T decay, T alpha, T oneMinusAlpha, T epsilon, T momentum, bool centered, bool hasMomentum) : Optimizers.IUpdateRule<T>
    {
        public int Blocks => 1 + (centered ? 1 : 0) + (hasMomentum ? 1 : 0);

        public TVector Update<TOps, TVector>(TVector p, TVector g, ref TVector v, ref TVector s1, ref TVector s2)
            where TOps : ISimd<TVector, T>
        {
            g = TOps.Add(g, TOps.Multiply(TOps.Broadcast(decay), p));
            v = TOps.Add(TOps.Multiply(TOps.Broadcast(alpha), v), TOps.Multiply(TOps.Broadcast(oneMinusAlpha), TOps.Multiply(g, g)));
            TVector variance = v;
            if (centered)
            {
                s1 = TOps.Add(TOps.Multiply(TOps.Broadcast(alpha), s1), TOps.Multiply(TOps.Broadcast(oneMinusAlpha), g));
                variance = TOps.Subtract(v, TOps.Multiply(s1, s1));
            }

            TVector step = TOps.Divide(g, TOps.Add(TOps.Sqrt(variance), TOps.Broadcast(epsilon)));
            if (hasMomentum)
            {
                if (centered)
                {
                    s2 = TOps.Add(TOps.Multiply(TOps.Broadcast(momentum), s2), step);
                    step = s2;
                }
                else
                {
                    s1 = TOps.Add(TOps.Multiply(TOps.Broadcast(momentum), s1), step);
                    step = s1;
                }
            }

            return TOps.Subtract(p, TOps.Multiply(TOps.Broadcast(rate), step));
        }
    }
}
