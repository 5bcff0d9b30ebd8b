using System;

namespace NativeRnn.Training;

/// <summary>
/// The learning rate as a function of the training step, as <c>torch.optim.lr_scheduler</c> gives it. A schedule is a
/// pure function of the step, so resuming from a checkpoint needs only the step number.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate of step <paramref name="step"/>, counted from 0 (the first step).</summary>
    /// <param name="step">Steps taken before this one, at least 0.</param>
    /// <returns>The learning rate, positive.</returns>
    double LearningRate(long step);
}

/// <summary>A constant rate: <c>η_t = η</c>.</summary>
public sealed class ConstantSchedule : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="rate">The rate <c>η</c>, positive and finite.</param>
    /// <exception cref="ArgumentOutOfRangeException">The rate is not positive and finite.</exception>
    public ConstantSchedule(double rate) => Rate = Schedules.Positive(rate, nameof(rate));

    /// <summary>The rate <c>η</c>.</summary>
    public double Rate { get; }

    /// <inheritdoc/>
    public double LearningRate(long step) => Rate;
}

/// <summary>Step decay, as <c>StepLR</c>: <c>η_t = η · γ^⌊t / s⌋</c>, the rate multiplied by <c>γ</c> every <c>s</c> steps.</summary>
public sealed class StepDecaySchedule : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="rate">The initial rate <c>η</c>.</param>
    /// <param name="stepSize">Steps <c>s</c> between decays, positive.</param>
    /// <param name="gamma">The factor <c>γ</c> in <c>(0, 1]</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public StepDecaySchedule(double rate, long stepSize, double gamma)
    {
        Rate = Schedules.Positive(rate, nameof(rate));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        StepSize = stepSize;
        Gamma = Schedules.Factor(gamma, nameof(gamma));
    }

    /// <summary>The initial rate <c>η</c>.</summary>
    public double Rate { get; }

    /// <summary>Steps <c>s</c> between decays.</summary>
    public long StepSize { get; }

    /// <summary>The factor <c>γ</c>.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public double LearningRate(long step) => Schedules.Floor(Rate * Math.Pow(Gamma, Schedules.Step(step) / StepSize));
}

/// <summary>Exponential decay, as <c>ExponentialLR</c>: <c>η_t = η · γ^t</c>.</summary>
public sealed class ExponentialSchedule : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="rate">The initial rate <c>η</c>.</param>
    /// <param name="gamma">The factor <c>γ</c> per step, in <c>(0, 1]</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public ExponentialSchedule(double rate, double gamma)
    {
        Rate = Schedules.Positive(rate, nameof(rate));
        Gamma = Schedules.Factor(gamma, nameof(gamma));
    }

    /// <summary>The initial rate <c>η</c>.</summary>
    public double Rate { get; }

    /// <summary>The factor <c>γ</c>.</summary>
    public double Gamma { get; }

    /// <inheritdoc/>
    public double LearningRate(long step) => Schedules.Floor(Rate * Math.Pow(Gamma, Schedules.Step(step)));
}

/// <summary>
/// Linear warm-up then cosine annealing (Loshchilov &amp; Hutter 2017, without restarts), the usual schedule of modern training:
/// <code>
/// η_t = η · (t + 1) / W                                       for t &lt; W (warm-up)
/// η_t = η_min + ½(η − η_min)(1 + cos(π · (t − W) / (T − W)))   for W ≤ t &lt; T
/// η_t = η_min                                                 for t ≥ T
/// </code>
/// </summary>
public sealed class CosineSchedule : ILearningRateSchedule
{
    /// <summary>Creates the schedule.</summary>
    /// <param name="rate">The peak rate <c>η</c>.</param>
    /// <param name="totalSteps">The step <c>T</c> where annealing ends, greater than <paramref name="warmupSteps"/>.</param>
    /// <param name="warmupSteps">Warm-up steps <c>W</c>, at least 0.</param>
    /// <param name="minimumRate">The final rate <c>η_min</c>, in <c>(0, η]</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public CosineSchedule(double rate, long totalSteps, long warmupSteps = 0, double minimumRate = 1e-6)
    {
        Rate = Schedules.Positive(rate, nameof(rate));
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(totalSteps, warmupSteps);
        if (!(minimumRate > 0 && minimumRate <= rate))
        {
            throw new ArgumentOutOfRangeException(nameof(minimumRate), minimumRate, "The minimum rate must be positive and at most the peak rate.");
        }

        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
        MinimumRate = minimumRate;
    }

    /// <summary>The peak rate <c>η</c>.</summary>
    public double Rate { get; }

    /// <summary>The step <c>T</c> where annealing ends.</summary>
    public long TotalSteps { get; }

    /// <summary>Warm-up steps <c>W</c>.</summary>
    public long WarmupSteps { get; }

    /// <summary>The final rate <c>η_min</c>.</summary>
    public double MinimumRate { get; }

    /// <inheritdoc/>
    public double LearningRate(long step)
    {
        long t = Schedules.Step(step);
        if (t < WarmupSteps)
        {
            return Rate * (t + 1) / WarmupSteps;
        }

        if (t >= TotalSteps)
        {
            return MinimumRate;
        }

        double progress = (double)(t - WarmupSteps) / (TotalSteps - WarmupSteps);
        return MinimumRate + (0.5 * (Rate - MinimumRate) * (1 + Math.Cos(Math.PI * progress)));
    }
}

/// <summary>Argument checks shared by the schedules.</summary>
internal static class Schedules
{
    public static long Step(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return step;
    }

    public static double Factor(double gamma, string name)
        => gamma > 0 && gamma <= 1 ? gamma : throw new ArgumentOutOfRangeException(name, gamma, "The decay factor must be in (0, 1].");

    public static double Positive(double rate, string name)
        => rate > 0 && double.IsFinite(rate) ? rate : throw new ArgumentOutOfRangeException(name, rate, "The learning rate must be positive and finite.");

    /// <summary>A decayed rate never reaches 0: it stops at the smallest positive double.</summary>
    public static double Floor(double rate) => Math.Max(rate, double.Epsilon);
}
