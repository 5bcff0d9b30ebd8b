using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NativeRnn.Kernels;

/// <summary>
/// <c>y += vᵀ·W</c> for one vector <c>v</c> and a row-major <c>W</c> <c>[rows, columns]</c>: the product of a
/// single time step of a single sequence. Each weight is read once, in row order within a tile of
/// output columns held in registers; eight independent multiply-add chains hide the FMA latency
/// (a narrow tile splits the rows among several accumulator sets instead).
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class MatVec
{
    /// <summary><c>y[n] += Σ_k v[k] · W[k, n]</c>.</summary>
    /// <param name="v">The vector, <c>[rows]</c>.</param>
    /// <param name="weights">Row-major <c>[rows, columns]</c>.</param>
    /// <param name="y">Accumulated into, <c>[columns]</c>.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException">The lengths do not agree.</exception>
    public static void MultiplyAdd<T>(ReadOnlySpan<T> v, ReadOnlySpan<T> weights, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (weights.Length != (long)v.Length * y.Length)
        {
            throw new ArgumentException($"'weights' must have {(long)v.Length * y.Length} elements ([{v.Length}, {y.Length}]) but has {weights.Length}.", nameof(weights));
        }

        Run(ref MemoryMarshal.GetReference(v), v.Length, ref MemoryMarshal.GetReference(weights), ref MemoryMarshal.GetReference(y), y.Length);
    }

    /// <summary><c>y[n] += Σ_k v[k] · W[k, n]</c> for a panel-major <c>W</c> <c>[rows, columns]</c> (see <see cref="Panels"/>).</summary>
    /// <param name="v">The vector, <c>[rows]</c>.</param>
    /// <param name="weights">Panel-major <c>[rows, columns]</c>.</param>
    /// <param name="panelWidth">Panel width of <paramref name="weights"/>.</param>
    /// <param name="y">Accumulated into, <c>[columns]</c>.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException">The lengths do not agree.</exception>
    public static void MultiplyAddPanels<T>(ReadOnlySpan<T> v, ReadOnlySpan<T> weights, int panelWidth, Span<T> y)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckPanels(weights.Length, v.Length, y.Length, panelWidth, 0, y.Length, nameof(weights));
        RunPanels(ref MemoryMarshal.GetReference(v), v.Length, ref MemoryMarshal.GetReference(weights), panelWidth, ref MemoryMarshal.GetReference(y), y.Length);
    }

    /// <summary>Panel by panel: each panel is a row-major block read front to back.</summary>
    internal static void RunPanels<T>(ref T v, int rows, ref T weights, int panelWidth, ref T y, int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int start = 0; start < columns; start += panelWidth)
        {
            int width = Math.Min(panelWidth, columns - start);
            Run(ref v, rows, ref Unsafe.Add(ref weights, start * rows), width, ref Unsafe.Add(ref y, start), width);
        }
    }

    /// <summary><c>y[n] += Σ_k v[k] · W[k, n]</c> on references for a row-major W; sizes already checked.</summary>
    internal static void Run<T>(ref T v, int rows, ref T weights, ref T y, int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Run(ref v, rows, ref weights, columns, ref y, columns);

    /// <summary><c>y[n] += Σ_k v[k] · W[k, n]</c> for <c>n &lt; columns</c>, rows <paramref name="ld"/> apart.</summary>
    internal static void Run<T>(ref T v, int rows, ref T weights, int ld, ref T y, int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int j = 0;
        if (Simd512<T>.IsAccelerated)
        {
            j = Tiles<Simd512<T>, Vector512<T>, T>(ref v, rows, ref weights, ld, ref y, columns, j);
        }

        if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= columns)
        {
            j = Tiles<Simd256<T>, Vector256<T>, T>(ref v, rows, ref weights, ld, ref y, columns, j);
        }

        if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= columns)
        {
            j = Tiles<Simd128<T>, Vector128<T>, T>(ref v, rows, ref weights, ld, ref y, columns, j);
        }

        if (j < columns)
        {
            Tiles<SimdScalar<T>, T, T>(ref v, rows, ref weights, ld, ref y, columns, j);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Tiles<TOps, TVector, T>(ref T v, int rows, ref T weights, nint ld, ref T y, int columns, int j)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        int w = TOps.Count;
        for (; j + (8 * w) <= columns; j += 8 * w)
        {
            Tile8<TOps, TVector, T>(ref v, rows, ref Unsafe.Add(ref weights, j), ld, ref Unsafe.Add(ref y, j));
        }

        if (j + (4 * w) <= columns)
        {
            Tile4<TOps, TVector, T>(ref v, rows, ref Unsafe.Add(ref weights, j), ld, ref Unsafe.Add(ref y, j));
            j += 4 * w;
        }

        if (j + (2 * w) <= columns)
        {
            Tile2<TOps, TVector, T>(ref v, rows, ref Unsafe.Add(ref weights, j), ld, ref Unsafe.Add(ref y, j));
            j += 2 * w;
        }

        if (j + w <= columns)
        {
            Tile1<TOps, TVector, T>(ref v, rows, ref Unsafe.Add(ref weights, j), ld, ref Unsafe.Add(ref y, j));
            j += w;
        }

        return j;
    }

    private static void Tile8<TOps, TVector, T>(ref T v, int rows, ref T w0, nint ld, ref T y)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        nint w = TOps.Count;
        TVector a0 = TOps.Load(ref y), a1 = TOps.Load(ref Unsafe.Add(ref y, w)), a2 = TOps.Load(ref Unsafe.Add(ref y, 2 * w)), a3 = TOps.Load(ref Unsafe.Add(ref y, 3 * w));
        TVector a4 = TOps.Load(ref Unsafe.Add(ref y, 4 * w)), a5 = TOps.Load(ref Unsafe.Add(ref y, 5 * w)), a6 = TOps.Load(ref Unsafe.Add(ref y, 6 * w)), a7 = TOps.Load(ref Unsafe.Add(ref y, 7 * w));
        ref T row = ref w0;
        for (int k = 0; k < rows; k++)
        {
            TVector x = TOps.Broadcast(Unsafe.Add(ref v, k));
            a0 = TOps.MultiplyAdd(x, TOps.Load(ref row), a0);
            a1 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, w)), a1);
            a2 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, 2 * w)), a2);
            a3 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, 3 * w)), a3);
            a4 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, 4 * w)), a4);
            a5 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, 5 * w)), a5);
            a6 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, 6 * w)), a6);
            a7 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, 7 * w)), a7);
            row = ref Unsafe.Add(ref row, ld);
        }

        TOps.Store(a0, ref y);
        TOps.Store(a1, ref Unsafe.Add(ref y, w));
        TOps.Store(a2, ref Unsafe.Add(ref y, 2 * w));
        TOps.Store(a3, ref Unsafe.Add(ref y, 3 * w));
        TOps.Store(a4, ref Unsafe.Add(ref y, 4 * w));
        TOps.Store(a5, ref Unsafe.Add(ref y, 5 * w));
        TOps.Store(a6, ref Unsafe.Add(ref y, 6 * w));
        TOps.Store(a7, ref Unsafe.Add(ref y, 7 * w));
    }

    /// <summary>Four vectors: even rows into one accumulator set, odd rows into another.</summary>
    private static void Tile4<TOps, TVector, T>(ref T v, int rows, ref T w0, nint ld, ref T y)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        nint w = TOps.Count;
        TVector a0 = TOps.Load(ref y), a1 = TOps.Load(ref Unsafe.Add(ref y, w)), a2 = TOps.Load(ref Unsafe.Add(ref y, 2 * w)), a3 = TOps.Load(ref Unsafe.Add(ref y, 3 * w));
        TVector b0 = TOps.Zero, b1 = TOps.Zero, b2 = TOps.Zero, b3 = TOps.Zero;
        ref T row = ref w0;
        int k = 0;
        for (; k + 1 < rows; k += 2)
        {
            TVector x = TOps.Broadcast(Unsafe.Add(ref v, k));
            TVector z = TOps.Broadcast(Unsafe.Add(ref v, k + 1));
            ref T next = ref Unsafe.Add(ref row, ld);
            a0 = TOps.MultiplyAdd(x, TOps.Load(ref row), a0);
            a1 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, w)), a1);
            a2 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, 2 * w)), a2);
            a3 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, 3 * w)), a3);
            b0 = TOps.MultiplyAdd(z, TOps.Load(ref next), b0);
            b1 = TOps.MultiplyAdd(z, TOps.Load(ref Unsafe.Add(ref next, w)), b1);
            b2 = TOps.MultiplyAdd(z, TOps.Load(ref Unsafe.Add(ref next, 2 * w)), b2);
            b3 = TOps.MultiplyAdd(z, TOps.Load(ref Unsafe.Add(ref next, 3 * w)), b3);
            row = ref Unsafe.Add(ref row, 2 * ld);
        }

        if (k < rows)
        {
            TVector x = TOps.Broadcast(Unsafe.Add(ref v, k));
            a0 = TOps.MultiplyAdd(x, TOps.Load(ref row), a0);
            a1 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, w)), a1);
            a2 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, 2 * w)), a2);
            a3 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, 3 * w)), a3);
        }

        TOps.Store(TOps.Add(a0, b0), ref y);
        TOps.Store(TOps.Add(a1, b1), ref Unsafe.Add(ref y, w));
        TOps.Store(TOps.Add(a2, b2), ref Unsafe.Add(ref y, 2 * w));
        TOps.Store(TOps.Add(a3, b3), ref Unsafe.Add(ref y, 3 * w));
    }

    /// <summary>Two vectors: rows split four ways.</summary>
    private static void Tile2<TOps, TVector, T>(ref T v, int rows, ref T w0, nint ld, ref T y)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        nint w = TOps.Count;
        TVector a0 = TOps.Load(ref y), a1 = TOps.Load(ref Unsafe.Add(ref y, w));
        TVector b0 = TOps.Zero, b1 = TOps.Zero, c0 = TOps.Zero, c1 = TOps.Zero, d0 = TOps.Zero, d1 = TOps.Zero;
        ref T row = ref w0;
        int k = 0;
        for (; k + 3 < rows; k += 4)
        {
            TVector x0 = TOps.Broadcast(Unsafe.Add(ref v, k)), x1 = TOps.Broadcast(Unsafe.Add(ref v, k + 1));
            TVector x2 = TOps.Broadcast(Unsafe.Add(ref v, k + 2)), x3 = TOps.Broadcast(Unsafe.Add(ref v, k + 3));
            ref T r1 = ref Unsafe.Add(ref row, ld);
            ref T r2 = ref Unsafe.Add(ref row, 2 * ld);
            ref T r3 = ref Unsafe.Add(ref row, 3 * ld);
            a0 = TOps.MultiplyAdd(x0, TOps.Load(ref row), a0);
            a1 = TOps.MultiplyAdd(x0, TOps.Load(ref Unsafe.Add(ref row, w)), a1);
            b0 = TOps.MultiplyAdd(x1, TOps.Load(ref r1), b0);
            b1 = TOps.MultiplyAdd(x1, TOps.Load(ref Unsafe.Add(ref r1, w)), b1);
            c0 = TOps.MultiplyAdd(x2, TOps.Load(ref r2), c0);
            c1 = TOps.MultiplyAdd(x2, TOps.Load(ref Unsafe.Add(ref r2, w)), c1);
            d0 = TOps.MultiplyAdd(x3, TOps.Load(ref r3), d0);
            d1 = TOps.MultiplyAdd(x3, TOps.Load(ref Unsafe.Add(ref r3, w)), d1);
            row = ref Unsafe.Add(ref row, 4 * ld);
        }

        for (; k < rows; k++)
        {
            TVector x = TOps.Broadcast(Unsafe.Add(ref v, k));
            a0 = TOps.MultiplyAdd(x, TOps.Load(ref row), a0);
            a1 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref row, w)), a1);
            row = ref Unsafe.Add(ref row, ld);
        }

        TOps.Store(TOps.Add(TOps.Add(a0, b0), TOps.Add(c0, d0)), ref y);
        TOps.Store(TOps.Add(TOps.Add(a1, b1), TOps.Add(c1, d1)), ref Unsafe.Add(ref y, w));
    }

    /// <summary>One vector: rows split four ways.</summary>
    private static void Tile1<TOps, TVector, T>(ref T v, int rows, ref T w0, nint ld, ref T y)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        TVector a = TOps.Load(ref y), b = TOps.Zero, c = TOps.Zero, d = TOps.Zero;
        ref T row = ref w0;
        int k = 0;
        for (; k + 3 < rows; k += 4)
        {
            a = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref v, k)), TOps.Load(ref row), a);
            b = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref v, k + 1)), TOps.Load(ref Unsafe.Add(ref row, ld)), b);
            c = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref v, k + 2)), TOps.Load(ref Unsafe.Add(ref row, 2 * ld)), c);
            d = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref v, k + 3)), TOps.Load(ref Unsafe.Add(ref row, 3 * ld)), d);
            row = ref Unsafe.Add(ref row, 4 * ld);
        }

        for (; k < rows; k++)
        {
            a = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref v, k)), TOps.Load(ref row), a);
            row = ref Unsafe.Add(ref row, ld);
        }

        TOps.Store(TOps.Add(TOps.Add(a, b), TOps.Add(c, d)), ref y);
    }
}
