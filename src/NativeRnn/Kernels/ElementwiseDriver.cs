using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NativeRnn.Kernels;

/// <summary>An element-wise function <c>y = f(x)</c> at every vector width.</summary>
internal interface IUnaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    static abstract TVector Invoke<TOps, TVector>(TVector x)
        where TOps : ISimd<TVector, T>;
}

/// <summary>An element-wise function <c>z = f(x, y)</c> at every vector width.</summary>
internal interface IBinaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    static abstract TVector Invoke<TOps, TVector>(TVector x, TVector y)
        where TOps : ISimd<TVector, T>;
}

/// <summary>
/// Runs element-wise operators over contiguous runs: the widest accelerated vectors first, then
/// narrower ones, then scalars, so any length (1, 3, 7, 13, 33 …) is exact.
/// </summary>
internal static class ElementwiseDriver
{
    /// <summary><c>x[i] ← f(x[i])</c> for <c>i &lt; length</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MapInPlace<TOperator, T>(ref T x, int length)
        where TOperator : IUnaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int i = 0;
        if (Simd512<T>.IsAccelerated)
        {
            i = Map<TOperator, Simd512<T>, Vector512<T>, T>(ref x, i, length);
        }

        if (Simd256<T>.IsAccelerated && i + Vector256<T>.Count <= length)
        {
            i = Map<TOperator, Simd256<T>, Vector256<T>, T>(ref x, i, length);
        }

        if (Simd128<T>.IsAccelerated && i + Vector128<T>.Count <= length)
        {
            i = Map<TOperator, Simd128<T>, Vector128<T>, T>(ref x, i, length);
        }

        if (i < length)
        {
            Map<TOperator, SimdScalar<T>, T, T>(ref x, i, length);
        }
    }

    /// <summary><c>y[i] ← f(x[i], y[i])</c> for <c>i &lt; length</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MapInPlace<TOperator, T>(ref T x, ref T y, int length)
        where TOperator : IBinaryOperator<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int i = 0;
        if (Simd512<T>.IsAccelerated)
        {
            i = Map<TOperator, Simd512<T>, Vector512<T>, T>(ref x, ref y, i, length);
        }

        if (Simd256<T>.IsAccelerated && i + Vector256<T>.Count <= length)
        {
            i = Map<TOperator, Simd256<T>, Vector256<T>, T>(ref x, ref y, i, length);
        }

        if (Simd128<T>.IsAccelerated && i + Vector128<T>.Count <= length)
        {
            i = Map<TOperator, Simd128<T>, Vector128<T>, T>(ref x, ref y, i, length);
        }

        if (i < length)
        {
            Map<TOperator, SimdScalar<T>, T, T>(ref x, ref y, i, length);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Map<TOperator, TOps, TVector, T>(ref T x, int start, int length)
        where TOperator : IUnaryOperator<T>
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TOps.Count;
        int i = start;
        for (; i + width <= length; i += width)
        {
            ref T xi = ref Unsafe.Add(ref x, i);
            TOps.Store(TOperator.Invoke<TOps, TVector>(TOps.Load(ref xi)), ref xi);
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Map<TOperator, TOps, TVector, T>(ref T x, ref T y, int start, int length)
        where TOperator : IBinaryOperator<T>
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TOps.Count;
        int i = start;
        for (; i + width <= length; i += width)
        {
            ref T yi = ref Unsafe.Add(ref y, i);
            TOps.Store(TOperator.Invoke<TOps, TVector>(TOps.Load(ref Unsafe.Add(ref x, i)), TOps.Load(ref yi)), ref yi);
        }

        return i;
    }
}
