using System;
using System.Numerics;

namespace NativeRnn.Training;

/// <summary>
/// One minibatch, time-major as the models take it (row <c>t·Sequences + b</c> is step <c>t</c> of sequence <c>b</c>):
/// inputs (token ids, or <see cref="InputWidth"/> values per position), targets (classes, or <see cref="TargetWidth"/>
/// values per position), an optional mask of the positions that count, which steps the loss counts, and whether the
/// batch continues the streams of the one before (truncated BPTT). Allocated once at its largest shape; a data source
/// refills it for every batch, so serving batches allocates nothing.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class Batch<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly int[] _tokens;
    private readonly T[] _inputs;
    private readonly int[] _classes;
    private readonly T[] _values;
    private readonly bool[] _mask;

    /// <summary>Allocates a batch.</summary>
    /// <param name="maxSteps">Most steps per sequence.</param>
    /// <param name="maxSequences">Most sequences.</param>
    /// <param name="inputWidth">Values per input position, or 0 for token ids.</param>
    /// <param name="targetWidth">Values per target position, or 0 for class targets.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    public Batch(int maxSteps, int maxSequences, int inputWidth, int targetWidth)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSequences);
        ArgumentOutOfRangeException.ThrowIfNegative(inputWidth);
        ArgumentOutOfRangeException.ThrowIfNegative(targetWidth);
        int rows = checked(maxSteps * maxSequences);
        MaxSteps = maxSteps;
        MaxSequences = maxSequences;
        InputWidth = inputWidth;
        TargetWidth = targetWidth;
        _tokens = inputWidth == 0 ? new int[rows] : [];
        _inputs = inputWidth > 0 ? new T[checked(rows * inputWidth)] : [];
        _classes = targetWidth == 0 ? new int[rows] : [];
        _values = targetWidth > 0 ? new T[checked(rows * targetWidth)] : [];
        _mask = new bool[rows];
        Steps = maxSteps;
        Sequences = maxSequences;
    }

    /// <summary>Most steps per sequence.</summary>
    public int MaxSteps { get; }

    /// <summary>Most sequences.</summary>
    public int MaxSequences { get; }

    /// <summary>Values per input position, or 0 when the inputs are token ids.</summary>
    public int InputWidth { get; }

    /// <summary>Values per target position, or 0 when the targets are classes.</summary>
    public int TargetWidth { get; }

    /// <summary>Whether the inputs are token ids (<see cref="Tokens"/>) rather than values (<see cref="Inputs"/>).</summary>
    public bool HasTokenInputs => InputWidth == 0;

    /// <summary>Whether the targets are classes (<see cref="Classes"/>, softmax cross-entropy) rather than values (<see cref="Values"/>, mean squared error).</summary>
    public bool HasClassTargets => TargetWidth == 0;

    /// <summary>Steps of the current shape.</summary>
    public int Steps { get; private set; }

    /// <summary>Sequences of the current shape.</summary>
    public int Sequences { get; private set; }

    /// <summary>Rows of the current shape: <c>Steps · Sequences</c>.</summary>
    public int Rows => Steps * Sequences;

    /// <summary>Which steps the loss counts.</summary>
    public LossSteps LossSteps { get; set; }

    /// <summary>Whether <see cref="Mask"/> holds: positions whose mask is false do not count (padding).</summary>
    public bool HasMask { get; set; }

    /// <summary>
    /// Whether each sequence continues the one in the same place of the previous batch (a chunk of a long stream): the
    /// trainer then starts from the state the previous batch ended in; otherwise from zero.
    /// </summary>
    public bool ContinuesStreams { get; set; }

    /// <summary>Token ids <c>[Steps, Sequences]</c> (token inputs only).</summary>
    public Span<int> Tokens => _tokens.AsSpan(0, HasTokenInputs ? Rows : 0);

    /// <summary>Input values <c>[Steps, Sequences, InputWidth]</c> (value inputs only).</summary>
    public Span<T> Inputs => _inputs.AsSpan(0, Rows * InputWidth);

    /// <summary>Target classes <c>[Steps, Sequences]</c> (class targets only).</summary>
    public Span<int> Classes => _classes.AsSpan(0, HasClassTargets ? Rows : 0);

    /// <summary>Target values <c>[Steps, Sequences, TargetWidth]</c> (value targets only).</summary>
    public Span<T> Values => _values.AsSpan(0, Rows * TargetWidth);

    /// <summary>The mask <c>[Steps, Sequences]</c>, read when <see cref="HasMask"/>.</summary>
    public Span<bool> Mask => _mask.AsSpan(0, Rows);

    /// <summary>Sets the shape of the batch's next contents.</summary>
    /// <param name="steps">Steps, 1 to <see cref="MaxSteps"/>.</param>
    /// <param name="sequences">Sequences, 1 to <see cref="MaxSequences"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    public void SetShape(int steps, int sequences)
    {
        Kernels.Guard.InRange(steps, MaxSteps, nameof(steps));
        Kernels.Guard.InRange(sequences, MaxSequences, nameof(sequences));
        Steps = steps;
        Sequences = sequences;
    }

    /// <summary>The number of positions the loss counts: selected steps, and mask true where there is a mask.</summary>
    /// <returns>The count.</returns>
    public int CountedPositions() => new LossPositions(Steps, Sequences, LossSteps, HasMask ? Mask : default).Count();
}
