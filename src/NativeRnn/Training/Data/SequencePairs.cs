using System;
using System.Collections.Generic;
using System.Numerics;

namespace NativeRnn.Training;

/// <summary>
/// Paired token sequences for one model that reads its input and answers after an output lag <c>τ</c> (the framing of
/// a translation that waits for its source): step <c>t</c> reads the source token <c>t</c> (then <see cref="PadToken"/>),
/// and the target of step <c>τ + j</c> is target token <c>j</c>; only those positions count (a mask), and the loss is
/// their mean. A batch is as long as its longest pair needs, <c>max(|source|, τ + |target|)</c>, at most
/// <see cref="MaxSteps"/>. With a seed, the pairs are shuffled every epoch.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public sealed class SequencePairs<T> : IBatchSource<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly int[] _tokens;
    private readonly int[] _sourceStart;
    private readonly int[] _sourceLength;
    private readonly int[] _targetStart;
    private readonly int[] _targetLength;
    private readonly int[] _order;
    private readonly ulong? _seed;
    private DataPosition _position;

    /// <summary>Collects the pairs into one flat store.</summary>
    /// <param name="pairs">Source and target token ids, each sequence non-empty.</param>
    /// <param name="batchSize">Pairs per batch.</param>
    /// <param name="lag">The output lag <c>τ</c>: the step of the first target token.</param>
    /// <param name="padToken">The input token after the source ends.</param>
    /// <param name="seed">With a value, the pair order is shuffled every epoch.</param>
    /// <exception cref="ArgumentException">A sequence is empty or a token is negative.</exception>
    public SequencePairs(IReadOnlyList<(int[] Source, int[] Target)> pairs, int batchSize, int lag, int padToken, ulong? seed = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(lag);
        ArgumentOutOfRangeException.ThrowIfNegative(padToken);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("There must be at least one pair.", nameof(pairs));
        }

        int count = pairs.Count;
        _sourceStart = new int[count];
        _sourceLength = new int[count];
        _targetStart = new int[count];
        _targetLength = new int[count];
        int total = 0, longest = 0;
        for (int i = 0; i < count; i++)
        {
            (int[] source, int[] target) = pairs[i];
            if (source is not { Length: > 0 } || target is not { Length: > 0 })
            {
                throw new ArgumentException($"Pair {i} has an empty source or target.", nameof(pairs));
            }

            total += source.Length + target.Length;
            longest = Math.Max(longest, Math.Max(source.Length, lag + target.Length));
        }

        _tokens = new int[total];
        int next = 0;
        for (int i = 0; i < count; i++)
        {
            (int[] source, int[] target) = pairs[i];
            foreach (int token in source)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(token, nameof(pairs));
            }

            foreach (int token in target)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(token, nameof(pairs));
            }

            _sourceStart[i] = next;
            _sourceLength[i] = source.Length;
            source.CopyTo(_tokens, next);
            next += source.Length;
            _targetStart[i] = next;
            _targetLength[i] = target.Length;
            target.CopyTo(_tokens, next);
            next += target.Length;
        }

        _order = new int[count];
        _seed = seed;
        Lag = lag;
        PadToken = padToken;
        BatchSize = batchSize;
        MaxSteps = longest;
        Position = default;
    }

    /// <summary>The output lag <c>τ</c>.</summary>
    public int Lag { get; }

    /// <summary>The input token after a source ends.</summary>
    public int PadToken { get; }

    /// <summary>Pairs held.</summary>
    public int Count => _order.Length;

    /// <inheritdoc/>
    public int MaxSteps { get; }

    /// <inheritdoc/>
    public int BatchSize { get; }

    /// <inheritdoc/>
    public int InputWidth => 0;

    /// <inheritdoc/>
    public int TargetWidth => 0;

    /// <inheritdoc/>
    public long BatchesPerEpoch => (Count + BatchSize - 1) / BatchSize;

    /// <inheritdoc/>
    public DataPosition Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value.Epoch);
            ArgumentOutOfRangeException.ThrowIfNegative(value.Index);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value.Index, BatchesPerEpoch);
            DataSplit.Order(_order, _seed, value.Epoch);
            _position = value;
        }
    }

    /// <inheritdoc/>
    public Batch<T> CreateBatch() => new(MaxSteps, BatchSize, 0, 0);

    /// <inheritdoc/>
    public bool Next(Batch<T> batch)
    {
        BatchChecks.Fits(batch, this);
        if (_position.Index >= BatchesPerEpoch)
        {
            Position = new DataPosition(_position.Epoch + 1, 0);
            return false;
        }

        int first = (int)_position.Index * BatchSize;
        int sequences = Math.Min(BatchSize, Count - first);
        int steps = 0;
        for (int b = 0; b < sequences; b++)
        {
            int pair = _order[first + b];
            steps = Math.Max(steps, Math.Max(_sourceLength[pair], Lag + _targetLength[pair]));
        }

        batch.SetShape(steps, sequences);
        batch.LossSteps = LossSteps.All;
        batch.HasMask = true;
        batch.ContinuesStreams = false;
        Span<int> inputs = batch.Tokens, targets = batch.Classes;
        Span<bool> mask = batch.Mask;
        for (int b = 0; b < sequences; b++)
        {
            int pair = _order[first + b];
            for (int t = 0; t < steps; t++)
            {
                int row = (t * sequences) + b;
                inputs[row] = t < _sourceLength[pair] ? _tokens[_sourceStart[pair] + t] : PadToken;
                int j = t - Lag;
                bool counts = j >= 0 && j < _targetLength[pair];
                mask[row] = counts;
                targets[row] = counts ? _tokens[_targetStart[pair] + j] : 0;
            }
        }

        _position = _position with { Index = _position.Index + 1 };
        return true;
    }
}
