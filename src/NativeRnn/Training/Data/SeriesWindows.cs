using System;
using System.Numerics;
using NativeRnn.Initialization;

namespace NativeRnn.Training;

/// <summary>What a window of a series is trained to predict.</summary>
public enum SeriesTargets
{
    /// <summary>Many-to-many: at every step <c>t</c> of the window, the value <c>horizon</c> steps after <c>x_t</c>.</summary>
    EveryStep,

    /// <summary>Many-to-one: only at the window's last step, the value <c>horizon</c> steps after it.</summary>
    LastStep,
}

/// <summary>
/// A real-valued (possibly multivariate) series cut into windows of <see cref="MaxSteps"/> steps, each an independent
/// sequence (the state starts at zero), with targets <c>horizon</c> steps ahead: many-to-many (every step) or
/// many-to-one (the last step). Windows start every <c>stride</c> steps; with a seed their order is shuffled every
/// epoch (a function of the seed and the epoch, so a saved position resumes exactly). Split a series into training and
/// validation parts by time (<see cref="DataSplit.ByTime{T}"/>), never at random, or the validation windows overlap the
/// training ones.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class SeriesWindows<T> : IBatchSource<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly ReadOnlyMemory<T> _series;
    private readonly int[] _targetColumns;
    private readonly int[] _order;
    private readonly ulong? _seed;
    private readonly int _stride;
    private readonly int _horizon;
    private DataPosition _position;

    /// <summary>Cuts <paramref name="series"/> into windows.</summary>
    /// <param name="series">Row-major <c>[length, features]</c> values, finite.</param>
    /// <param name="features">Values per step: the model's input size.</param>
    /// <param name="window">Steps per window.</param>
    /// <param name="batchSize">Windows per batch (the last batch of an epoch may hold fewer).</param>
    /// <param name="targets">Many-to-many or many-to-one.</param>
    /// <param name="horizon">How far ahead the target lies, at least 1.</param>
    /// <param name="stride">Steps between window starts, at least 1.</param>
    /// <param name="targetColumns">The features to predict (the model's outputs), or null for all of them.</param>
    /// <param name="seed">With a value, the window order is shuffled every epoch.</param>
    /// <exception cref="ArgumentException">The series is too short, not finite, or a column is out of range.</exception>
    public SeriesWindows(ReadOnlyMemory<T> series, int features, int window, int batchSize, SeriesTargets targets = SeriesTargets.EveryStep, int horizon = 1, int stride = 1, int[]? targetColumns = null, ulong? seed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(window);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(horizon);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        if (series.Length % features != 0)
        {
            throw new ArgumentException($"The series has {series.Length} values, not a whole number of steps of {features} features.", nameof(series));
        }

        Kernels.Guard.Finite(series.Span, nameof(series));
        int length = series.Length / features;
        if (length < window + horizon)
        {
            throw new ArgumentException($"The series has {length} steps, fewer than one window of {window} plus the horizon {horizon}.", nameof(series));
        }

        _targetColumns = targetColumns is null ? [.. System.Linq.Enumerable.Range(0, features)] : (int[])targetColumns.Clone();
        foreach (int column in _targetColumns)
        {
            if ((uint)column >= (uint)features)
            {
                throw new ArgumentException($"Target column {column} is not one of the {features} features.", nameof(targetColumns));
            }
        }

        _series = series;
        _seed = seed;
        _stride = stride;
        _horizon = horizon;
        Features = features;
        MaxSteps = window;
        BatchSize = batchSize;
        Targets = targets;
        WindowCount = ((length - window - horizon) / stride) + 1;
        _order = new int[WindowCount];
        Position = default;
    }

    /// <summary>Values per step.</summary>
    public int Features { get; }

    /// <summary>What the windows are trained to predict.</summary>
    public SeriesTargets Targets { get; }

    /// <summary>Windows in the series.</summary>
    public int WindowCount { get; }

    /// <inheritdoc/>
    public int MaxSteps { get; }

    /// <inheritdoc/>
    public int BatchSize { get; }

    /// <inheritdoc/>
    public int InputWidth => Features;

    /// <inheritdoc/>
    public int TargetWidth => _targetColumns.Length;

    /// <inheritdoc/>
    public long BatchesPerEpoch => (WindowCount + BatchSize - 1) / BatchSize;

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
    public Batch<T> CreateBatch() => new(MaxSteps, BatchSize, Features, TargetWidth);

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
        int sequences = Math.Min(BatchSize, WindowCount - first);
        int steps = MaxSteps, features = Features, width = TargetWidth;
        batch.SetShape(steps, sequences);
        batch.LossSteps = Targets == SeriesTargets.LastStep ? LossSteps.Last : LossSteps.All;
        batch.HasMask = false;
        batch.ContinuesStreams = false;
        ReadOnlySpan<T> series = _series.Span;
        Span<T> inputs = batch.Inputs, values = batch.Values;
        values.Clear();
        for (int b = 0; b < sequences; b++)
        {
            int start = _order[first + b] * _stride;
            for (int t = 0; t < steps; t++)
            {
                int row = (t * sequences) + b;
                series.Slice((start + t) * features, features).CopyTo(inputs.Slice(row * features, features));
                if (Targets == SeriesTargets.EveryStep || t == steps - 1)
                {
                    ReadOnlySpan<T> ahead = series.Slice((start + t + _horizon) * features, features);
                    for (int j = 0; j < width; j++)
                    {
                        values[(row * width) + j] = ahead[_targetColumns[j]];
                    }
                }
            }
        }

        _position = _position with { Index = _position.Index + 1 };
        return true;
    }
}
