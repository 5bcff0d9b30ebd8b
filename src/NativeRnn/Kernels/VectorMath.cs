using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NativeRnn.Kernels;

/// <summary>Vectorised reductions and maps over contiguous spans, for losses, clipping and optimisers.</summary>
internal static class VectorMath
{
    /// <summary>Largest element (the span must not be empty).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T Max<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T start = ref MemoryMarshal.GetReference(x);
        int i = 0;
        T result = x[0];
        if (Simd256<T>.IsAccelerated && x.Length >= Vector256<T>.Count)
        {
            Vector256<T> m = Vector256.LoadUnsafe(ref start);
            for (i = Vector256<T>.Count; i + Vector256<T>.Count <= x.Length; i += Vector256<T>.Count)
            {
                m = Vector256.Max(m, Vector256.LoadUnsafe(ref Unsafe.Add(ref start, i)));
            }

            for (int lane = 0; lane < Vector256<T>.Count; lane++)
            {
                result = T.Max(result, m.GetElement(lane));
            }
        }

        for (; i < x.Length; i++)
        {
            result = T.Max(result, Unsafe.Add(ref start, i));
        }

        return result;
    }

    /// <summary><c>x[i] ← e^(x[i] − shift)</c>; returns <c>Σ x[i]</c> afterwards.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T ExpShiftedSum<T>(Span<T> x, T shift)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T start = ref MemoryMarshal.GetReference(x);
        int i = 0;
        T sum = T.Zero;
        if (Simd256<T>.IsAccelerated)
        {
            Vector256<T> s = Vector256.Create(shift);
            Vector256<T> acc = Vector256<T>.Zero;
            for (; i + Vector256<T>.Count <= x.Length; i += Vector256<T>.Count)
            {
                ref T xi = ref Unsafe.Add(ref start, i);
                Vector256<T> e = Simd256<T>.Exp(Vector256.LoadUnsafe(ref xi) - s);
                e.StoreUnsafe(ref xi);
                acc += e;
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < x.Length; i++)
        {
            ref T xi = ref Unsafe.Add(ref start, i);
            xi = T.Exp(xi - shift);
            sum += xi;
        }

        return sum;
    }

    /// <summary><c>y[i] ← y[i] + x[i]</c> (a reduction of gradient blocks, always in the same order).</summary>
    public static void AddInto<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Guard.Length(x.Length, y.Length, nameof(x), "the length of the destination");
        ElementwiseDriver.MapInPlace<AddOperator<T>, T>(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), x.Length);
    }

    /// <summary><c>x[i] ← x[i] · scale</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale<T>(Span<T> x, T scale)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T start = ref MemoryMarshal.GetReference(x);
        int i = 0;
        if (Simd256<T>.IsAccelerated)
        {
            Vector256<T> s = Vector256.Create(scale);
            for (; i + Vector256<T>.Count <= x.Length; i += Vector256<T>.Count)
            {
                ref T xi = ref Unsafe.Add(ref start, i);
                (Vector256.LoadUnsafe(ref xi) * s).StoreUnsafe(ref xi);
            }
        }
        else if (Simd128<T>.IsAccelerated)
        {
            Vector128<T> s = Vector128.Create(scale);
            for (; i + Vector128<T>.Count <= x.Length; i += Vector128<T>.Count)
            {
                ref T xi = ref Unsafe.Add(ref start, i);
                (Vector128.LoadUnsafe(ref xi) * s).StoreUnsafe(ref xi);
            }
        }

        for (; i < x.Length; i++)
        {
            Unsafe.Add(ref start, i) *= scale;
        }
    }

    /// <summary>
    /// <c>Σ x[i]²</c> accumulated in double (float elements are widened exactly), so a float
    /// gradient of any finite size neither overflows nor loses small terms to rounding.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares<T>(ReadOnlySpan<T> x, double scale = 1.0)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T start = ref MemoryMarshal.GetReference(x);
        int i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> s = Vector256.Create(scale);
            Vector256<double> a0 = Vector256<double>.Zero, a1 = Vector256<double>.Zero;
            if (typeof(T) == typeof(float))
            {
                ref float f = ref Unsafe.As<T, float>(ref start);
                for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
                {
                    (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(Vector256.LoadUnsafe(ref Unsafe.Add(ref f, i)));
                    lower *= s;
                    upper *= s;
                    a0 = Simd256<double>.MultiplyAdd(lower, lower, a0);
                    a1 = Simd256<double>.MultiplyAdd(upper, upper, a1);
                }
            }
            else if (typeof(T) == typeof(double))
            {
                ref double d = ref Unsafe.As<T, double>(ref start);
                for (; i + (2 * Vector256<double>.Count) <= x.Length; i += 2 * Vector256<double>.Count)
                {
                    Vector256<double> v0 = Vector256.LoadUnsafe(ref Unsafe.Add(ref d, i)) * s;
                    Vector256<double> v1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref d, i + Vector256<double>.Count)) * s;
                    a0 = Simd256<double>.MultiplyAdd(v0, v0, a0);
                    a1 = Simd256<double>.MultiplyAdd(v1, v1, a1);
                }
            }

            sum = Vector256.Sum(a0 + a1);
        }

        for (; i < x.Length; i++)
        {
            double v = double.CreateTruncating(Unsafe.Add(ref start, i)) * scale;
            sum += v * v;
        }

        return sum;
    }

    /// <summary>Largest <c>|x[i]|</c> as a double (NaN if any element is NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double MaxAbs<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double result = 0;
        foreach (T value in x)
        {
            double a = Math.Abs(double.CreateTruncating(value));
            if (double.IsNaN(a))
            {
                return a;
            }

            result = Math.Max(result, a);
        }

        return result;
    }

    /// <summary>Whether <c>p[i] − rate·g[i]</c> is finite for every i (checked before an update writes anything).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool UpdateStaysFinite<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> g, T rate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T ps = ref MemoryMarshal.GetReference(p);
        ref T gs = ref MemoryMarshal.GetReference(g);
        int i = 0;
        T sum = T.Zero;
        if (Simd256<T>.IsAccelerated)
        {
            Vector256<T> r = Vector256.Create(-rate);
            Vector256<T> acc = Vector256<T>.Zero;
            for (; i + Vector256<T>.Count <= p.Length; i += Vector256<T>.Count)
            {
                Vector256<T> updated = Simd256<T>.MultiplyAdd(r, Vector256.LoadUnsafe(ref Unsafe.Add(ref gs, i)), Vector256.LoadUnsafe(ref Unsafe.Add(ref ps, i)));
                acc = Simd256<T>.MultiplyAdd(updated, Vector256<T>.Zero, acc);
            }

            sum = Vector256.Sum(acc);
        }

        for (; i < p.Length; i++)
        {
            sum += (Unsafe.Add(ref ps, i) - (rate * Unsafe.Add(ref gs, i))) * T.Zero;
        }

        return sum == T.Zero;
    }

    /// <summary><c>p[i] ← p[i] − rate·g[i]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SubtractScaled<T>(Span<T> p, ReadOnlySpan<T> g, T rate)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ref T ps = ref MemoryMarshal.GetReference(p);
        ref T gs = ref MemoryMarshal.GetReference(g);
        int i = 0;
        if (Simd256<T>.IsAccelerated)
        {
            Vector256<T> r = Vector256.Create(-rate);
            for (; i + Vector256<T>.Count <= p.Length; i += Vector256<T>.Count)
            {
                ref T pi = ref Unsafe.Add(ref ps, i);
                Simd256<T>.MultiplyAdd(r, Vector256.LoadUnsafe(ref Unsafe.Add(ref gs, i)), Vector256.LoadUnsafe(ref pi)).StoreUnsafe(ref pi);
            }
        }

        for (; i < p.Length; i++)
        {
            Unsafe.Add(ref ps, i) -= rate * Unsafe.Add(ref gs, i);
        }
    }
}
