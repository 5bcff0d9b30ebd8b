using System;
using System.Numerics;
using NativeRnn.Initialization;

namespace NativeRnn.Training;

/// <summary>
/// The adding problem (Hochreiter &amp; Schmidhuber 1997), the classic test of long-range memory: each step reads two
/// inputs, a value drawn uniformly from <c>[0, 1)</c> and a marker; exactly two markers are 1, one in each half of the
/// sequence, and the target at the last step is the sum of the two marked values. Predicting the mean (1) scores a
/// mean squared error of 1/6 ≈ 0.167; a model scores lower only by carrying the first marked value across half the
/// sequence. Every batch is drawn afresh from the seed, the epoch and its index, so the data never repeats, and a
/// saved position resumes exactly.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class AddingProblem<T> : IBatchSource<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The mean squared error of always predicting the mean, 1: the variance of a sum of two uniform values, 2/12.</summary>
    public const double MeanBaseline = 1.0 / 6;

    private readonly ulong _seed;
    private DataPosition _position;

    /// <summary>Creates the task.</summary>
    /// <param name="length">Steps per sequence, at least 2.</param>
    /// <param name="batchSize">Sequences per batch.</param>
    /// <param name="seed">The seed; use another one for validation data.</param>
    /// <param name="batchesPerEpoch">How many batches make an epoch.</param>
    public AddingProblem(int length, int batchSize, ulong seed, long batchesPerEpoch = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchesPerEpoch);
        MaxSteps = length;
        BatchSize = batchSize;
        BatchesPerEpoch = batchesPerEpoch;
        _seed = seed;
    }

    /// <inheritdoc/>
    public int MaxSteps { get; }

    /// <inheritdoc/>
    public int BatchSize { get; }

    /// <inheritdoc/>
    public int InputWidth => 2;

    /// <inheritdoc/>
    public int TargetWidth => 1;

    /// <inheritdoc/>
    public long BatchesPerEpoch { get; }

    /// <inheritdoc/>
    public DataPosition Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value.Epoch);
            ArgumentOutOfRangeException.ThrowIfNegative(value.Index);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Index, BatchesPerEpoch);
            _position = value;
        }
    }

    /// <inheritdoc/>
    public Batch<T> CreateBatch() => new(MaxSteps, BatchSize, 2, 1);

    /// <inheritdoc/>
    public bool Next(Batch<T> batch)
    {
        BatchChecks.Fits(batch, this);
        if (_position.Index >= BatchesPerEpoch)
        {
            _position = new DataPosition(_position.Epoch + 1, 0);
            return false;
        }

        var random = new DeterministicRandom(_seed, ((ulong)_position.Epoch * (ulong)BatchesPerEpoch) + (ulong)_position.Index);
        int steps = MaxSteps, batchSize = BatchSize, half = steps / 2;
        batch.SetShape(steps, batchSize);
        batch.LossSteps = LossSteps.Last;
        batch.HasMask = false;
        batch.ContinuesStreams = false;
        Span<T> inputs = batch.Inputs, values = batch.Values;
        values.Clear();
        for (int b = 0; b < batchSize; b++)
        {
            int first = random.NextInt(half), second = half + random.NextInt(steps - half);
            double sum = 0;
            for (int t = 0; t < steps; t++)
            {
                int row = (t * batchSize) + b;
                T value = T.CreateTruncating(random.NextDouble());
                bool marked = t == first || t == second;
                inputs[2 * row] = value;
                inputs[(2 * row) + 1] = marked ? T.One : T.Zero;
                if (marked)
                {
                    sum += double.CreateTruncating(value);
                }
            }

            values[((steps - 1) * batchSize) + b] = T.CreateTruncating(sum);
        }

        _position = _position with { Index = _position.Index + 1 };
        return true;
    }
}
