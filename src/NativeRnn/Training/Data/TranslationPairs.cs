using System;
using System.Collections.Generic;
using System.Numerics;

namespace NativeRnn.Training;

/// <summary>
/// One batch of an encoder–decoder pair: the encoder's source tokens <c>[Ts, B]</c>, padded on the left so every
/// source ends at the last step (where the encoder's final state is taken), and the decoder's batch: inputs
/// <c>[start, y₀, y₁, …]</c>, targets <c>[y₀, y₁, …, end]</c> and a mask that ends after each target's end token
/// (teacher forcing).
/// </summary>
/// <typeparam name="T">The models' element type.</typeparam>
public sealed class TranslationBatch<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Allocates a batch.</summary>
    /// <param name="maxSourceSteps">Longest source.</param>
    /// <param name="maxTargetSteps">Longest target, plus one for the start or end token.</param>
    /// <param name="maxSequences">Most pairs.</param>
    public TranslationBatch(int maxSourceSteps, int maxTargetSteps, int maxSequences)
    {
        Source = new Batch<T>(maxSourceSteps, maxSequences, 0, 0);
        Target = new Batch<T>(maxTargetSteps, maxSequences, 0, 0);
    }

    /// <summary>The encoder's inputs (its targets are unused).</summary>
    public Batch<T> Source { get; }

    /// <summary>The decoder's inputs, targets and mask.</summary>
    public Batch<T> Target { get; }
}

/// <summary>
/// Paired token sequences for an encoder–decoder: the encoder reads the source (left-padded with
/// <see cref="PadToken"/>), its final state starts the decoder, and the decoder learns the target by teacher forcing
/// from <see cref="StartToken"/> to <see cref="EndToken"/>. With a seed the pairs are shuffled every epoch.
/// </summary>
/// <typeparam name="T">The models' element type.</typeparam>
public sealed class TranslationPairs<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly (int[] Source, int[] Target)[] _pairs;
    private readonly int[] _order;
    private readonly ulong? _seed;
    private DataPosition _position;

    /// <summary>Holds the pairs.</summary>
    /// <param name="pairs">Source and target token ids, each non-empty, none equal to the special tokens.</param>
    /// <param name="batchSize">Pairs per batch.</param>
    /// <param name="padToken">The source padding.</param>
    /// <param name="startToken">The decoder's first input.</param>
    /// <param name="endToken">The decoder's last target.</param>
    /// <param name="seed">With a value, the order is shuffled every epoch.</param>
    public TranslationPairs(IReadOnlyList<(int[] Source, int[] Target)> pairs, int batchSize, int padToken, int startToken, int endToken, ulong? seed = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("There must be at least one pair.", nameof(pairs));
        }

        _pairs = new (int[], int[])[pairs.Count];
        for (int i = 0; i < pairs.Count; i++)
        {
            (int[] source, int[] target) = pairs[i];
            if (source is not { Length: > 0 } || target is not { Length: > 0 })
            {
                throw new ArgumentException($"Pair {i} has an empty source or target.", nameof(pairs));
            }

            _pairs[i] = ((int[])source.Clone(), (int[])target.Clone());
            MaxSourceSteps = Math.Max(MaxSourceSteps, source.Length);
            MaxTargetSteps = Math.Max(MaxTargetSteps, target.Length + 1);
        }

        _order = new int[_pairs.Length];
        _seed = seed;
        BatchSize = batchSize;
        PadToken = padToken;
        StartToken = startToken;
        EndToken = endToken;
        Position = default;
    }

    /// <summary>Pairs per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Pairs held.</summary>
    public int Count => _pairs.Length;

    /// <summary>The longest source.</summary>
    public int MaxSourceSteps { get; }

    /// <summary>The longest target plus one.</summary>
    public int MaxTargetSteps { get; }

    /// <summary>The source padding.</summary>
    public int PadToken { get; }

    /// <summary>The decoder's first input.</summary>
    public int StartToken { get; }

    /// <summary>The decoder's last target.</summary>
    public int EndToken { get; }

    /// <summary>Batches in an epoch.</summary>
    public long BatchesPerEpoch => (Count + BatchSize - 1) / BatchSize;

    /// <summary>Where the source stands.</summary>
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

    /// <summary>The pair at <paramref name="index"/> in the order given.</summary>
    /// <param name="index">The index.</param>
    /// <returns>Source and target.</returns>
    public (int[] Source, int[] Target) this[int index] => _pairs[index];

    /// <summary>Allocates a batch this source can fill.</summary>
    /// <returns>The batch.</returns>
    public TranslationBatch<T> CreateBatch() => new(MaxSourceSteps, MaxTargetSteps, BatchSize);

    /// <summary>Fills the next batch; false at the end of an epoch (the position then moves to the next one).</summary>
    /// <param name="batch">A batch from <see cref="CreateBatch"/>.</param>
    /// <returns>Whether a batch was filled.</returns>
    public bool Next(TranslationBatch<T> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_position.Index >= BatchesPerEpoch)
        {
            Position = new DataPosition(_position.Epoch + 1, 0);
            return false;
        }

        int first = (int)_position.Index * BatchSize;
        int sequences = Math.Min(BatchSize, Count - first);
        int sourceSteps = 0, targetSteps = 0;
        for (int b = 0; b < sequences; b++)
        {
            (int[] source, int[] target) = _pairs[_order[first + b]];
            sourceSteps = Math.Max(sourceSteps, source.Length);
            targetSteps = Math.Max(targetSteps, target.Length + 1);
        }

        batch.Source.SetShape(sourceSteps, sequences);
        batch.Source.LossSteps = LossSteps.All;
        batch.Source.HasMask = false;
        batch.Source.ContinuesStreams = false;
        batch.Target.SetShape(targetSteps, sequences);
        batch.Target.LossSteps = LossSteps.All;
        batch.Target.HasMask = true;
        batch.Target.ContinuesStreams = false;
        Span<int> sourceTokens = batch.Source.Tokens, inputs = batch.Target.Tokens, targets = batch.Target.Classes;
        Span<bool> mask = batch.Target.Mask;
        batch.Source.Classes.Clear();
        for (int b = 0; b < sequences; b++)
        {
            (int[] source, int[] target) = _pairs[_order[first + b]];
            int pad = sourceSteps - source.Length;
            for (int t = 0; t < sourceSteps; t++)
            {
                sourceTokens[(t * sequences) + b] = t < pad ? PadToken : source[t - pad];
            }

            for (int t = 0; t < targetSteps; t++)
            {
                int row = (t * sequences) + b;
                inputs[row] = t == 0 ? StartToken : t <= target.Length ? target[t - 1] : PadToken;
                targets[row] = t < target.Length ? target[t] : t == target.Length ? EndToken : 0;
                mask[row] = t <= target.Length;
            }
        }

        _position = _position with { Index = _position.Index + 1 };
        return true;
    }
}
