using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NativeRnn.Kernels;

/// <summary>
/// Argument checks shared by the runtime and the generated code. Each failure names what was
/// expected and what came, and happens before anything is written, so a failed call changes nothing.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class Guard
{
    /// <summary>Throws unless a span has exactly the expected length.</summary>
    /// <param name="actual">The span's length.</param>
    /// <param name="expected">The length the shape requires.</param>
    /// <param name="name">The argument's name.</param>
    /// <param name="shape">The expected shape in words, e.g. <c>"[steps·batch, 3]"</c>.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static void Length(int actual, long expected, string name, string shape)
    {
        if (actual != expected)
        {
            ThrowLength(actual, expected, name, shape);
        }
    }

    /// <summary>Throws if any element is NaN or infinite.</summary>
    /// <param name="values">The values.</param>
    /// <param name="name">The argument's name.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException">An element is not finite; the message gives the first one's index.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Finite<T>(ReadOnlySpan<T> values, string name)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!AllFinite(values))
        {
            ThrowNonFinite(values, name);
        }
    }

    /// <summary>Throws if any of several streams' states, laid end to end, holds NaN or ∞.</summary>
    /// <param name="states">The states, <paramref name="stateSize"/> elements each.</param>
    /// <param name="stateSize">Elements of one state.</param>
    /// <param name="name">The argument's name.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException">A state is not finite; the message names the stream and the element.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void FiniteStates<T>(ReadOnlySpan<T> states, int stateSize, string name)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!AllFinite(states))
        {
            ThrowNonFiniteState(states, stateSize, name);
        }
    }

    /// <summary>Throws if a block that a pass adds into (a gradient block) already holds NaN or ∞.</summary>
    /// <param name="values">The block.</param>
    /// <param name="name">The argument's name.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException">An element is not finite; nothing was added.</exception>
    public static void FiniteAccumulator<T>(ReadOnlySpan<T> values, string name)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!AllFinite(values))
        {
            ThrowNonFiniteAccumulator(values, name);
        }
    }

    /// <summary>Throws unless <paramref name="value"/> lies in [1, <paramref name="maximum"/>].</summary>
    /// <param name="value">The value.</param>
    /// <param name="maximum">The largest allowed value.</param>
    /// <param name="name">The argument's name.</param>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public static void InRange(int value, int maximum, string name)
    {
        if (value < 1 || value > maximum)
        {
            throw new ArgumentOutOfRangeException(name, value, $"'{name}' must be between 1 and {maximum}.");
        }
    }

    /// <summary>Whether every element is finite (no NaN, no ±∞).</summary>
    /// <param name="values">The values.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>True when all are finite.</returns>
    /// <remarks>
    /// Inlined: a step checks its input and state on every call, and for those few vectors a call, a
    /// horizontal sum and a scalar tail cost more than the check (about 20 ns a step on a small LSTM).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllFinite<T>(ReadOnlySpan<T> values)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T start = ref MemoryMarshal.GetReference(values);
        int length = values.Length;
        if (Simd256<T>.IsAccelerated && length >= Simd256<T>.Count)
        {
            return ZeroProductsAreZero<Simd256<T>, Vector256<T>, T>(ref start, length);
        }

        if (Simd128<T>.IsAccelerated && length >= Simd128<T>.Count)
        {
            return ZeroProductsAreZero<Simd128<T>, Vector128<T>, T>(ref start, length);
        }

        // x·0 is 0 for finite x and NaN otherwise, and NaN survives every addition.
        T sum = T.Zero;
        for (int i = 0; i < length; i++)
        {
            sum += Unsafe.Add(ref start, i) * T.Zero;
        }

        return sum == T.Zero;
    }

    /// <summary>
    /// Whether <c>Σ x·0</c> over at least one full vector is zero, in whole vectors: the last one is read
    /// from <c>length − width</c>, overlapping the one before it, so there is no scalar tail.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool ZeroProductsAreZero<TOps, TVector, T>(ref T start, int length)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TOps.Count, last = length - width;
        TVector zero = TOps.Zero;
        TVector a0 = TOps.MultiplyAdd(TOps.Load(ref Unsafe.Add(ref start, last)), zero, zero);
        TVector a1 = zero;
        int i = 0;
        for (; i + (2 * width) <= last; i += 2 * width)
        {
            a0 = TOps.MultiplyAdd(TOps.Load(ref Unsafe.Add(ref start, i)), zero, a0);
            a1 = TOps.MultiplyAdd(TOps.Load(ref Unsafe.Add(ref start, i + width)), zero, a1);
        }

        // Fewer than two vectors are left before the last one.
        if (i < last)
        {
            a1 = TOps.MultiplyAdd(TOps.Load(ref Unsafe.Add(ref start, i)), zero, a1);
            i += width;
        }

        if (i < last)
        {
            a0 = TOps.MultiplyAdd(TOps.Load(ref Unsafe.Add(ref start, i)), zero, a0);
        }

        return TOps.AllZero(TOps.Add(a0, a1));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLength(int actual, long expected, string name, string shape)
        => throw new ArgumentException($"'{name}' must have {expected} elements ({shape}) but has {actual}.", name);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNonFiniteAccumulator<T>(ReadOnlySpan<T> values, string name)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int i = 0;
        while (i < values.Length && T.IsFinite(values[i]))
        {
            i++;
        }

        string found = i < values.Length ? $"{values[i]} at index {i}" : "a non-finite value";
        throw new ArgumentException($"'{name}' already holds {found}; the backward pass adds into it, so it must be finite (zero it before the first pass). Nothing was added.", name);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNonFiniteState<T>(ReadOnlySpan<T> states, int stateSize, string name)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < states.Length; i++)
        {
            if (!T.IsFinite(states[i]))
            {
                throw new ArgumentException($"'{name}[{i / stateSize}]' has a non-finite value ({states[i]}) at element {i % stateSize}; states must be finite. No state was changed.", name);
            }
        }

        throw new ArgumentException($"'{name}' has a non-finite value.", name);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowNonFinite<T>(ReadOnlySpan<T> values, string name)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!T.IsFinite(values[i]))
            {
                throw new ArgumentException($"'{name}' has a non-finite value ({values[i]}) at index {i}; inputs, states and gradients must be finite.", name);
            }
        }

        throw new ArgumentException($"'{name}' has a non-finite value.", name);
    }
}
