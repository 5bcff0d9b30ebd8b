using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
#if !NET9_0_OR_GREATER
using System;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
#endif

namespace NativeRnn.Kernels;

/// <summary>
/// The vector operations the kernels need that .NET 9 added to <see cref="Vector128"/>,
/// <see cref="Vector256"/> and <see cref="Vector512"/>. On .NET 9 and later each forwards to the
/// runtime; on .NET 8 it compiles to the same instructions through the hardware intrinsics (behind
/// <c>IsSupported</c> checks the JIT folds), with a portable form for the software fallback.
/// </summary>
/// <remarks>
/// <c>MaxNative(a, b)</c> and <c>MinNative(a, b)</c> are what the hardware computes: if either lane is
/// NaN the result is <c>b</c> on x64 (<c>maxps</c>/<c>minps</c> return their second operand) and NaN on
/// ARM64, so a NaN in <c>b</c> survives on both — the kernels put the value being clamped second.
/// </remarks>
internal static class VectorCompat
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MaxNative<T>(Vector512<T> a, Vector512<T> b)
    {
#if NET9_0_OR_GREATER
        return Vector512.MaxNative(a, b);
#else
        if (Avx512F.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Avx512F.Max(a.AsSingle(), b.AsSingle()).As<float, T>();
            }

            if (typeof(T) == typeof(double))
            {
                return Avx512F.Max(a.AsDouble(), b.AsDouble()).As<double, T>();
            }
        }

        return Vector512.ConditionalSelect(Vector512.GreaterThan(a, b), a, b);
#endif
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MaxNative<T>(Vector256<T> a, Vector256<T> b)
    {
#if NET9_0_OR_GREATER
        return Vector256.MaxNative(a, b);
#else
        if (Avx.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Avx.Max(a.AsSingle(), b.AsSingle()).As<float, T>();
            }

            if (typeof(T) == typeof(double))
            {
                return Avx.Max(a.AsDouble(), b.AsDouble()).As<double, T>();
            }
        }

        return Vector256.ConditionalSelect(Vector256.GreaterThan(a, b), a, b);
#endif
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MaxNative<T>(Vector128<T> a, Vector128<T> b)
    {
#if NET9_0_OR_GREATER
        return Vector128.MaxNative(a, b);
#else
        if (Sse.IsSupported && typeof(T) == typeof(float))
        {
            return Sse.Max(a.AsSingle(), b.AsSingle()).As<float, T>();
        }

        if (Sse2.IsSupported && typeof(T) == typeof(double))
        {
            return Sse2.Max(a.AsDouble(), b.AsDouble()).As<double, T>();
        }

        if (AdvSimd.IsSupported && typeof(T) == typeof(float))
        {
            return AdvSimd.Max(a.AsSingle(), b.AsSingle()).As<float, T>();
        }

        if (AdvSimd.Arm64.IsSupported && typeof(T) == typeof(double))
        {
            return AdvSimd.Arm64.Max(a.AsDouble(), b.AsDouble()).As<double, T>();
        }

        return Vector128.ConditionalSelect(Vector128.GreaterThan(a, b), a, b);
#endif
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MinNative<T>(Vector512<T> a, Vector512<T> b)
    {
#if NET9_0_OR_GREATER
        return Vector512.MinNative(a, b);
#else
        if (Avx512F.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Avx512F.Min(a.AsSingle(), b.AsSingle()).As<float, T>();
            }

            if (typeof(T) == typeof(double))
            {
                return Avx512F.Min(a.AsDouble(), b.AsDouble()).As<double, T>();
            }
        }

        return Vector512.ConditionalSelect(Vector512.LessThan(a, b), a, b);
#endif
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MinNative<T>(Vector256<T> a, Vector256<T> b)
    {
#if NET9_0_OR_GREATER
        return Vector256.MinNative(a, b);
#else
        if (Avx.IsSupported)
        {
            if (typeof(T) == typeof(float))
            {
                return Avx.Min(a.AsSingle(), b.AsSingle()).As<float, T>();
            }

            if (typeof(T) == typeof(double))
            {
                return Avx.Min(a.AsDouble(), b.AsDouble()).As<double, T>();
            }
        }

        return Vector256.ConditionalSelect(Vector256.LessThan(a, b), a, b);
#endif
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MinNative<T>(Vector128<T> a, Vector128<T> b)
    {
#if NET9_0_OR_GREATER
        return Vector128.MinNative(a, b);
#else
        if (Sse.IsSupported && typeof(T) == typeof(float))
        {
            return Sse.Min(a.AsSingle(), b.AsSingle()).As<float, T>();
        }

        if (Sse2.IsSupported && typeof(T) == typeof(double))
        {
            return Sse2.Min(a.AsDouble(), b.AsDouble()).As<double, T>();
        }

        if (AdvSimd.IsSupported && typeof(T) == typeof(float))
        {
            return AdvSimd.Min(a.AsSingle(), b.AsSingle()).As<float, T>();
        }

        if (AdvSimd.Arm64.IsSupported && typeof(T) == typeof(double))
        {
            return AdvSimd.Arm64.Min(a.AsDouble(), b.AsDouble()).As<double, T>();
        }

        return Vector128.ConditionalSelect(Vector128.LessThan(a, b), a, b);
#endif
    }

    /// <summary>Each lane rounded to the nearest integer, ties to even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Round(Vector512<float> x)
    {
#if NET9_0_OR_GREATER
        return Vector512.Round(x);
#else
        if (Avx512F.IsSupported)
        {
            return Avx512F.RoundScale(x, RoundToNearestNoExceptions);
        }

        // |x| + 2²³ − 2²³ rounds to an integer, ties to even; from 2²³ on every float is an integer already.
        Vector512<float> magnitude = Vector512.Abs(x);
        Vector512<float> rounded = (magnitude + Vector512.Create(FloatIntegerThreshold)) - Vector512.Create(FloatIntegerThreshold);
        return Vector512.ConditionalSelect(Vector512.LessThan(magnitude, Vector512.Create(FloatIntegerThreshold)), CopySign(rounded, x), x);
#endif
    }

    /// <summary>Each lane rounded to the nearest integer, ties to even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> x)
    {
#if NET9_0_OR_GREATER
        return Vector256.Round(x);
#else
        if (Avx.IsSupported)
        {
            return Avx.RoundToNearestInteger(x);
        }

        Vector256<float> magnitude = Vector256.Abs(x);
        Vector256<float> rounded = (magnitude + Vector256.Create(FloatIntegerThreshold)) - Vector256.Create(FloatIntegerThreshold);
        return Vector256.ConditionalSelect(Vector256.LessThan(magnitude, Vector256.Create(FloatIntegerThreshold)), CopySign(rounded, x), x);
#endif
    }

    /// <summary>Each lane rounded to the nearest integer, ties to even.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Round(Vector128<float> x)
    {
#if NET9_0_OR_GREATER
        return Vector128.Round(x);
#else
        if (Sse41.IsSupported)
        {
            return Sse41.RoundToNearestInteger(x);
        }

        if (AdvSimd.IsSupported)
        {
            return AdvSimd.RoundToNearest(x);
        }

        Vector128<float> magnitude = Vector128.Abs(x);
        Vector128<float> rounded = (magnitude + Vector128.Create(FloatIntegerThreshold)) - Vector128.Create(FloatIntegerThreshold);
        return Vector128.ConditionalSelect(Vector128.LessThan(magnitude, Vector128.Create(FloatIntegerThreshold)), CopySign(rounded, x), x);
#endif
    }

    /// <summary>The sign bit of <paramref name="sign"/> with the magnitude of <paramref name="magnitude"/>, per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> CopySign<T>(Vector512<T> magnitude, Vector512<T> sign)
    {
#if NET9_0_OR_GREATER
        return Vector512.CopySign(magnitude, sign);
#else
        return Vector512.ConditionalSelect(Vector512.Create(SignMask<T>()).As<ulong, T>(), sign, magnitude);
#endif
    }

    /// <summary>The sign bit of <paramref name="sign"/> with the magnitude of <paramref name="magnitude"/>, per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> CopySign<T>(Vector256<T> magnitude, Vector256<T> sign)
    {
#if NET9_0_OR_GREATER
        return Vector256.CopySign(magnitude, sign);
#else
        return Vector256.ConditionalSelect(Vector256.Create(SignMask<T>()).As<ulong, T>(), sign, magnitude);
#endif
    }

    /// <summary>The sign bit of <paramref name="sign"/> with the magnitude of <paramref name="magnitude"/>, per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> CopySign<T>(Vector128<T> magnitude, Vector128<T> sign)
    {
#if NET9_0_OR_GREATER
        return Vector128.CopySign(magnitude, sign);
#else
        return Vector128.ConditionalSelect(Vector128.Create(SignMask<T>()).As<ulong, T>(), sign, magnitude);
#endif
    }

    /// <summary><c>e^x</c> per lane (≤ 1 ulp): the runtime's on .NET 9 and later, <see cref="DoubleExp"/> on .NET 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Exp(Vector512<double> x)
#if NET9_0_OR_GREATER
        => Vector512.Exp(x);
#else
        => DoubleExp.Exp(x);
#endif

    /// <summary><c>e^x</c> per lane (≤ 1 ulp): the runtime's on .NET 9 and later, <see cref="DoubleExp"/> on .NET 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Exp(Vector256<double> x)
#if NET9_0_OR_GREATER
        => Vector256.Exp(x);
#else
        => DoubleExp.Exp(x);
#endif

    /// <summary><c>e^x</c> per lane (≤ 1 ulp): the runtime's on .NET 9 and later, <see cref="DoubleExp"/> on .NET 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Exp(Vector128<double> x)
#if NET9_0_OR_GREATER
        => Vector128.Exp(x);
#else
        => DoubleExp.Exp(x);
#endif

#if !NET9_0_OR_GREATER
    /// <summary><c>_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC</c>: what <c>Vector512.Round</c> passes to <c>vrndscaleps</c>.</summary>
    private const byte RoundToNearestNoExceptions = 0x08;

    /// <summary>2²³: from here on every float is an integer.</summary>
    private const float FloatIntegerThreshold = 8388608f;

    /// <summary>The sign bit of one lane, repeated to fill 64 bits, for float and double lanes alike.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SignMask<T>()
    {
        if (typeof(T) == typeof(float))
        {
            return 0x8000_0000_8000_0000UL;
        }

        if (typeof(T) == typeof(double))
        {
            return 0x8000_0000_0000_0000UL;
        }

        throw new NotSupportedException($"CopySign is defined for float and double lanes, not {typeof(T).Name}.");
    }
#endif
}
