using System;

namespace NativeRnn.Training;

/// <summary>What became of a training step.</summary>
public enum StepOutcome
{
    /// <summary>The update was applied.</summary>
    Applied,

    /// <summary>Skipped: the loss was NaN or infinite (a non-finite output or target).</summary>
    NonFiniteLoss,

    /// <summary>Skipped: a gradient was NaN or infinite (an overflow in the backward pass).</summary>
    NonFiniteGradient,

    /// <summary>Skipped: the update would have made a parameter or an optimiser moment non-finite.</summary>
    NonFiniteUpdate,
}

/// <summary>
/// One training step as the trainer saw it, delivered to the step callback (a progress bar, a loss chart, a log line).
/// A skipped step left every parameter and every optimiser moment exactly as it was.
/// </summary>
/// <param name="Step">The step's number, from 1.</param>
/// <param name="Outcome">Applied, or why it was skipped.</param>
/// <param name="Loss">The mean loss over the counted positions (nats for cross-entropy).</param>
/// <param name="GradientNorm">The global L2 norm of the gradient before clipping (NaN or ∞ when it was not finite; NaN when the step never reached it).</param>
/// <param name="Clipped">Whether clipping changed the gradient.</param>
/// <param name="LearningRate">The learning rate of the step.</param>
/// <param name="Positions">Positions the loss counted (tokens, for a language model).</param>
/// <param name="Sequences">Sequences in the batch.</param>
/// <param name="Elapsed">Wall time of the step: forward, loss, backward, clipping and update.</param>
/// <param name="SkippedSteps">Steps skipped so far, this one included.</param>
public readonly record struct TrainingReport(
    long Step,
    StepOutcome Outcome,
    double Loss,
    double GradientNorm,
    bool Clipped,
    double LearningRate,
    int Positions,
    int Sequences,
    TimeSpan Elapsed,
    long SkippedSteps)
{
    /// <summary>Whether the update was applied.</summary>
    public bool Applied => Outcome == StepOutcome.Applied;

    /// <summary>Counted positions per second (tokens per second for a language model).</summary>
    public double PositionsPerSecond => Elapsed > TimeSpan.Zero ? Positions / Elapsed.TotalSeconds : 0;

    /// <summary>Sequences per second.</summary>
    public double SequencesPerSecond => Elapsed > TimeSpan.Zero ? Sequences / Elapsed.TotalSeconds : 0;
}

/// <summary>The result of an evaluation pass: forward only, no dropout, over a source's batches.</summary>
/// <param name="Loss">The mean loss over every counted position.</param>
/// <param name="Accuracy">For class targets, the share of counted positions whose largest logit is the target; NaN for values.</param>
/// <param name="Positions">Positions counted.</param>
/// <param name="Batches">Batches evaluated.</param>
public readonly record struct EvaluationReport(double Loss, double Accuracy, long Positions, long Batches)
{
    /// <summary>The loss in bits (cross-entropy in nats divided by ln 2): bits per character for a character model.</summary>
    public double Bits => Loss / Math.Log(2);
}

/// <summary>A whole training run.</summary>
/// <param name="Steps">Steps taken.</param>
/// <param name="SkippedSteps">Steps skipped by the non-finite guard.</param>
/// <param name="LastLoss">The mean loss of the last applied step.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="Positions">Positions trained on.</param>
public readonly record struct TrainingSummary(long Steps, long SkippedSteps, double LastLoss, TimeSpan Elapsed, long Positions)
{
    /// <summary>Positions per second over the run.</summary>
    public double PositionsPerSecond => Elapsed > TimeSpan.Zero ? Positions / Elapsed.TotalSeconds : 0;
}

/// <summary>How a <see cref="Trainer{T}"/> trains.</summary>
public sealed record TrainerOptions
{
    /// <summary>Clip the gradient to this global L2 norm (PyTorch's <c>clip_grad_norm_</c>); null for no norm clipping.</summary>
    public double? ClipNorm { get; init; }

    /// <summary>Clamp every gradient element to ±this (PyTorch's <c>clip_grad_value_</c>), after norm clipping; null for none.</summary>
    public double? ClipValue { get; init; }

    /// <summary>The learning rate per step; null keeps the optimiser's own.</summary>
    public ILearningRateSchedule? Schedule { get; init; }

    /// <summary>
    /// Threads that share each minibatch (data parallelism: every thread runs its own tape and gradient block over a
    /// fixed share of the sequences; the gradients are summed in a fixed order). 1, the default, is fastest for small models.
    /// </summary>
    public int Threads { get; init; } = 1;

    /// <summary>The seed of the dropout masks (each step's masks come from it and the step number).</summary>
    public ulong DropoutSeed { get; init; }
}
