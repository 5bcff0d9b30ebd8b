using System;
using System.Numerics;
using NativeRnn.Initialization;

namespace NativeRnn.Training;

/// <summary>
/// A long token sequence cut as char-rnn cuts it: into <see cref="BatchSize"/> parallel streams of equal length, each read
/// in chunks of <see cref="MaxSteps"/> steps. Batch <c>c</c> of an epoch holds chunk <c>c</c> of every stream, with the
/// next token as each position's target, so sequence <c>b</c> of one batch continues sequence <c>b</c> of the batch before
/// (<see cref="Batch{T}.ContinuesStreams"/>): truncated BPTT carries the state across chunks and stops the gradient at
/// their edges. The last chunk of an epoch may be shorter. With a seed, each epoch after the first starts at a random
/// offset below the chunk length, so chunk edges fall at new places; the offset is a function of the seed and the
/// epoch, so a saved position resumes exactly.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public sealed class TokenStreams<T> : IBatchSource<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly ReadOnlyMemory<int> _tokens;
    private readonly ulong? _seed;
    private DataPosition _position;
    private int _offset;
    private int _streamLength;

    /// <summary>Cuts <paramref name="tokens"/> into streams.</summary>
    /// <param name="tokens">The token ids of the whole text, each at least 0 (the model checks the vocabulary).</param>
    /// <param name="streams">Parallel streams: the batch size.</param>
    /// <param name="steps">Steps per chunk (the truncation length of BPTT).</param>
    /// <param name="seed">With a value, each epoch after the first starts at a random offset; without, every epoch is the same.</param>
    /// <exception cref="ArgumentException">The text is too short for the streams, or a token is negative.</exception>
    public TokenStreams(ReadOnlyMemory<int> tokens, int streams, int steps, ulong? seed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(streams);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        if (tokens.Length < (2 * streams) + steps)
        {
            throw new ArgumentException($"{tokens.Length} tokens are too few for {streams} streams of chunks of {steps}; give at least {(2 * streams) + steps}.", nameof(tokens));
        }

        ReadOnlySpan<int> span = tokens.Span;
        for (int i = 0; i < span.Length; i++)
        {
            if (span[i] < 0)
            {
                throw new ArgumentException($"Token {i} is {span[i]}; token ids are not negative.", nameof(tokens));
            }
        }

        _tokens = tokens;
        _seed = seed;
        BatchSize = streams;
        MaxSteps = steps;
        Position = default;
    }

    /// <inheritdoc/>
    public int MaxSteps { get; }

    /// <inheritdoc/>
    public int BatchSize { get; }

    /// <inheritdoc/>
    public int InputWidth => 0;

    /// <inheritdoc/>
    public int TargetWidth => 0;

    /// <summary>Tokens in each stream this epoch (each position's target is the token after it).</summary>
    public int StreamLength => _streamLength;

    /// <inheritdoc/>
    public long BatchesPerEpoch => (_streamLength + MaxSteps - 1) / MaxSteps;

    /// <summary>Tokens a full epoch trains on: streams × stream length.</summary>
    public long TokensPerEpoch => (long)_streamLength * BatchSize;

    /// <inheritdoc/>
    public DataPosition Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value.Epoch);
            ArgumentOutOfRangeException.ThrowIfNegative(value.Index);
            _offset = _seed is ulong seed && value.Epoch > 0 ? new DeterministicRandom(seed, (ulong)value.Epoch).NextInt(MaxSteps) : 0;
            _streamLength = (_tokens.Length - 1 - _offset) / BatchSize;
            if (value.Index > BatchesPerEpoch)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value.Index, $"An epoch has {BatchesPerEpoch} batches.");
            }

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

        int start = (int)_position.Index * MaxSteps;
        int steps = Math.Min(MaxSteps, _streamLength - start);
        batch.SetShape(steps, BatchSize);
        batch.LossSteps = LossSteps.All;
        batch.HasMask = false;
        batch.ContinuesStreams = _position.Index > 0;
        ReadOnlySpan<int> text = _tokens.Span;
        Span<int> inputs = batch.Tokens, targets = batch.Classes;
        for (int b = 0; b < BatchSize; b++)
        {
            int stream = _offset + (b * _streamLength) + start;
            for (int t = 0; t < steps; t++)
            {
                inputs[(t * BatchSize) + b] = text[stream + t];
                targets[(t * BatchSize) + b] = text[stream + t + 1];
            }
        }

        _position = _position with { Index = _position.Index + 1 };
        return true;
    }
}
