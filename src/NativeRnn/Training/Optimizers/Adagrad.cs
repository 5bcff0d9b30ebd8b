using System;
using System.Numerics;
using NativeRnn.Kernels;

namespace NativeRnn.Training;

/// <summary>
/// Adagrad (Duchi, Hazan &amp; Singer 2011), as <c>torch.optim.Adagrad</c>. At step <c>t</c> (from 1):
/// <code>
/// g ← g + λθ                                  (weight decay λ)
/// s ← s + g²                                  (s starts at the initial accumulator value)
/// θ ← θ − (η / (1 + (t − 1)·δ)) · g / (√s + ε)  (learning-rate decay δ)
/// </code>
/// State: one block, <c>s</c>.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class Adagrad<T> : Optimizer<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameterCount">Elements of the parameter block.</param>
    /// <param name="learningRate">The step size <c>η</c> (PyTorch's default 1e-2).</param>
    /// <param name="learningRateDecay">The decay <c>δ</c> of the step size per step, non-negative.</param>
    /// <param name="weightDecay">The L2 weight decay <c>λ</c>.</param>
    /// <param name="initialAccumulator">The start of <c>s</c>, non-negative.</param>
    /// <param name="epsilon">The <c>ε</c> of the denominator, positive (PyTorch's default 1e-10).</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyper-parameter is out of range.</exception>
    public Adagrad(int parameterCount, double learningRate = 1e-2, double learningRateDecay = 0, double weightDecay = 0, double initialAccumulator = 0, double epsilon = 1e-10)
        : base(parameterCount, 1, learningRate, weightDecay)
    {
        Checked(learningRateDecay, nameof(learningRateDecay), allowZero: true);
        Checked(initialAccumulator, nameof(initialAccumulator), allowZero: true);
        Checked(epsilon, nameof(epsilon), allowZero: false);
        LearningRateDecay = learningRateDecay;
        InitialAccumulator = initialAccumulator;
        Epsilon = epsilon;
        Reset();
    }

    /// <summary>The decay <c>δ</c> of the step size.</summary>
    public double LearningRateDecay { get; }

    /// <summary>The start of the accumulator <c>s</c>.</summary>
    public double InitialAccumulator { get; }

    /// <summary>The <c>ε</c> of the denominator.</summary>
    public double Epsilon { get; }

    /// <inheritdoc/>
    public override void Reset()
    {
        base.Reset();
        State.Fill(T.CreateTruncating(InitialAccumulator));
    }

    private protected override bool Update(Span<T> parameters, ReadOnlySpan<T> gradients, long step, bool commit)
    {
        double rate = LearningRate / (1 + ((step - 1) * LearningRateDecay));
        var rule = new Rule(
            T.CreateTruncating(rate),
            Checked(WeightDecay, nameof(WeightDecay), true),
            T.CreateTruncating(Epsilon));
        return Run(rule, parameters, gradients, commit);
    }

    private readonly struct Rule(T rate, T decay, T epsilon) : Optimizers.IUpdateRule<T>
    {
        public int Blocks => 1;

        public TVector Update<TOps, TVector>(TVector p, TVector g, ref TVector sum, ref TVector unused1, ref TVector unused2)
            where TOps : ISimd<TVector, T>
        {
            g = TOps.Add(g, TOps.Multiply(TOps.Broadcast(decay), p));
            sum = TOps.Add(sum, TOps.Multiply(g, g));
            return TOps.Subtract(p, TOps.Multiply(TOps.Broadcast(rate), TOps.Divide(g, TOps.Add(TOps.Sqrt(sum), TOps.Broadcast(epsilon)))));
        }
    }
}
