using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NativeRnn.Kernels;

/// <summary>
/// The register-fused path for layers whose gates fit in one weight panel (<c>G·H ≤</c> panel width, so
/// the packed weights are plain row-major <c>[rows, G·H]</c>): a tile of hidden units accumulates all its
/// gates in registers over the input and recurrent rows, then the cell runs on the registers. Small
/// layers are latency-bound, and this path has no intermediate buffer and no second pass.
/// </summary>
public static partial class StepKernels
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedLstm<T>(ref T wih, ref T whh, ref T bih, ref T bhh, ref T x, int input, ref T h, ref T c, ref T hOut, int hidden, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int j = 0;
        if (Simd512<T>.IsAccelerated)
        {
            j = FusedLstmTiles<Simd512<T>, Vector512<T>, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref c, ref hOut, hidden, panelWidth, j);
        }

        if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= hidden)
        {
            j = FusedLstmTiles<Simd256<T>, Vector256<T>, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref c, ref hOut, hidden, panelWidth, j);
        }

        if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= hidden)
        {
            j = FusedLstmTiles<Simd128<T>, Vector128<T>, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref c, ref hOut, hidden, panelWidth, j);
        }

        if (j < hidden)
        {
            FusedLstmTiles<SimdScalar<T>, T, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref c, ref hOut, hidden, panelWidth, j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedGru<T>(ref T wih, ref T whh, ref T bih, ref T bhh, ref T x, int input, ref T h, ref T hOut, int hidden, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int j = 0;
        if (Simd512<T>.IsAccelerated)
        {
            j = FusedGruTiles<Simd512<T>, Vector512<T>, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref hOut, hidden, panelWidth, j);
        }

        if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= hidden)
        {
            j = FusedGruTiles<Simd256<T>, Vector256<T>, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref hOut, hidden, panelWidth, j);
        }

        if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= hidden)
        {
            j = FusedGruTiles<Simd128<T>, Vector128<T>, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref hOut, hidden, panelWidth, j);
        }

        if (j < hidden)
        {
            FusedGruTiles<SimdScalar<T>, T, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref hOut, hidden, panelWidth, j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedRnn<T>(ref T wih, ref T whh, ref T bih, ref T bhh, ref T x, int input, ref T h, ref T hOut, int hidden, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int j = 0;
        if (Simd512<T>.IsAccelerated)
        {
            j = FusedRnnTiles<Simd512<T>, Vector512<T>, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref hOut, hidden, panelWidth, j);
        }

        if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= hidden)
        {
            j = FusedRnnTiles<Simd256<T>, Vector256<T>, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref hOut, hidden, panelWidth, j);
        }

        if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= hidden)
        {
            j = FusedRnnTiles<Simd128<T>, Vector128<T>, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref hOut, hidden, panelWidth, j);
        }

        if (j < hidden)
        {
            FusedRnnTiles<SimdScalar<T>, T, T>(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref hOut, hidden, panelWidth, j);
        }
    }

    /// <summary>
    /// Whether the register-fused path applies: the gates fit in one panel, or every tile's column segment
    /// lies inside one panel (hidden a multiple of half a panel) and the layer is small enough to be
    /// latency-bound rather than bandwidth-bound.
    /// </summary>
    private static bool CanFuse(int gates, int hidden, int panelWidth)
        => gates * hidden <= panelWidth || (hidden % (panelWidth / 2) == 0 && gates * hidden <= 2 * panelWidth);

    /// <summary>The element <c>[0, column]</c> of a panel-major matrix and the stride between its rows there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref T Column<T>(ref T matrix, int rows, int columns, int panelWidth, int column, out nint stride)
    {
        if (columns <= panelWidth)
        {
            stride = columns;
            return ref Unsafe.Add(ref matrix, column);
        }

        // Panel widths are powers of two (256 bytes), so a mask finds the panel without a division.
        int start = (panelWidth & (panelWidth - 1)) == 0 ? column & -panelWidth : column / panelWidth * panelWidth;
        stride = Math.Min(panelWidth, columns - start);
        return ref Unsafe.Add(ref matrix, (start * rows) + (column - start));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int FusedLstmTiles<TOps, TVector, T>(ref T wih, ref T whh, ref T bih, ref T bhh, ref T x, int input, ref T h, ref T c, ref T hOut, int hidden, int panelWidth, int j)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int w = TOps.Count;
        int gh = 4 * hidden;
        bool projected = input == 0;

        // Two vectors of units per tile: 8 accumulators, enough independent chains to hide FMA latency.
        for (; j + (2 * w) <= hidden; j += 2 * w)
        {
            FusedBias4<TOps, TVector, T>(ref bih, ref bhh, projected, j, hidden, out TVector i0, out TVector f0, out TVector g0, out TVector o0);
            FusedBias4<TOps, TVector, T>(ref bih, ref bhh, projected, j + w, hidden, out TVector i1, out TVector f1, out TVector g1, out TVector o1);
            if (!projected)
            {
                Accumulate4x2<TOps, TVector, T>(ref x, input, ref wih, gh, hidden, panelWidth, j, ref i0, ref i1, ref f0, ref f1, ref g0, ref g1, ref o0, ref o1);
            }

            Accumulate4x2<TOps, TVector, T>(ref h, hidden, ref whh, gh, hidden, panelWidth, j, ref i0, ref i1, ref f0, ref f1, ref g0, ref g1, ref o0, ref o1);
            FusedLstmCell<TOps, TVector, T>(i0, f0, g0, o0, ref Unsafe.Add(ref c, j), ref Unsafe.Add(ref hOut, j));
            FusedLstmCell<TOps, TVector, T>(i1, f1, g1, o1, ref Unsafe.Add(ref c, j + w), ref Unsafe.Add(ref hOut, j + w));
        }

        // One vector of units: split the products over even and odd rows so eight chains run at once.
        for (; j + w <= hidden; j += w)
        {
            FusedBias4<TOps, TVector, T>(ref bih, ref bhh, projected, j, hidden, out TVector i0, out TVector f0, out TVector g0, out TVector o0);
            TVector i1 = TOps.Zero, f1 = TOps.Zero, g1 = TOps.Zero, o1 = TOps.Zero;
            if (!projected)
            {
                FusedAccumulate4<TOps, TVector, T>(ref x, input, ref wih, gh, hidden, panelWidth, j, ref i0, ref f0, ref g0, ref o0, ref i1, ref f1, ref g1, ref o1);
            }

            FusedAccumulate4<TOps, TVector, T>(ref h, hidden, ref whh, gh, hidden, panelWidth, j, ref i0, ref f0, ref g0, ref o0, ref i1, ref f1, ref g1, ref o1);
            FusedLstmCell<TOps, TVector, T>(TOps.Add(i0, i1), TOps.Add(f0, f1), TOps.Add(g0, g1), TOps.Add(o0, o1), ref Unsafe.Add(ref c, j), ref Unsafe.Add(ref hOut, j));
        }

        return j;
    }

    /// <summary>Four gate blocks × two vectors of units, over all <paramref name="rows"/> rows of a panel-major matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate4x2<TOps, TVector, T>(ref T v, int rows, ref T weights, int columns, int hidden, int panelWidth, int j,
        ref TVector a0, ref TVector a1, ref TVector b0, ref TVector b1, ref TVector c0, ref TVector c1, ref TVector d0, ref TVector d1)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        nint w = TOps.Count;
        ref T ga = ref Column(ref weights, rows, columns, panelWidth, j, out nint sa);
        ref T gb = ref Column(ref weights, rows, columns, panelWidth, hidden + j, out nint sb);
        ref T gc = ref Column(ref weights, rows, columns, panelWidth, (2 * hidden) + j, out nint sc);
        ref T gd = ref Column(ref weights, rows, columns, panelWidth, (3 * hidden) + j, out nint sd);
        for (int k = 0; k < rows; k++)
        {
            TVector vk = TOps.Broadcast(Unsafe.Add(ref v, k));
            a0 = TOps.MultiplyAdd(vk, TOps.Load(ref ga), a0);
            a1 = TOps.MultiplyAdd(vk, TOps.Load(ref Unsafe.Add(ref ga, w)), a1);
            b0 = TOps.MultiplyAdd(vk, TOps.Load(ref gb), b0);
            b1 = TOps.MultiplyAdd(vk, TOps.Load(ref Unsafe.Add(ref gb, w)), b1);
            c0 = TOps.MultiplyAdd(vk, TOps.Load(ref gc), c0);
            c1 = TOps.MultiplyAdd(vk, TOps.Load(ref Unsafe.Add(ref gc, w)), c1);
            d0 = TOps.MultiplyAdd(vk, TOps.Load(ref gd), d0);
            d1 = TOps.MultiplyAdd(vk, TOps.Load(ref Unsafe.Add(ref gd, w)), d1);
            ga = ref Unsafe.Add(ref ga, sa);
            gb = ref Unsafe.Add(ref gb, sb);
            gc = ref Unsafe.Add(ref gc, sc);
            gd = ref Unsafe.Add(ref gd, sd);
        }
    }

    /// <summary>Accumulates the four gate blocks of one vector of units over <paramref name="rows"/> rows, even rows into the first set, odd into the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedAccumulate4<TOps, TVector, T>(ref T v, int rows, ref T weights, int columns, int hidden, int panelWidth, int j,
        ref TVector a0, ref TVector b0, ref TVector c0, ref TVector d0, ref TVector a1, ref TVector b1, ref TVector c1, ref TVector d1)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        ref T ga = ref Column(ref weights, rows, columns, panelWidth, j, out nint sa);
        ref T gb = ref Column(ref weights, rows, columns, panelWidth, hidden + j, out nint sb);
        ref T gc = ref Column(ref weights, rows, columns, panelWidth, (2 * hidden) + j, out nint sc);
        ref T gd = ref Column(ref weights, rows, columns, panelWidth, (3 * hidden) + j, out nint sd);
        int k = 0;
        for (; k + 1 < rows; k += 2)
        {
            TVector v0 = TOps.Broadcast(Unsafe.Add(ref v, k));
            TVector v1 = TOps.Broadcast(Unsafe.Add(ref v, k + 1));
            a0 = TOps.MultiplyAdd(v0, TOps.Load(ref ga), a0);
            b0 = TOps.MultiplyAdd(v0, TOps.Load(ref gb), b0);
            c0 = TOps.MultiplyAdd(v0, TOps.Load(ref gc), c0);
            d0 = TOps.MultiplyAdd(v0, TOps.Load(ref gd), d0);
            a1 = TOps.MultiplyAdd(v1, TOps.Load(ref Unsafe.Add(ref ga, sa)), a1);
            b1 = TOps.MultiplyAdd(v1, TOps.Load(ref Unsafe.Add(ref gb, sb)), b1);
            c1 = TOps.MultiplyAdd(v1, TOps.Load(ref Unsafe.Add(ref gc, sc)), c1);
            d1 = TOps.MultiplyAdd(v1, TOps.Load(ref Unsafe.Add(ref gd, sd)), d1);
            ga = ref Unsafe.Add(ref ga, 2 * sa);
            gb = ref Unsafe.Add(ref gb, 2 * sb);
            gc = ref Unsafe.Add(ref gc, 2 * sc);
            gd = ref Unsafe.Add(ref gd, 2 * sd);
        }

        if (k < rows)
        {
            TVector v0 = TOps.Broadcast(Unsafe.Add(ref v, k));
            a0 = TOps.MultiplyAdd(v0, TOps.Load(ref ga), a0);
            b0 = TOps.MultiplyAdd(v0, TOps.Load(ref gb), b0);
            c0 = TOps.MultiplyAdd(v0, TOps.Load(ref gc), c0);
            d0 = TOps.MultiplyAdd(v0, TOps.Load(ref gd), d0);
        }
    }

    /// <summary>Starts four gate accumulators at the biases (or at the precomputed projection).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedBias4<TOps, TVector, T>(ref T bih, ref T bhh, bool projected, int j, int hidden, out TVector a, out TVector b, out TVector c, out TVector d)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        ref T p = ref Unsafe.Add(ref bih, j);
        a = TOps.Load(ref p);
        b = TOps.Load(ref Unsafe.Add(ref p, hidden));
        c = TOps.Load(ref Unsafe.Add(ref p, 2 * hidden));
        d = TOps.Load(ref Unsafe.Add(ref p, 3 * hidden));
        if (!projected)
        {
            ref T q = ref Unsafe.Add(ref bhh, j);
            a = TOps.Add(a, TOps.Load(ref q));
            b = TOps.Add(b, TOps.Load(ref Unsafe.Add(ref q, hidden)));
            c = TOps.Add(c, TOps.Load(ref Unsafe.Add(ref q, 2 * hidden)));
            d = TOps.Add(d, TOps.Load(ref Unsafe.Add(ref q, 3 * hidden)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedLstmCell<TOps, TVector, T>(TVector zi, TVector zf, TVector zg, TVector zo, ref T c, ref T hOut)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVector i = SigmoidOperator<T>.Invoke<TOps, TVector>(zi);
        TVector f = SigmoidOperator<T>.Invoke<TOps, TVector>(zf);
        TVector g = TanhOperator<T>.Invoke<TOps, TVector>(zg);
        TVector o = SigmoidOperator<T>.Invoke<TOps, TVector>(zo);
        TVector cNew = TOps.MultiplyAdd(f, TOps.Load(ref c), TOps.Multiply(i, g));
        TOps.Store(cNew, ref c);
        TOps.Store(TOps.Multiply(o, TanhOperator<T>.Invoke<TOps, TVector>(cNew)), ref hOut);
    }

    

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int FusedGruTiles<TOps, TVector, T>(ref T wih, ref T whh, ref T bih, ref T bhh, ref T x, int input, ref T h, ref T hOut, int hidden, int panelWidth, int j)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int w = TOps.Count;
        int gh = 3 * hidden;

        // Per vector of units: r and z (input and recurrent parts together), n's input part, n's recurrent part.
        for (; j + (2 * w) <= hidden; j += 2 * w)
        {
            FusedGruStart<TOps, TVector, T>(ref bih, ref bhh, j, hidden, out TVector r0, out TVector z0, out TVector nx0, out TVector nh0);
            FusedGruStart<TOps, TVector, T>(ref bih, ref bhh, j + w, hidden, out TVector r1, out TVector z1, out TVector nx1, out TVector nh1);
            if (input > 0)
            {
                Accumulate3x2<TOps, TVector, T>(ref x, input, ref wih, gh, hidden, panelWidth, j, ref r0, ref r1, ref z0, ref z1, ref nx0, ref nx1);
            }

            Accumulate3x2<TOps, TVector, T>(ref h, hidden, ref whh, gh, hidden, panelWidth, j, ref r0, ref r1, ref z0, ref z1, ref nh0, ref nh1);
            FusedGruCell<TOps, TVector, T>(r0, z0, nx0, nh0, ref Unsafe.Add(ref h, j), ref Unsafe.Add(ref hOut, j));
            FusedGruCell<TOps, TVector, T>(r1, z1, nx1, nh1, ref Unsafe.Add(ref h, j + w), ref Unsafe.Add(ref hOut, j + w));
        }

        for (; j + w <= hidden; j += w)
        {
            FusedGruStart<TOps, TVector, T>(ref bih, ref bhh, j, hidden, out TVector r0, out TVector z0, out TVector nx0, out TVector nh0);
            TVector r1 = TOps.Zero, z1 = TOps.Zero, nx1 = TOps.Zero, nh1 = TOps.Zero;
            if (input > 0)
            {
                Accumulate3Split<TOps, TVector, T>(ref x, input, ref wih, gh, hidden, panelWidth, j, ref r0, ref z0, ref nx0, ref r1, ref z1, ref nx1);
            }

            Accumulate3Split<TOps, TVector, T>(ref h, hidden, ref whh, gh, hidden, panelWidth, j, ref r0, ref z0, ref nh0, ref r1, ref z1, ref nh1);
            FusedGruCell<TOps, TVector, T>(TOps.Add(r0, r1), TOps.Add(z0, z1), TOps.Add(nx0, nx1), TOps.Add(nh0, nh1), ref Unsafe.Add(ref h, j), ref Unsafe.Add(ref hOut, j));
        }

        return j;
    }

    /// <summary>Three gate blocks × two vectors of units, over all rows of a panel-major matrix.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate3x2<TOps, TVector, T>(ref T v, int rows, ref T weights, int columns, int hidden, int panelWidth, int j,
        ref TVector a0, ref TVector a1, ref TVector b0, ref TVector b1, ref TVector c0, ref TVector c1)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        nint w = TOps.Count;
        ref T ga = ref Column(ref weights, rows, columns, panelWidth, j, out nint sa);
        ref T gb = ref Column(ref weights, rows, columns, panelWidth, hidden + j, out nint sb);
        ref T gc = ref Column(ref weights, rows, columns, panelWidth, (2 * hidden) + j, out nint sc);
        for (int k = 0; k < rows; k++)
        {
            TVector vk = TOps.Broadcast(Unsafe.Add(ref v, k));
            a0 = TOps.MultiplyAdd(vk, TOps.Load(ref ga), a0);
            a1 = TOps.MultiplyAdd(vk, TOps.Load(ref Unsafe.Add(ref ga, w)), a1);
            b0 = TOps.MultiplyAdd(vk, TOps.Load(ref gb), b0);
            b1 = TOps.MultiplyAdd(vk, TOps.Load(ref Unsafe.Add(ref gb, w)), b1);
            c0 = TOps.MultiplyAdd(vk, TOps.Load(ref gc), c0);
            c1 = TOps.MultiplyAdd(vk, TOps.Load(ref Unsafe.Add(ref gc, w)), c1);
            ga = ref Unsafe.Add(ref ga, sa);
            gb = ref Unsafe.Add(ref gb, sb);
            gc = ref Unsafe.Add(ref gc, sc);
        }
    }

    /// <summary>Three gate blocks of one vector of units, even rows into the first set, odd into the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate3Split<TOps, TVector, T>(ref T v, int rows, ref T weights, int columns, int hidden, int panelWidth, int j,
        ref TVector a0, ref TVector b0, ref TVector c0, ref TVector a1, ref TVector b1, ref TVector c1)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        ref T ga = ref Column(ref weights, rows, columns, panelWidth, j, out nint sa);
        ref T gb = ref Column(ref weights, rows, columns, panelWidth, hidden + j, out nint sb);
        ref T gc = ref Column(ref weights, rows, columns, panelWidth, (2 * hidden) + j, out nint sc);
        int k = 0;
        for (; k + 1 < rows; k += 2)
        {
            TVector v0 = TOps.Broadcast(Unsafe.Add(ref v, k));
            TVector v1 = TOps.Broadcast(Unsafe.Add(ref v, k + 1));
            a0 = TOps.MultiplyAdd(v0, TOps.Load(ref ga), a0);
            b0 = TOps.MultiplyAdd(v0, TOps.Load(ref gb), b0);
            c0 = TOps.MultiplyAdd(v0, TOps.Load(ref gc), c0);
            a1 = TOps.MultiplyAdd(v1, TOps.Load(ref Unsafe.Add(ref ga, sa)), a1);
            b1 = TOps.MultiplyAdd(v1, TOps.Load(ref Unsafe.Add(ref gb, sb)), b1);
            c1 = TOps.MultiplyAdd(v1, TOps.Load(ref Unsafe.Add(ref gc, sc)), c1);
            ga = ref Unsafe.Add(ref ga, 2 * sa);
            gb = ref Unsafe.Add(ref gb, 2 * sb);
            gc = ref Unsafe.Add(ref gc, 2 * sc);
        }

        if (k < rows)
        {
            TVector v0 = TOps.Broadcast(Unsafe.Add(ref v, k));
            a0 = TOps.MultiplyAdd(v0, TOps.Load(ref ga), a0);
            b0 = TOps.MultiplyAdd(v0, TOps.Load(ref gb), b0);
            c0 = TOps.MultiplyAdd(v0, TOps.Load(ref gc), c0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedGruStart<TOps, TVector, T>(ref T bih, ref T bhh, int j, int hidden, out TVector r, out TVector z, out TVector nx, out TVector nh)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        ref T p = ref Unsafe.Add(ref bih, j);
        ref T q = ref Unsafe.Add(ref bhh, j);
        r = TOps.Add(TOps.Load(ref p), TOps.Load(ref q));
        z = TOps.Add(TOps.Load(ref Unsafe.Add(ref p, hidden)), TOps.Load(ref Unsafe.Add(ref q, hidden)));
        nx = TOps.Load(ref Unsafe.Add(ref p, 2 * hidden));
        nh = TOps.Load(ref Unsafe.Add(ref q, 2 * hidden));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedGruCell<TOps, TVector, T>(TVector zr, TVector zz, TVector nx, TVector nh, ref T h, ref T hOut)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVector r = SigmoidOperator<T>.Invoke<TOps, TVector>(zr);
        TVector z = SigmoidOperator<T>.Invoke<TOps, TVector>(zz);
        TVector n = TanhOperator<T>.Invoke<TOps, TVector>(TOps.MultiplyAdd(r, nh, nx));
        TOps.Store(TOps.MultiplyAdd(z, TOps.Subtract(TOps.Load(ref h), n), n), ref hOut);
    }

    

    /// <summary>Pre-activations <c>hOut ← b + W_ih x + W_hh h</c>, four vectors of units per tile, eight chains.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int FusedRnnTiles<TOps, TVector, T>(ref T wih, ref T whh, ref T bih, ref T bhh, ref T x, int input, ref T h, ref T hOut, int hidden, int panelWidth, int j)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int w = TOps.Count;
        bool projected = input == 0;
        for (; j + (4 * w) <= hidden; j += 4 * w)
        {
            FusedBias4Contiguous<TOps, TVector, T>(ref bih, ref bhh, projected, j, w, out TVector a0, out TVector b0, out TVector c0, out TVector d0);
            TVector a1 = TOps.Zero, b1 = TOps.Zero, c1 = TOps.Zero, d1 = TOps.Zero;
            // The tile's four vectors are contiguous columns, w apart (in one panel: see CanFuse).
            FusedAccumulate4<TOps, TVector, T>(ref x, input, ref wih, hidden, w, panelWidth, j, ref a0, ref b0, ref c0, ref d0, ref a1, ref b1, ref c1, ref d1);
            FusedAccumulate4<TOps, TVector, T>(ref h, hidden, ref whh, hidden, w, panelWidth, j, ref a0, ref b0, ref c0, ref d0, ref a1, ref b1, ref c1, ref d1);
            ref T o = ref Unsafe.Add(ref hOut, j);
            TOps.Store(TOps.Add(a0, a1), ref o);
            TOps.Store(TOps.Add(b0, b1), ref Unsafe.Add(ref o, w));
            TOps.Store(TOps.Add(c0, c1), ref Unsafe.Add(ref o, 2 * w));
            TOps.Store(TOps.Add(d0, d1), ref Unsafe.Add(ref o, 3 * w));
        }

        for (; j + w <= hidden; j += w)
        {
            TVector a0 = TOps.Load(ref Unsafe.Add(ref bih, j));
            if (!projected)
            {
                a0 = TOps.Add(a0, TOps.Load(ref Unsafe.Add(ref bhh, j)));
            }

            TVector a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
            FusedAccumulate1<TOps, TVector, T>(ref wih, ref x, input, hidden, j, ref a0, ref a1, ref a2, ref a3);
            FusedAccumulate1<TOps, TVector, T>(ref whh, ref h, hidden, hidden, j, ref a0, ref a1, ref a2, ref a3);
            TOps.Store(TOps.Add(TOps.Add(a0, a1), TOps.Add(a2, a3)), ref Unsafe.Add(ref hOut, j));
        }

        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedAccumulate1<TOps, TVector, T>(ref T weights, ref T v, int rows, nint rowLength, int j, ref TVector a0, ref TVector a1, ref TVector a2, ref TVector a3)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        int k = 0;
        for (; k + 3 < rows; k += 4)
        {
            ref T r = ref Unsafe.Add(ref weights, (k * rowLength) + j);
            a0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref v, k)), TOps.Load(ref r), a0);
            a1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref v, k + 1)), TOps.Load(ref Unsafe.Add(ref r, rowLength)), a1);
            a2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref v, k + 2)), TOps.Load(ref Unsafe.Add(ref r, 2 * rowLength)), a2);
            a3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref v, k + 3)), TOps.Load(ref Unsafe.Add(ref r, 3 * rowLength)), a3);
        }

        for (; k < rows; k++)
        {
            a0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref v, k)), TOps.Load(ref Unsafe.Add(ref weights, (k * rowLength) + j)), a0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedBias4Contiguous<TOps, TVector, T>(ref T bih, ref T bhh, bool projected, int j, int w, out TVector a, out TVector b, out TVector c, out TVector d)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
        => FusedBias4<TOps, TVector, T>(ref bih, ref bhh, projected, j, w, out a, out b, out c, out d);
}
