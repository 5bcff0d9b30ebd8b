using System;
using System.Numerics;
using NativeRnn.Kernels;

namespace NativeRnn.Training;

/// <summary>
/// Stochastic gradient descent with optional momentum and Nesterov momentum, as <c>torch.optim.SGD</c>:
/// <code>
/// g ← g + λθ                                  (weight decay λ, L2)
/// b ← g at the first step, else μb + (1 − τ)g (momentum μ &gt; 0, dampening τ)
/// g ← g + μb (Nesterov), or g ← b (classical momentum)
/// θ ← θ − η·g
/// </code>
/// Without momentum it is plain <c>θ ← θ − η·(g + λθ)</c> and keeps no state.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class Sgd<T> : Optimizer<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameterCount">Elements of the parameter block.</param>
    /// <param name="learningRate">The step size <c>η</c>.</param>
    /// <param name="momentum">The momentum <c>μ</c> in <c>[0, 1)</c>; 0 for none.</param>
    /// <param name="nesterov">Nesterov momentum (needs <c>μ &gt; 0</c> and no dampening).</param>
    /// <param name="weightDecay">The L2 weight decay <c>λ</c>.</param>
    /// <param name="dampening">The dampening <c>τ</c> in <c>[0, 1)</c> of the momentum buffer.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    /// <exception cref="ArgumentException">Nesterov momentum without momentum, or with dampening.</exception>
    public Sgd(int parameterCount, double learningRate, double momentum = 0, bool nesterov = false, double weightDecay = 0, double dampening = 0)
        : base(parameterCount, momentum > 0 ? 1 : 0, learningRate, weightDecay)
    {
        Momentum = CheckedFraction(momentum, nameof(momentum));
        Dampening = CheckedFraction(dampening, nameof(dampening));
        if (nesterov && (momentum <= 0 || dampening != 0))
        {
            throw new ArgumentException("Nesterov momentum needs a positive momentum and no dampening.", nameof(nesterov));
        }

        Nesterov = nesterov;
    }

    /// <summary>The momentum <c>μ</c> (0: none).</summary>
    public double Momentum { get; }

    /// <summary>Whether the momentum is Nesterov's.</summary>
    public bool Nesterov { get; }

    /// <summary>The dampening <c>τ</c> of the momentum buffer.</summary>
    public double Dampening { get; }

    private protected override bool Update(Span<T> parameters, ReadOnlySpan<T> gradients, long step, bool commit)
    {
        var rule = new Rule(
            Checked(LearningRate, nameof(LearningRate), false),
            Checked(WeightDecay, nameof(WeightDecay), true),
            T.CreateTruncating(Momentum),
            T.CreateTruncating(1 - Dampening),
            Momentum > 0,
            Nesterov,
            first: step == 1);
        return Run(rule, parameters, gradients, commit);
    }

    private readonly struct Rule(T rate, T decay, T momentum, T undampened, bool hasMomentum, bool nesterov, bool first) : Optimizers.IUpdateRule<T>
    {
        public int Blocks => hasMomentum ? 1 : 0;

        public TVector Update<TOps, TVector>(TVector p, TVector g, ref TVector buffer, ref TVector unused1, ref TVector unused2)
            where TOps : ISimd<TVector, T>
        {
            g = TOps.Add(g, TOps.Multiply(TOps.Broadcast(decay), p));
            if (hasMomentum)
            {
                buffer = first ? g : TOps.Add(TOps.Multiply(TOps.Broadcast(momentum), buffer), TOps.Multiply(TOps.Broadcast(undampened), g));
                g = nesterov ? TOps.Add(g, TOps.Multiply(TOps.Broadcast(momentum), buffer)) : buffer;
            }

            return TOps.Subtract(p, TOps.Multiply(TOps.Broadcast(rate), g));
        }
    }
}
