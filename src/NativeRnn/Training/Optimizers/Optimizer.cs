using System;
using System.Numerics;
using System.Runtime.InteropServices;
using NativeRnn.Kernels;

namespace NativeRnn.Training;

/// <summary>
/// A first-order optimiser over a model's flat parameter block, in the manner of <c>torch.optim</c>: each step reads the
/// gradient block (same layout as the parameters) and updates the parameters and the optimiser's own state in place.
/// The state is one flat block of <see cref="StateBlocks"/> × <see cref="ParameterCount"/> elements plus
/// <see cref="StepCount"/>, so a checkpoint saves and restores it exactly.
/// </summary>
/// <remarks>
/// A step whose gradient is not finite, or whose update would make any parameter or state value non-finite, is refused
/// before anything is written (<see cref="TryStep"/> returns false): parameters, state and <see cref="StepCount"/> stay
/// exactly as they were. Hyper-parameters are checked in the element type, so a learning rate that rounds to 0 or ∞ in
/// <typeparamref name="T"/> is refused when it is set. Updates use only exactly rounded operations (no fused
/// multiply-add), so every vector width gives the same bits. A step allocates nothing.
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public abstract class Optimizer<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly T[] _state;
    private double _learningRate;
    private double _weightDecay;
    private long _stepCount;

    private protected Optimizer(int parameterCount, int stateBlocks, double learningRate, double weightDecay)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ParameterCount = parameterCount;
        StateBlocks = stateBlocks;
        _state = new T[(long)stateBlocks * parameterCount];
        LearningRate = learningRate;
        WeightDecay = weightDecay;
    }

    /// <summary>Elements of the parameter block the optimiser updates.</summary>
    public int ParameterCount { get; }

    /// <summary>Blocks of <see cref="ParameterCount"/> elements in <see cref="State"/> (Adam: 2, the moments <c>m</c> and <c>v</c>).</summary>
    public int StateBlocks { get; }

    /// <summary>The whole state, block after block, each laid out as the parameters. Writable, for restoring a checkpoint.</summary>
    public Span<T> State => _state;

    /// <summary>Steps applied so far (refused steps do not count); Adam's bias correction uses it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long StepCount
    {
        get => _stepCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _stepCount = value;
        }
    }

    /// <summary>The step size <c>η</c>; a schedule may set it before every step.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive and finite in <typeparamref name="T"/>.</exception>
    public double LearningRate
    {
        get => _learningRate;
        set
        {
            Checked(value, nameof(LearningRate), allowZero: false);
            _learningRate = value;
        }
    }

    /// <summary>The weight decay <c>λ</c> (0: none); how it enters the update is in each optimiser's formula.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite in <typeparamref name="T"/>.</exception>
    public double WeightDecay
    {
        get => _weightDecay;
        set
        {
            Checked(value, nameof(WeightDecay), allowZero: true);
            _weightDecay = value;
        }
    }

    /// <summary>One block of the state (see <see cref="StateBlocks"/>).</summary>
    /// <param name="index">Block index.</param>
    /// <returns>A view of <see cref="ParameterCount"/> elements.</returns>
    public Span<T> StateBlock(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, StateBlocks);
        return _state.AsSpan(index * ParameterCount, ParameterCount);
    }

    /// <summary>Applies one step unless the gradient or the update is not finite. Allocates nothing.</summary>
    /// <param name="parameters">The parameter block, updated in place.</param>
    /// <param name="gradients">The gradient block, same layout.</param>
    /// <returns>True when the step was applied; false when it was refused and nothing changed.</returns>
    /// <exception cref="ArgumentException">A block has the wrong length.</exception>
    public bool TryStep(Span<T> parameters, ReadOnlySpan<T> gradients)
    {
        Guard.Length(parameters.Length, ParameterCount, nameof(parameters), "[ParameterCount]");
        Guard.Length(gradients.Length, ParameterCount, nameof(gradients), "[ParameterCount]");
        if (!Guard.AllFinite(gradients))
        {
            return false;
        }

        long step = _stepCount + 1;
        if (!Update(parameters, gradients, step, commit: false))
        {
            return false;
        }

        Update(parameters, gradients, step, commit: true);
        _stepCount = step;
        return true;
    }

    /// <summary>Whether <see cref="TryStep"/> would apply this step: the probe pass alone, writing nothing.</summary>
    internal bool CanStep(ReadOnlySpan<T> parameters, ReadOnlySpan<T> gradients)
        => parameters.Length == ParameterCount && gradients.Length == ParameterCount && Guard.AllFinite(gradients)
           && Update(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(parameters), parameters.Length), gradients, _stepCount + 1, commit: false);

    /// <summary>Applies one step, or throws when it must be refused (nothing changes then). Allocates nothing.</summary>
    /// <param name="parameters">The parameter block, updated in place.</param>
    /// <param name="gradients">The gradient block, same layout.</param>
    /// <exception cref="ArgumentException">A length is wrong, a gradient is not finite, or the update would make a parameter or state value non-finite.</exception>
    public void Step(Span<T> parameters, ReadOnlySpan<T> gradients)
    {
        if (!TryStep(parameters, gradients))
        {
            throw new ArgumentException(
                Guard.AllFinite(gradients)
                    ? "The update would make a parameter or the optimiser's state non-finite; nothing was changed. Lower the learning rate or clip the gradient."
                    : "The gradient holds NaN or ∞; nothing was changed.",
                nameof(gradients));
        }
    }

    /// <summary>Forgets the state: every block to its initial value and <see cref="StepCount"/> to 0.</summary>
    public virtual void Reset()
    {
        _state.AsSpan().Clear();
        _stepCount = 0;
    }

    /// <summary>Runs the optimiser's rule for step <paramref name="step"/> (1-based), probing or committing.</summary>
    private protected abstract bool Update(Span<T> parameters, ReadOnlySpan<T> gradients, long step, bool commit);

    /// <summary>Runs <paramref name="rule"/> over the blocks.</summary>
    private protected bool Run<TRule>(in TRule rule, Span<T> parameters, ReadOnlySpan<T> gradients, bool commit)
        where TRule : struct, Optimizers.IUpdateRule<T>
    {
        ref T s0 = ref MemoryMarshal.GetArrayDataReference(_state);
        ref T s1 = ref StateBlocks > 1 ? ref _state[ParameterCount] : ref s0;
        ref T s2 = ref StateBlocks > 2 ? ref _state[2 * ParameterCount] : ref s0;
        return Optimizers.UpdateDriver.Run(rule, ref MemoryMarshal.GetReference(parameters), ref MemoryMarshal.GetReference(gradients), ref s0, ref s1, ref s2, ParameterCount, commit);
    }

    /// <summary>A hyper-parameter as <typeparamref name="T"/>, refused unless it is finite and non-negative there (positive unless <paramref name="allowZero"/>).</summary>
    private protected static T Checked(double value, string name, bool allowZero)
    {
        T converted = T.CreateTruncating(value);
        bool valid = T.IsFinite(converted) && (allowZero ? converted >= T.Zero : converted > T.Zero) && double.IsFinite(value);
        if (!valid)
        {
            string reason = double.IsFinite(value) && value > 0 && T.IsZero(converted)
                ? $"; it is 0 in {typeof(T).Name}"
                : double.IsFinite(value) && !T.IsFinite(converted) ? $"; it overflows {typeof(T).Name}" : string.Empty;
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be {(allowZero ? "non-negative" : "positive")} and finite in {typeof(T).Name}{reason}.");
        }

        return converted;
    }

    /// <summary>A coefficient in <c>[0, 1)</c> (a decay rate or a β).</summary>
    private protected static double CheckedFraction(double value, string name)
    {
        if (!(value >= 0 && value < 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 0 and less than 1.");
        }

        return value;
    }
}
