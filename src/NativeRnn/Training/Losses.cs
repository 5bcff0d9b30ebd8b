using System.Runtime.CompilerServices;
using System;
using System.Numerics;
using NativeRnn.Kernels;

namespace NativeRnn.Training;

/// <summary>
/// Which time steps of a sequence a loss counts: every step (a language model), the last one only (many-to-one: a
/// sequence classifier or the adding problem), or every step from an output lag <c>τ</c> on (an output that starts
/// <c>τ</c> steps after the input, as in a translation that waits for its source).
/// </summary>
public readonly record struct LossSteps
{
    private LossSteps(int first, bool lastOnly)
    {
        First = first;
        LastOnly = lastOnly;
    }

    /// <summary>Every step.</summary>
    public static LossSteps All => default;

    /// <summary>The last step only.</summary>
    public static LossSteps Last => new(0, lastOnly: true);

    /// <summary>The first step counted (when not <see cref="LastOnly"/>).</summary>
    public int First { get; }

    /// <summary>Whether only the last step counts.</summary>
    public bool LastOnly { get; }

    /// <summary>Steps <c>t ≥ τ</c>: an output lag of <paramref name="lag"/> steps.</summary>
    /// <param name="lag">The lag <c>τ</c>, at least 0.</param>
    /// <returns>The selection.</returns>
    public static LossSteps From(int lag)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lag);
        return new LossSteps(lag, lastOnly: false);
    }

    /// <summary>Whether step <paramref name="t"/> of <paramref name="steps"/> counts.</summary>
    /// <param name="t">The step.</param>
    /// <param name="steps">Steps in the sequence.</param>
    /// <returns>True when it counts.</returns>
    public bool Includes(int t, int steps) => LastOnly ? t == steps - 1 : t >= First;

    /// <inheritdoc/>
    public override string ToString() => LastOnly ? "last step" : First == 0 ? "every step" : $"steps from {First}";
}

/// <summary>
/// Losses over a model's time-major outputs <c>[steps, batch, ·]</c>, each returning the loss and writing its gradient with
/// respect to the outputs, ready for a model's <c>Backward</c>. The reduction is PyTorch's default: the <b>mean over the
/// counted positions</b> (a position is one step of one sequence; for mean squared error, each output element of a counted
/// position), so the gradient carries the factor <c>1/N</c>; positions that do not count get a zero gradient.
/// </summary>
/// <remarks>
/// Invalid input is refused with an exception naming what was wrong: wrong lengths, targets outside the classes,
/// non-finite logits, predictions or targets, and a mean squared error whose gradient would overflow the element type
/// (finite values near ±3.4e38 in float). Nothing is written then.
/// </remarks>
public static class Losses
{
    /// <summary>
    /// Mean softmax cross-entropy over every row: <c>L = (1/N) Σ_n [log Σ_j e^(z_nj) − z_n,target(n)]</c> over the
    /// <c>N = targets.Length</c> rows of <paramref name="logits"/>, computed stably (the row maximum is subtracted
    /// first). Gradient: <c>∂L/∂z_nj = (softmax(z_n)_j − [j = target(n)]) / N</c>.
    /// </summary>
    /// <param name="logits">Row-major <c>[N, classes]</c>, finite.</param>
    /// <param name="targets">The class of each row, in <c>[0, classes)</c>.</param>
    /// <param name="gradient">Receives <c>∂L/∂logits</c>, <c>[N, classes]</c>.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>The mean loss in nats.</returns>
    /// <exception cref="ArgumentException">The shapes disagree or a logit is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A target is not a class.</exception>
    public static double SoftmaxCrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, Span<T> gradient)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => SoftmaxCrossEntropy(logits, targets, gradient, targets.Length, LossSteps.All);

    /// <summary>
    /// Mean softmax cross-entropy over the counted positions of time-major rows <c>t·batch + b</c>: those whose step
    /// <paramref name="steps"/> selects and, when a mask is given, whose mask element is true (padding is false).
    /// <c>L = (1/N) Σ_counted [log Σ_j e^(z_j) − z_target]</c> with <c>N</c> the number of counted positions.
    /// </summary>
    /// <param name="logits">Time-major <c>[steps, batch, classes]</c>; counted rows finite.</param>
    /// <param name="targets">Time-major <c>[steps, batch]</c> classes; counted ones in <c>[0, classes)</c>, others ignored.</param>
    /// <param name="gradient">Receives <c>∂L/∂logits</c>; zero on rows that do not count.</param>
    /// <param name="stepCount">Steps per sequence.</param>
    /// <param name="steps">Which steps count.</param>
    /// <param name="mask">Optional <c>[steps, batch]</c>: false marks a position that does not count.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>The mean loss in nats.</returns>
    /// <exception cref="ArgumentException">The shapes disagree, no position counts, or a counted logit is not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A counted target is not a class.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SoftmaxCrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, Span<T> gradient, int stepCount, LossSteps steps, ReadOnlySpan<bool> mask = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int batch = Shape(targets.Length, stepCount, mask, nameof(targets));
        int classes = logits.Length / Math.Max(1, targets.Length);
        Guard.Length(logits.Length, (long)targets.Length * classes, nameof(logits), "[steps, batch, classes]");
        if (classes < 1)
        {
            throw new ArgumentException($"'{nameof(logits)}' has {logits.Length} elements, fewer than one per target ({targets.Length}).", nameof(logits));
        }

        Guard.Length(gradient.Length, logits.Length, nameof(gradient), "the length of logits");
        var positions = new LossPositions(stepCount, batch, steps, mask);
        int counted = positions.Count();
        if (counted == 0)
        {
            throw new ArgumentException($"No position counts in this loss ({steps}, {stepCount} steps{(mask.IsEmpty ? string.Empty : ", with the mask")}).", nameof(steps));
        }

        for (int row = 0; row < targets.Length; row++)
        {
            if (positions.Counts(row) && (uint)targets[row] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), targets[row], $"Target {row} is {targets[row]}, but the classes are 0 to {classes - 1}.");
            }
        }

        double sum = LossKernels.CrossEntropy(logits, targets, gradient, classes, positions, T.One / T.CreateTruncating(counted));
        if (!double.IsFinite(sum))
        {
            throw new ArgumentException($"'{nameof(logits)}' has a non-finite value at a counted position; outputs must be finite.", nameof(logits));
        }

        return sum / counted;
    }

    /// <summary>
    /// Mean squared error over every element: <c>L = (1/N) Σ_i (ŷ_i − y_i)²</c>, as PyTorch's
    /// <c>MSELoss(reduction='mean')</c>. Gradient: <c>∂L/∂ŷ_i = 2(ŷ_i − y_i)/N</c>.
    /// </summary>
    /// <param name="predictions">Model outputs <c>ŷ</c>, finite.</param>
    /// <param name="targets">Targets <c>y</c>, same length, finite.</param>
    /// <param name="gradient">Receives <c>∂L/∂ŷ</c>, same length.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>The mean squared error, computed in double.</returns>
    /// <exception cref="ArgumentException">The lengths disagree or are zero, a value is not finite, or the gradient overflows <typeparamref name="T"/>.</exception>
    public static double MeanSquaredError<T>(ReadOnlySpan<T> predictions, ReadOnlySpan<T> targets, Span<T> gradient)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (predictions.IsEmpty)
        {
            throw new ArgumentException("There must be at least one prediction.", nameof(predictions));
        }

        return MeanSquaredError(predictions, targets, gradient, 1, LossSteps.All, predictions.Length);
    }

    /// <summary>
    /// Mean squared error over the elements of the counted positions of time-major rows <c>t·batch + b</c>, each of
    /// <paramref name="width"/> outputs: <c>L = (1/N) Σ (ŷ − y)²</c> with <c>N</c> = counted positions × width.
    /// </summary>
    /// <param name="predictions">Time-major <c>[steps, batch, width]</c>; counted rows finite.</param>
    /// <param name="targets">The same shape; counted rows finite, others ignored.</param>
    /// <param name="gradient">Receives <c>∂L/∂ŷ</c>; zero on rows that do not count.</param>
    /// <param name="stepCount">Steps per sequence.</param>
    /// <param name="steps">Which steps count.</param>
    /// <param name="width">Outputs per position.</param>
    /// <param name="mask">Optional <c>[steps, batch]</c>: false marks a position that does not count.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>The mean squared error, computed in double.</returns>
    /// <exception cref="ArgumentException">The shapes disagree, no position counts, a counted value is not finite, or the gradient overflows <typeparamref name="T"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double MeanSquaredError<T>(ReadOnlySpan<T> predictions, ReadOnlySpan<T> targets, Span<T> gradient, int stepCount, LossSteps steps, int width, ReadOnlySpan<bool> mask = default)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        int rows = predictions.Length / width;
        Guard.Length(predictions.Length, (long)rows * width, nameof(predictions), "[steps, batch, width]");
        int batch = Shape(rows, stepCount, mask, nameof(predictions));
        Guard.Length(targets.Length, predictions.Length, nameof(targets), "the length of predictions");
        Guard.Length(gradient.Length, predictions.Length, nameof(gradient), "the length of predictions");
        var positions = new LossPositions(stepCount, batch, steps, mask);
        int counted = positions.Count();
        if (counted == 0)
        {
            throw new ArgumentException($"No position counts in this loss ({steps}, {stepCount} steps{(mask.IsEmpty ? string.Empty : ", with the mask")}).", nameof(steps));
        }

        for (int row = 0; row < rows; row++)
        {
            if (positions.Counts(row))
            {
                Guard.Finite(predictions.Slice(row * width, width), nameof(predictions));
                Guard.Finite(targets.Slice(row * width, width), nameof(targets));
            }
        }

        double scale = 2.0 / ((double)counted * width);
        for (int i = 0; i < predictions.Length; i++)
        {
            // Checked before anything is written: two finite floats near ±3.4e38 differ by more than a float holds.
            double difference = double.CreateTruncating(predictions[i]) - double.CreateTruncating(targets[i]);
            if (positions.Counts(i / width) && !T.IsFinite(T.CreateTruncating(scale * difference)))
            {
                throw new ArgumentException($"The gradient of this mean squared error overflows {typeof(T).Name} at element {i} (prediction {predictions[i]}, target {targets[i]}): they differ by more than it holds. Scale the targets.", nameof(predictions));
            }
        }

        return LossKernels.SquaredError(predictions, targets, gradient, width, positions, scale) / ((double)counted * width);
    }

    /// <summary>Batch size from rows and steps; checks the mask's shape.</summary>
    private static int Shape(int rows, int steps, ReadOnlySpan<bool> mask, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        if (rows == 0 || rows % steps != 0)
        {
            throw new ArgumentException($"'{name}' has {rows} rows, which is not a positive multiple of {steps} steps.", name);
        }

        if (!mask.IsEmpty)
        {
            Guard.Length(mask.Length, rows, nameof(mask), "[steps, batch]");
        }

        return rows / steps;
    }
}

/// <summary>The positions a loss counts: a step selection and an optional mask over time-major rows.</summary>
internal readonly ref struct LossPositions
{
    private readonly int _steps;
    private readonly int _batch;
    private readonly LossSteps _selection;
    private readonly ReadOnlySpan<bool> _mask;

    public LossPositions(int steps, int batch, LossSteps selection, ReadOnlySpan<bool> mask)
    {
        _steps = steps;
        _batch = batch;
        _selection = selection;
        _mask = mask;
    }

    public int Rows => _steps * _batch;

    public bool Counts(int row) => _selection.Includes(row / _batch, _steps) && (_mask.IsEmpty || _mask[row]);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Count()
    {
        int count = 0;
        for (int row = 0; row < Rows; row++)
        {
            if (Counts(row))
            {
                count++;
            }
        }

        return count;
    }
}

/// <summary>
/// The sums behind <see cref="Losses"/>, without argument checks: they return the sum over the counted positions and
/// write the gradient scaled by a given factor (the trainer's 1/N over a whole minibatch split among workers), and they
/// return NaN instead of throwing when a value is not finite or the gradient overflows.
/// </summary>
internal static class LossKernels
{
    /// <summary>Σ over counted rows of softmax cross-entropy; gradient = scale·(softmax − onehot), 0 elsewhere; NaN if not finite.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double CrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, Span<T> gradient, int classes, in LossPositions positions, T scale)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double loss = 0;
        for (int row = 0; row < positions.Rows; row++)
        {
            Span<T> g = gradient.Slice(row * classes, classes);
            if (!positions.Counts(row))
            {
                g.Clear();
                continue;
            }

            ReadOnlySpan<T> z = logits.Slice(row * classes, classes);
            if (!Guard.AllFinite(z))
            {
                return double.NaN;
            }

            T max = VectorMath.Max(z);
            z.CopyTo(g);
            T sum = VectorMath.ExpShiftedSum(g, max);

            // log Σ e^(z_j) − z_target = log(sum) + max − z_target
            int target = targets[row];
            loss += double.CreateTruncating(T.Log(sum) + max - z[target]);
            VectorMath.Scale(g, scale / sum);
            g[target] -= scale;
        }

        return loss;
    }

    /// <summary>Σ over counted rows of (ŷ − y)² in double; gradient = scale·(ŷ − y), 0 elsewhere; NaN if not finite or the gradient overflows T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SquaredError<T>(ReadOnlySpan<T> predictions, ReadOnlySpan<T> targets, Span<T> gradient, int width, in LossPositions positions, double scale)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double sum = 0;
        bool finite = true;
        for (int row = 0; row < positions.Rows; row++)
        {
            int start = row * width;
            if (!positions.Counts(row))
            {
                gradient.Slice(start, width).Clear();
                continue;
            }

            for (int i = start; i < start + width; i++)
            {
                // In double: two finite floats near ±3.4e38 differ by more than a float holds.
                double difference = double.CreateTruncating(predictions[i]) - double.CreateTruncating(targets[i]);
                sum += difference * difference;
                T g = T.CreateTruncating(scale * difference);
                finite &= T.IsFinite(g);
                gradient[i] = g;
            }
        }

        return finite ? sum : double.NaN;
    }
}
