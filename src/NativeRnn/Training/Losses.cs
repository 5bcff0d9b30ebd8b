using System;
using System.Numerics;
using NativeRnn.Kernels;

namespace NativeRnn.Training;

/// <summary>
/// Losses over rows of model outputs (one row per time step and sequence), each returning the loss
/// and writing its gradient with respect to the outputs, ready for a model's <c>Backward</c>.
/// Both are means, so the gradient carries the factor <c>1/N</c>.
/// </summary>
public static class Losses
{
    /// <summary>
    /// Mean softmax cross-entropy: <c>L = (1/N) Σ_n [log Σ_j e^(z_nj) − z_n,target(n)]</c> over the
    /// <c>N = targets.Length</c> rows of <paramref name="logits"/>, computed stably (the row maximum is
    /// subtracted first). Gradient: <c>∂L/∂z_nj = (softmax(z_n)_j − [j = target(n)]) / N</c>.
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
    {
        int rows = targets.Length;
        if (rows == 0)
        {
            throw new ArgumentException("There must be at least one target.", nameof(targets));
        }

        int classes = logits.Length / rows;
        Guard.Length(logits.Length, (long)rows * classes, nameof(logits), "[targets, classes]");
        if (classes < 1)
        {
            throw new ArgumentException($"'{nameof(logits)}' has {logits.Length} elements, fewer than one per target ({rows}).", nameof(logits));
        }

        Guard.Length(gradient.Length, logits.Length, nameof(gradient), "the length of logits");
        for (int n = 0; n < rows; n++)
        {
            if ((uint)targets[n] >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), targets[n], $"Target {n} is {targets[n]}, but the classes are 0 to {classes - 1}.");
            }
        }

        Guard.Finite(logits, nameof(logits));
        T inverseRows = T.One / T.CreateTruncating(rows);
        double loss = 0;
        for (int n = 0; n < rows; n++)
        {
            ReadOnlySpan<T> z = logits.Slice(n * classes, classes);
            Span<T> g = gradient.Slice(n * classes, classes);
            T max = VectorMath.Max(z);
            z.CopyTo(g);
            T sum = VectorMath.ExpShiftedSum(g, max);

            // log Σ e^(z_j) − z_target = log(sum) + max − z_target
            loss += double.CreateTruncating(T.Log(sum) + max - z[targets[n]]);
            VectorMath.Scale(g, inverseRows / sum);
            g[targets[n]] -= inverseRows;
        }

        return loss / rows;
    }

    /// <summary>
    /// Mean squared error over every element: <c>L = (1/N) Σ_i (ŷ_i − y_i)²</c>, as PyTorch's
    /// <c>MSELoss(reduction='mean')</c>. Gradient: <c>∂L/∂ŷ_i = 2(ŷ_i − y_i)/N</c>.
    /// </summary>
    /// <param name="predictions">Model outputs <c>ŷ</c>, finite.</param>
    /// <param name="targets">Targets <c>y</c>, same length, finite.</param>
    /// <param name="gradient">Receives <c>∂L/∂ŷ</c>, same length.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>The mean squared error.</returns>
    /// <exception cref="ArgumentException">The lengths disagree, are zero, or a value is not finite.</exception>
    public static double MeanSquaredError<T>(ReadOnlySpan<T> predictions, ReadOnlySpan<T> targets, Span<T> gradient)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (predictions.IsEmpty)
        {
            throw new ArgumentException("There must be at least one prediction.", nameof(predictions));
        }

        Guard.Length(targets.Length, predictions.Length, nameof(targets), "the length of predictions");
        Guard.Length(gradient.Length, predictions.Length, nameof(gradient), "the length of predictions");
        Guard.Finite(predictions, nameof(predictions));
        Guard.Finite(targets, nameof(targets));
        int count = predictions.Length;
        T factor = T.CreateTruncating(2) / T.CreateTruncating(count);
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            T difference = predictions[i] - targets[i];
            double d = double.CreateTruncating(difference);
            sum += d * d;
            gradient[i] = factor * difference;
        }

        return sum / count;
    }
}
