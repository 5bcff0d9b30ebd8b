using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NativeRnn.Kernels;

/// <summary>
/// The element-wise part of the gated cells, fused: one pass over the pre-activations applies the gate
/// activations, updates the state and writes what the backward pass needs. The matrix products stay in
/// <see cref="Gemm"/>. Every method works on <c>rows</c> rows (sequences) of <c>hidden</c> units.
/// </summary>
/// <remarks>
/// Cache rows (one per step and sequence, written forward, read backward):
/// LSTM <c>[i f g o | c | tanh c]</c> (6H), GRU reset-after <c>[r z n | W_hn h + b_hn]</c> (4H),
/// GRU reset-before <c>[r z n | r ⊙ h]</c> (4H).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class Cells
{
    /// <summary>
    /// LSTM forward: the cache row's first 4H hold the pre-activations <c>z = W_ih x + b_ih + W_hh h + b_hh</c>
    /// (gate order i, f, g, o) and become <c>i = σ, f = σ, g = tanh, o = σ</c>; then
    /// <c>c = f ⊙ c_prev + i ⊙ g</c> and <c>tanh c</c> fill the rest of the row and <c>h = o ⊙ tanh c</c> goes to <paramref name="h"/>.
    /// </summary>
    /// <param name="cache">Cache rows, stride <paramref name="ldCache"/>.</param>
    /// <param name="ldCache">Row stride of <paramref name="cache"/> (at least 6H).</param>
    /// <param name="cPrevious"><c>c_{t−1}</c> rows, stride <paramref name="ldcPrevious"/>.</param>
    /// <param name="ldcPrevious">Row stride of <paramref name="cPrevious"/>.</param>
    /// <param name="h">Receives <c>h_t</c>, stride <paramref name="ldh"/>.</param>
    /// <param name="ldh">Row stride of <paramref name="h"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="hidden">H.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LstmForward<T>(Span<T> cache, int ldCache, ReadOnlySpan<T> cPrevious, int ldcPrevious, Span<T> h, int ldh, int rows, int hidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(cache.Length, rows, 6 * hidden, ldCache, nameof(cache));
        Gemm.CheckMatrix(cPrevious.Length, rows, hidden, ldcPrevious, nameof(cPrevious));
        Gemm.CheckMatrix(h.Length, rows, hidden, ldh, nameof(h));
        ref T cache0 = ref MemoryMarshal.GetReference(cache);
        ref T cPrev0 = ref MemoryMarshal.GetReference(cPrevious);
        ref T h0 = ref MemoryMarshal.GetReference(h);
        for (int r = 0; r < rows; r++)
        {
            ref T row = ref Unsafe.Add(ref cache0, r * ldCache);
            ref T cp = ref Unsafe.Add(ref cPrev0, r * ldcPrevious);
            ref T hr = ref Unsafe.Add(ref h0, r * ldh);
            int j = 0;
            if (Simd512<T>.IsAccelerated)
            {
                j = LstmForward<Simd512<T>, Vector512<T>, T>(ref row, ref cp, ref hr, hidden, j);
            }

            if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= hidden)
            {
                j = LstmForward<Simd256<T>, Vector256<T>, T>(ref row, ref cp, ref hr, hidden, j);
            }

            if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= hidden)
            {
                j = LstmForward<Simd128<T>, Vector128<T>, T>(ref row, ref cp, ref hr, hidden, j);
            }

            if (j < hidden)
            {
                LstmForward<SimdScalar<T>, T, T>(ref row, ref cp, ref hr, hidden, j);
            }
        }
    }

    /// <summary>
    /// LSTM backward for one step. In: <paramref name="dh"/> = ∂L/∂h_t and <paramref name="dc"/> = ∂L/∂c_t from
    /// the step after. Out: <paramref name="dz"/> = ∂L/∂z (4H, gate order i, f, g, o) and <paramref name="dc"/>
    /// overwritten with ∂L/∂c_{t−1} = ∂L/∂c_t ⊙ f.
    /// </summary>
    /// <param name="cache">The forward pass's cache rows of step t.</param>
    /// <param name="ldCache">Row stride of <paramref name="cache"/>.</param>
    /// <param name="cPrevious"><c>c_{t−1}</c> rows.</param>
    /// <param name="ldcPrevious">Row stride of <paramref name="cPrevious"/>.</param>
    /// <param name="dh">∂L/∂h_t rows.</param>
    /// <param name="lddh">Row stride of <paramref name="dh"/>.</param>
    /// <param name="dc">∂L/∂c rows, contiguous <c>[rows, H]</c>, updated in place.</param>
    /// <param name="dz">Receives ∂L/∂z rows.</param>
    /// <param name="lddz">Row stride of <paramref name="dz"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="hidden">H.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LstmBackward<T>(ReadOnlySpan<T> cache, int ldCache, ReadOnlySpan<T> cPrevious, int ldcPrevious, ReadOnlySpan<T> dh, int lddh, Span<T> dc, Span<T> dz, int lddz, int rows, int hidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(cache.Length, rows, 6 * hidden, ldCache, nameof(cache));
        Gemm.CheckMatrix(cPrevious.Length, rows, hidden, ldcPrevious, nameof(cPrevious));
        Gemm.CheckMatrix(dh.Length, rows, hidden, lddh, nameof(dh));
        Gemm.CheckMatrix(dc.Length, rows, hidden, hidden, nameof(dc));
        Gemm.CheckMatrix(dz.Length, rows, 4 * hidden, lddz, nameof(dz));
        ref T cache0 = ref MemoryMarshal.GetReference(cache);
        ref T cPrev0 = ref MemoryMarshal.GetReference(cPrevious);
        ref T dh0 = ref MemoryMarshal.GetReference(dh);
        ref T dc0 = ref MemoryMarshal.GetReference(dc);
        ref T dz0 = ref MemoryMarshal.GetReference(dz);
        for (int r = 0; r < rows; r++)
        {
            ref T row = ref Unsafe.Add(ref cache0, r * ldCache);
            ref T cp = ref Unsafe.Add(ref cPrev0, r * ldcPrevious);
            ref T dhr = ref Unsafe.Add(ref dh0, r * lddh);
            ref T dcr = ref Unsafe.Add(ref dc0, r * hidden);
            ref T dzr = ref Unsafe.Add(ref dz0, r * lddz);
            int j = 0;
            if (Simd512<T>.IsAccelerated)
            {
                j = LstmBackward<Simd512<T>, Vector512<T>, T>(ref row, ref cp, ref dhr, ref dcr, ref dzr, hidden, j);
            }

            if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= hidden)
            {
                j = LstmBackward<Simd256<T>, Vector256<T>, T>(ref row, ref cp, ref dhr, ref dcr, ref dzr, hidden, j);
            }

            if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= hidden)
            {
                j = LstmBackward<Simd128<T>, Vector128<T>, T>(ref row, ref cp, ref dhr, ref dcr, ref dzr, hidden, j);
            }

            if (j < hidden)
            {
                LstmBackward<SimdScalar<T>, T, T>(ref row, ref cp, ref dhr, ref dcr, ref dzr, hidden, j);
            }
        }
    }

    /// <summary>
    /// GRU forward, reset after (PyTorch). The cache row's first 3H hold <c>W_ih x + b_ih</c> (r, z, n) and
    /// <paramref name="gh"/> holds <c>W_hh h_{t−1} + b_hh</c>; the row becomes <c>[r z n | W_hn h + b_hn]</c> with
    /// <c>r = σ(·), z = σ(·), n = tanh(x_n + r ⊙ (W_hn h + b_hn))</c>, and <c>h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}</c>.
    /// </summary>
    /// <param name="cache">Cache rows.</param>
    /// <param name="ldCache">Row stride of <paramref name="cache"/> (at least 4H).</param>
    /// <param name="gh">Recurrent pre-activations rows (3H).</param>
    /// <param name="ldgh">Row stride of <paramref name="gh"/>.</param>
    /// <param name="hPrevious"><c>h_{t−1}</c> rows.</param>
    /// <param name="ldhPrevious">Row stride of <paramref name="hPrevious"/>.</param>
    /// <param name="h">Receives <c>h_t</c>.</param>
    /// <param name="ldh">Row stride of <paramref name="h"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="hidden">H.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruForward<T>(Span<T> cache, int ldCache, ReadOnlySpan<T> gh, int ldgh, ReadOnlySpan<T> hPrevious, int ldhPrevious, Span<T> h, int ldh, int rows, int hidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(cache.Length, rows, 4 * hidden, ldCache, nameof(cache));
        Gemm.CheckMatrix(gh.Length, rows, 3 * hidden, ldgh, nameof(gh));
        Gemm.CheckMatrix(hPrevious.Length, rows, hidden, ldhPrevious, nameof(hPrevious));
        Gemm.CheckMatrix(h.Length, rows, hidden, ldh, nameof(h));
        for (int r = 0; r < rows; r++)
        {
            ref T row = ref Unsafe.Add(ref MemoryMarshal.GetReference(cache), r * ldCache);
            ref T ghr = ref Unsafe.Add(ref MemoryMarshal.GetReference(gh), r * ldgh);
            ref T hp = ref Unsafe.Add(ref MemoryMarshal.GetReference(hPrevious), r * ldhPrevious);
            ref T hr = ref Unsafe.Add(ref MemoryMarshal.GetReference(h), r * ldh);
            int j = 0;
            if (Simd512<T>.IsAccelerated)
            {
                j = GruForward<Simd512<T>, Vector512<T>, T>(ref row, ref ghr, ref hp, ref hr, hidden, j);
            }

            if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= hidden)
            {
                j = GruForward<Simd256<T>, Vector256<T>, T>(ref row, ref ghr, ref hp, ref hr, hidden, j);
            }

            if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= hidden)
            {
                j = GruForward<Simd128<T>, Vector128<T>, T>(ref row, ref ghr, ref hp, ref hr, hidden, j);
            }

            if (j < hidden)
            {
                GruForward<SimdScalar<T>, T, T>(ref row, ref ghr, ref hp, ref hr, hidden, j);
            }
        }
    }

    /// <summary>
    /// GRU backward, reset after, for one step: from ∂L/∂h_t writes ∂L/∂(W_ih x + b_ih) into <paramref name="dzx"/>,
    /// ∂L/∂(W_hh h + b_hh) into <paramref name="dzh"/> (3H each) and adds the direct term <c>∂L/∂h_t ⊙ z</c> to
    /// <paramref name="dhPrevious"/>; the caller adds <c>dzh · W_hh</c> to it.
    /// </summary>
    /// <param name="cache">The forward pass's cache rows of step t.</param>
    /// <param name="ldCache">Row stride of <paramref name="cache"/>.</param>
    /// <param name="hPrevious"><c>h_{t−1}</c> rows.</param>
    /// <param name="ldhPrevious">Row stride of <paramref name="hPrevious"/>.</param>
    /// <param name="dh">∂L/∂h_t rows.</param>
    /// <param name="lddh">Row stride of <paramref name="dh"/>.</param>
    /// <param name="dhPrevious">∂L/∂h_{t−1} rows, added to.</param>
    /// <param name="lddhPrevious">Row stride of <paramref name="dhPrevious"/>.</param>
    /// <param name="dzx">Receives ∂L/∂(W_ih x + b_ih).</param>
    /// <param name="dzh">Receives ∂L/∂(W_hh h + b_hh).</param>
    /// <param name="lddz">Row stride of <paramref name="dzx"/> and <paramref name="dzh"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="hidden">H.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruBackward<T>(ReadOnlySpan<T> cache, int ldCache, ReadOnlySpan<T> hPrevious, int ldhPrevious, ReadOnlySpan<T> dh, int lddh, Span<T> dhPrevious, int lddhPrevious, Span<T> dzx, Span<T> dzh, int lddz, int rows, int hidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(cache.Length, rows, 4 * hidden, ldCache, nameof(cache));
        Gemm.CheckMatrix(hPrevious.Length, rows, hidden, ldhPrevious, nameof(hPrevious));
        Gemm.CheckMatrix(dh.Length, rows, hidden, lddh, nameof(dh));
        Gemm.CheckMatrix(dhPrevious.Length, rows, hidden, lddhPrevious, nameof(dhPrevious));
        Gemm.CheckMatrix(dzx.Length, rows, 3 * hidden, lddz, nameof(dzx));
        Gemm.CheckMatrix(dzh.Length, rows, 3 * hidden, lddz, nameof(dzh));
        BackwardRows<GruBackwardRow<T>, T>(cache, ldCache, hPrevious, ldhPrevious, dh, lddh, dhPrevious, lddhPrevious, dzx, dzh, lddz, rows, hidden);
    }

    /// <summary>
    /// GRU forward, reset before (Cho 2014), first half: from <c>x_r + gh_r</c> and <c>x_z + gh_z</c> computes
    /// <c>r</c> and <c>z</c> into the cache row and <c>r ⊙ h_{t−1}</c> into its last H columns. The caller then
    /// computes <c>W_hn (r ⊙ h) + b_hn</c> and calls <see cref="GruResetBeforeForwardUpdate{T}"/>.
    /// </summary>
    /// <param name="cache">Cache rows: first 3H hold <c>W_ih x + b_ih</c>.</param>
    /// <param name="ldCache">Row stride of <paramref name="cache"/>.</param>
    /// <param name="gh">Rows of <c>W_hr h + b_hr, W_hz h + b_hz</c> (2H used).</param>
    /// <param name="ldgh">Row stride of <paramref name="gh"/>.</param>
    /// <param name="hPrevious"><c>h_{t−1}</c> rows.</param>
    /// <param name="ldhPrevious">Row stride of <paramref name="hPrevious"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="hidden">H.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruResetBeforeForwardGates<T>(Span<T> cache, int ldCache, ReadOnlySpan<T> gh, int ldgh, ReadOnlySpan<T> hPrevious, int ldhPrevious, int rows, int hidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(cache.Length, rows, 4 * hidden, ldCache, nameof(cache));
        Gemm.CheckMatrix(gh.Length, rows, 2 * hidden, ldgh, nameof(gh));
        Gemm.CheckMatrix(hPrevious.Length, rows, hidden, ldhPrevious, nameof(hPrevious));
        for (int r = 0; r < rows; r++)
        {
            ref T row = ref Unsafe.Add(ref MemoryMarshal.GetReference(cache), r * ldCache);
            ref T ghr = ref Unsafe.Add(ref MemoryMarshal.GetReference(gh), r * ldgh);
            ref T hp = ref Unsafe.Add(ref MemoryMarshal.GetReference(hPrevious), r * ldhPrevious);
            int j = 0;
            if (Simd512<T>.IsAccelerated)
            {
                j = GruResetBeforeForwardGates<Simd512<T>, Vector512<T>, T>(ref row, ref ghr, ref hp, hidden, j);
            }

            if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= hidden)
            {
                j = GruResetBeforeForwardGates<Simd256<T>, Vector256<T>, T>(ref row, ref ghr, ref hp, hidden, j);
            }

            if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= hidden)
            {
                j = GruResetBeforeForwardGates<Simd128<T>, Vector128<T>, T>(ref row, ref ghr, ref hp, hidden, j);
            }

            if (j < hidden)
            {
                GruResetBeforeForwardGates<SimdScalar<T>, T, T>(ref row, ref ghr, ref hp, hidden, j);
            }
        }
    }

    /// <summary>
    /// GRU forward, reset before, second half: <c>n = tanh(x_n + W_hn (r ⊙ h) + b_hn)</c> from
    /// <paramref name="ghn"/>, then <c>h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}</c>.
    /// </summary>
    /// <param name="cache">Cache rows after <see cref="GruResetBeforeForwardGates{T}"/>.</param>
    /// <param name="ldCache">Row stride of <paramref name="cache"/>.</param>
    /// <param name="ghn">Rows of <c>W_hn (r ⊙ h) + b_hn</c> (H).</param>
    /// <param name="ldghn">Row stride of <paramref name="ghn"/>.</param>
    /// <param name="hPrevious"><c>h_{t−1}</c> rows.</param>
    /// <param name="ldhPrevious">Row stride of <paramref name="hPrevious"/>.</param>
    /// <param name="h">Receives <c>h_t</c>.</param>
    /// <param name="ldh">Row stride of <paramref name="h"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="hidden">H.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruResetBeforeForwardUpdate<T>(Span<T> cache, int ldCache, ReadOnlySpan<T> ghn, int ldghn, ReadOnlySpan<T> hPrevious, int ldhPrevious, Span<T> h, int ldh, int rows, int hidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(cache.Length, rows, 4 * hidden, ldCache, nameof(cache));
        Gemm.CheckMatrix(ghn.Length, rows, hidden, ldghn, nameof(ghn));
        Gemm.CheckMatrix(hPrevious.Length, rows, hidden, ldhPrevious, nameof(hPrevious));
        Gemm.CheckMatrix(h.Length, rows, hidden, ldh, nameof(h));
        for (int r = 0; r < rows; r++)
        {
            ref T row = ref Unsafe.Add(ref MemoryMarshal.GetReference(cache), r * ldCache);
            ref T g = ref Unsafe.Add(ref MemoryMarshal.GetReference(ghn), r * ldghn);
            ref T hp = ref Unsafe.Add(ref MemoryMarshal.GetReference(hPrevious), r * ldhPrevious);
            ref T hr = ref Unsafe.Add(ref MemoryMarshal.GetReference(h), r * ldh);
            int j = 0;
            if (Simd512<T>.IsAccelerated)
            {
                j = GruResetBeforeForwardUpdate<Simd512<T>, Vector512<T>, T>(ref row, ref g, ref hp, ref hr, hidden, j);
            }

            if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= hidden)
            {
                j = GruResetBeforeForwardUpdate<Simd256<T>, Vector256<T>, T>(ref row, ref g, ref hp, ref hr, hidden, j);
            }

            if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= hidden)
            {
                j = GruResetBeforeForwardUpdate<Simd128<T>, Vector128<T>, T>(ref row, ref g, ref hp, ref hr, hidden, j);
            }

            if (j < hidden)
            {
                GruResetBeforeForwardUpdate<SimdScalar<T>, T, T>(ref row, ref g, ref hp, ref hr, hidden, j);
            }
        }
    }

    /// <summary>
    /// GRU backward, reset before, first half: writes ∂L/∂z_pre and ∂L/∂n_pre into the z and n blocks of
    /// <paramref name="dzx"/> and <paramref name="dzh"/> and adds <c>∂L/∂h_t ⊙ z</c> to <paramref name="dhPrevious"/>.
    /// The caller then computes <c>∂L/∂(r ⊙ h) = ∂L/∂n_pre · W_hn</c> and calls <see cref="GruResetBeforeBackwardReset{T}"/>.
    /// </summary>
    /// <param name="cache">The forward pass's cache rows of step t.</param>
    /// <param name="ldCache">Row stride of <paramref name="cache"/>.</param>
    /// <param name="hPrevious"><c>h_{t−1}</c> rows.</param>
    /// <param name="ldhPrevious">Row stride of <paramref name="hPrevious"/>.</param>
    /// <param name="dh">∂L/∂h_t rows.</param>
    /// <param name="lddh">Row stride of <paramref name="dh"/>.</param>
    /// <param name="dhPrevious">∂L/∂h_{t−1} rows, added to.</param>
    /// <param name="lddhPrevious">Row stride of <paramref name="dhPrevious"/>.</param>
    /// <param name="dzx">Receives the z and n blocks of ∂L/∂(W_ih x + b_ih).</param>
    /// <param name="dzh">Receives the z and n blocks of ∂L/∂(recurrent pre-activations).</param>
    /// <param name="lddz">Row stride of <paramref name="dzx"/> and <paramref name="dzh"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="hidden">H.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruResetBeforeBackwardUpdate<T>(ReadOnlySpan<T> cache, int ldCache, ReadOnlySpan<T> hPrevious, int ldhPrevious, ReadOnlySpan<T> dh, int lddh, Span<T> dhPrevious, int lddhPrevious, Span<T> dzx, Span<T> dzh, int lddz, int rows, int hidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(cache.Length, rows, 4 * hidden, ldCache, nameof(cache));
        Gemm.CheckMatrix(hPrevious.Length, rows, hidden, ldhPrevious, nameof(hPrevious));
        Gemm.CheckMatrix(dh.Length, rows, hidden, lddh, nameof(dh));
        Gemm.CheckMatrix(dhPrevious.Length, rows, hidden, lddhPrevious, nameof(dhPrevious));
        Gemm.CheckMatrix(dzx.Length, rows, 3 * hidden, lddz, nameof(dzx));
        Gemm.CheckMatrix(dzh.Length, rows, 3 * hidden, lddz, nameof(dzh));
        BackwardRows<ResetBeforeUpdateRow<T>, T>(cache, ldCache, hPrevious, ldhPrevious, dh, lddh, dhPrevious, lddhPrevious, dzx, dzh, lddz, rows, hidden);
    }

    /// <summary>
    /// GRU backward, reset before, second half: from <paramref name="drh"/> = ∂L/∂(r ⊙ h) writes ∂L/∂r_pre into the
    /// r blocks of <paramref name="dzx"/> and <paramref name="dzh"/> and adds <c>∂L/∂(r ⊙ h) ⊙ r</c> to
    /// <paramref name="dhPrevious"/>; the caller then adds <c>[∂L/∂r_pre, ∂L/∂z_pre] · W_h(r,z)</c> to it.
    /// </summary>
    /// <param name="cache">The forward pass's cache rows of step t.</param>
    /// <param name="ldCache">Row stride of <paramref name="cache"/>.</param>
    /// <param name="hPrevious"><c>h_{t−1}</c> rows.</param>
    /// <param name="ldhPrevious">Row stride of <paramref name="hPrevious"/>.</param>
    /// <param name="drh">∂L/∂(r ⊙ h) rows (H).</param>
    /// <param name="lddrh">Row stride of <paramref name="drh"/>.</param>
    /// <param name="dhPrevious">∂L/∂h_{t−1} rows, added to.</param>
    /// <param name="lddhPrevious">Row stride of <paramref name="dhPrevious"/>.</param>
    /// <param name="dzx">Receives the r block of ∂L/∂(W_ih x + b_ih).</param>
    /// <param name="dzh">Receives the r block of ∂L/∂(recurrent pre-activations).</param>
    /// <param name="lddz">Row stride of <paramref name="dzx"/> and <paramref name="dzh"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="hidden">H.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GruResetBeforeBackwardReset<T>(ReadOnlySpan<T> cache, int ldCache, ReadOnlySpan<T> hPrevious, int ldhPrevious, ReadOnlySpan<T> drh, int lddrh, Span<T> dhPrevious, int lddhPrevious, Span<T> dzx, Span<T> dzh, int lddz, int rows, int hidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(cache.Length, rows, 4 * hidden, ldCache, nameof(cache));
        Gemm.CheckMatrix(hPrevious.Length, rows, hidden, ldhPrevious, nameof(hPrevious));
        Gemm.CheckMatrix(drh.Length, rows, hidden, lddrh, nameof(drh));
        Gemm.CheckMatrix(dhPrevious.Length, rows, hidden, lddhPrevious, nameof(dhPrevious));
        Gemm.CheckMatrix(dzx.Length, rows, 3 * hidden, lddz, nameof(dzx));
        Gemm.CheckMatrix(dzh.Length, rows, 3 * hidden, lddz, nameof(dzh));
        BackwardRows<ResetBeforeResetRow<T>, T>(cache, ldCache, hPrevious, ldhPrevious, drh, lddrh, dhPrevious, lddhPrevious, dzx, dzh, lddz, rows, hidden);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int GruResetBeforeForwardGates<TOps, TVector, T>(ref T row, ref T gh, ref T hPrevious, int hidden, int start)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int end = start + ((hidden - start) / TOps.Count * TOps.Count);
        ActivateSumRange<TOps, TVector, T, SigmoidOperator<T>>(ref row, ref gh, start, end);
        ActivateSumRange<TOps, TVector, T, SigmoidOperator<T>>(ref Unsafe.Add(ref row, hidden), ref Unsafe.Add(ref gh, hidden), start, end);
        for (int j = start; j < end; j += TOps.Count)
        {
            ref T rj = ref Unsafe.Add(ref row, j);
            TOps.Store(TOps.Multiply(TOps.Load(ref rj), TOps.Load(ref Unsafe.Add(ref hPrevious, j))), ref Unsafe.Add(ref rj, 3 * hidden));
        }

        return end;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int GruResetBeforeForwardUpdate<TOps, TVector, T>(ref T row, ref T ghn, ref T hPrevious, ref T h, int hidden, int start)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int end = start + ((hidden - start) / TOps.Count * TOps.Count);
        ref T zRow = ref Unsafe.Add(ref row, hidden);
        ref T nRow = ref Unsafe.Add(ref row, 2 * hidden);
        ActivateSumRange<TOps, TVector, T, TanhOperator<T>>(ref nRow, ref ghn, start, end);
        for (int j = start; j < end; j += TOps.Count)
        {
            // h = (1 − z) ⊙ n + z ⊙ h_prev = n + z ⊙ (h_prev − n)
            TVector n = TOps.Load(ref Unsafe.Add(ref nRow, j));
            TVector hp = TOps.Load(ref Unsafe.Add(ref hPrevious, j));
            TOps.Store(TOps.MultiplyAdd(TOps.Load(ref Unsafe.Add(ref zRow, j)), TOps.Subtract(hp, n), n), ref Unsafe.Add(ref h, j));
        }

        return end;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int GruResetBeforeBackwardUpdate<TOps, TVector, T>(ref T row, ref T hPrevious, ref T dh, ref T dhPrevious, ref T dzx, ref T dzh, int hidden, int start)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVector one = TOps.Broadcast(T.One);
        int j = start;
        for (; j + TOps.Count <= hidden; j += TOps.Count)
        {
            TVector z = TOps.Load(ref Unsafe.Add(ref row, hidden + j));
            TVector n = TOps.Load(ref Unsafe.Add(ref row, (2 * hidden) + j));
            TVector d = TOps.Load(ref Unsafe.Add(ref dh, j));
            TVector oneMinusZ = TOps.Subtract(one, z);
            TVector dzPre = TOps.Multiply(TOps.Multiply(TOps.Multiply(d, TOps.Subtract(TOps.Load(ref Unsafe.Add(ref hPrevious, j)), n)), z), oneMinusZ);
            TVector dnPre = TOps.Multiply(TOps.Multiply(d, oneMinusZ), TOps.Subtract(one, TOps.Multiply(n, n)));
            ref T dhp = ref Unsafe.Add(ref dhPrevious, j);
            TOps.Store(TOps.Add(TOps.Load(ref dhp), TOps.Multiply(d, z)), ref dhp);
            TOps.Store(dzPre, ref Unsafe.Add(ref dzx, hidden + j));
            TOps.Store(dzPre, ref Unsafe.Add(ref dzh, hidden + j));
            TOps.Store(dnPre, ref Unsafe.Add(ref dzx, (2 * hidden) + j));
            TOps.Store(dnPre, ref Unsafe.Add(ref dzh, (2 * hidden) + j));
        }

        return j;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int GruResetBeforeBackwardReset<TOps, TVector, T>(ref T row, ref T hPrevious, ref T drh, ref T dhPrevious, ref T dzx, ref T dzh, int hidden, int start)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TVector one = TOps.Broadcast(T.One);
        int j = start;
        for (; j + TOps.Count <= hidden; j += TOps.Count)
        {
            TVector r = TOps.Load(ref Unsafe.Add(ref row, j));
            TVector d = TOps.Load(ref Unsafe.Add(ref drh, j));
            TVector drPre = TOps.Multiply(TOps.Multiply(TOps.Multiply(d, TOps.Load(ref Unsafe.Add(ref hPrevious, j))), r), TOps.Subtract(one, r));
            ref T dhp = ref Unsafe.Add(ref dhPrevious, j);
            TOps.Store(TOps.Add(TOps.Load(ref dhp), TOps.Multiply(d, r)), ref dhp);
            TOps.Store(drPre, ref Unsafe.Add(ref dzx, j));
            TOps.Store(drPre, ref Unsafe.Add(ref dzh, j));
        }

        return j;
    }

    /// <summary>Sets <c>x[j] = f(x[j] + y[j])</c> for <c>j</c> in <c>[start, end)</c>, whole vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ActivateSumRange<TOps, TVector, T, TActivation>(ref T x, ref T y, int start, int end)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TActivation : IUnaryOperator<T>
    {
        for (int j = start; j < end; j += TOps.Count)
        {
            ref T v = ref Unsafe.Add(ref x, j);
            TOps.Store(TActivation.Invoke<TOps, TVector>(TOps.Add(TOps.Load(ref v), TOps.Load(ref Unsafe.Add(ref y, j)))), ref v);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int LstmForward<TOps, TVector, T>(ref T row, ref T cPrevious, ref T h, int hidden, int start)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TOps.Count;
        int end = start + ((hidden - start) / width * width);

        // Gate by gate, then the cell. Each loop's iterations are independent and short, so out-of-order execution
        // overlaps several of them; one loop doing all five activations of a vector ran at the latency of its chain.
        ActivateRange<TOps, TVector, T, SigmoidOperator<T>>(ref row, start, end);
        ActivateRange<TOps, TVector, T, SigmoidOperator<T>>(ref Unsafe.Add(ref row, hidden), start, end);
        ActivateRange<TOps, TVector, T, TanhOperator<T>>(ref Unsafe.Add(ref row, 2 * hidden), start, end);
        ActivateRange<TOps, TVector, T, SigmoidOperator<T>>(ref Unsafe.Add(ref row, 3 * hidden), start, end);
        for (int j = start; j < end; j += width)
        {
            ref T zi = ref Unsafe.Add(ref row, j);
            ref T c = ref Unsafe.Add(ref zi, 4 * hidden);
            TVector cNew = TOps.MultiplyAdd(TOps.Load(ref Unsafe.Add(ref zi, hidden)), TOps.Load(ref Unsafe.Add(ref cPrevious, j)), TOps.Multiply(TOps.Load(ref zi), TOps.Load(ref Unsafe.Add(ref zi, 2 * hidden))));
            TVector tanhC = TanhOperator<T>.Invoke<TOps, TVector>(cNew);
            TOps.Store(cNew, ref c);
            TOps.Store(tanhC, ref Unsafe.Add(ref c, hidden));
            TOps.Store(TOps.Multiply(TOps.Load(ref Unsafe.Add(ref zi, 3 * hidden)), tanhC), ref Unsafe.Add(ref h, j));
        }

        return end;
    }

    /// <summary>Applies <typeparamref name="TActivation"/> in place to elements <c>[start, end)</c> of <paramref name="x"/>, whole vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ActivateRange<TOps, TVector, T, TActivation>(ref T x, int start, int end)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TActivation : IUnaryOperator<T>
    {
        for (int j = start; j < end; j += TOps.Count)
        {
            ref T v = ref Unsafe.Add(ref x, j);
            TOps.Store(TActivation.Invoke<TOps, TVector>(TOps.Load(ref v)), ref v);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int LstmBackward<TOps, TVector, T>(ref T row, ref T cPrevious, ref T dh, ref T dc, ref T dz, int hidden, int start)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TOps.Count;
        TVector one = TOps.Broadcast(T.One);
        int j = start;
        for (; j + width <= hidden; j += width)
        {
            ref T ri = ref Unsafe.Add(ref row, j);
            TVector i = TOps.Load(ref ri);
            TVector f = TOps.Load(ref Unsafe.Add(ref ri, hidden));
            TVector g = TOps.Load(ref Unsafe.Add(ref ri, 2 * hidden));
            TVector o = TOps.Load(ref Unsafe.Add(ref ri, 3 * hidden));
            TVector tanhC = TOps.Load(ref Unsafe.Add(ref ri, 5 * hidden));
            TVector dhv = TOps.Load(ref Unsafe.Add(ref dh, j));
            ref T dcj = ref Unsafe.Add(ref dc, j);

            // h = o ⊙ tanh c:  ∂o = ∂h ⊙ tanh c;  ∂c += ∂h ⊙ o ⊙ (1 − tanh² c)
            TVector dOut = TOps.Multiply(dhv, tanhC);
            TVector dCell = TOps.MultiplyAdd(TOps.Multiply(dhv, o), TOps.Subtract(one, TOps.Multiply(tanhC, tanhC)), TOps.Load(ref dcj));

            // c = f ⊙ c_prev + i ⊙ g
            TVector dIn = TOps.Multiply(dCell, g);
            TVector dForget = TOps.Multiply(dCell, TOps.Load(ref Unsafe.Add(ref cPrevious, j)));
            TVector dCandidate = TOps.Multiply(dCell, i);
            TOps.Store(TOps.Multiply(dCell, f), ref dcj);

            // Through the activations: σ' = y(1 − y), tanh' = 1 − y²
            ref T dzi = ref Unsafe.Add(ref dz, j);
            TOps.Store(TOps.Multiply(dIn, TOps.Multiply(i, TOps.Subtract(one, i))), ref dzi);
            TOps.Store(TOps.Multiply(dForget, TOps.Multiply(f, TOps.Subtract(one, f))), ref Unsafe.Add(ref dzi, hidden));
            TOps.Store(TOps.Multiply(dCandidate, TOps.Subtract(one, TOps.Multiply(g, g))), ref Unsafe.Add(ref dzi, 2 * hidden));
            TOps.Store(TOps.Multiply(dOut, TOps.Multiply(o, TOps.Subtract(one, o))), ref Unsafe.Add(ref dzi, 3 * hidden));
        }

        return j;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int GruForward<TOps, TVector, T>(ref T row, ref T gh, ref T hPrevious, ref T h, int hidden, int start)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int end = start + ((hidden - start) / TOps.Count * TOps.Count);

        // r and z first, each loop's iterations independent (as in the LSTM's), then n and h.
        ActivateSumRange<TOps, TVector, T, SigmoidOperator<T>>(ref row, ref gh, start, end);
        ActivateSumRange<TOps, TVector, T, SigmoidOperator<T>>(ref Unsafe.Add(ref row, hidden), ref Unsafe.Add(ref gh, hidden), start, end);
        for (int j = start; j < end; j += TOps.Count)
        {
            ref T xr = ref Unsafe.Add(ref row, j);
            ref T xn = ref Unsafe.Add(ref xr, 2 * hidden);
            TVector ghn = TOps.Load(ref Unsafe.Add(ref gh, (2 * hidden) + j));
            TVector n = TanhOperator<T>.Invoke<TOps, TVector>(TOps.MultiplyAdd(TOps.Load(ref xr), ghn, TOps.Load(ref xn)));
            TVector hp = TOps.Load(ref Unsafe.Add(ref hPrevious, j));
            TOps.Store(n, ref xn);
            TOps.Store(ghn, ref Unsafe.Add(ref xn, hidden));

            // h = (1 − z) ⊙ n + z ⊙ h_prev = n + z ⊙ (h_prev − n)
            TOps.Store(TOps.MultiplyAdd(TOps.Load(ref Unsafe.Add(ref xr, hidden)), TOps.Subtract(hp, n), n), ref Unsafe.Add(ref h, j));
        }

        return end;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int GruBackward<TOps, TVector, T>(ref T row, ref T hPrevious, ref T dh, ref T dhPrevious, ref T dzx, ref T dzh, int hidden, int start)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int width = TOps.Count;
        TVector one = TOps.Broadcast(T.One);
        int j = start;
        for (; j + width <= hidden; j += width)
        {
            ref T rr = ref Unsafe.Add(ref row, j);
            TVector r = TOps.Load(ref rr);
            TVector z = TOps.Load(ref Unsafe.Add(ref rr, hidden));
            TVector n = TOps.Load(ref Unsafe.Add(ref rr, 2 * hidden));
            TVector hn = TOps.Load(ref Unsafe.Add(ref rr, 3 * hidden));
            TVector hp = TOps.Load(ref Unsafe.Add(ref hPrevious, j));
            TVector d = TOps.Load(ref Unsafe.Add(ref dh, j));

            // h = n + z ⊙ (h_prev − n):  ∂h_prev += ∂h ⊙ z;  ∂z = ∂h ⊙ (h_prev − n);  ∂n = ∂h ⊙ (1 − z)
            ref T dhp = ref Unsafe.Add(ref dhPrevious, j);
            TOps.Store(TOps.MultiplyAdd(d, z, TOps.Load(ref dhp)), ref dhp);
            TVector dzPre = TOps.Multiply(TOps.Multiply(d, TOps.Subtract(hp, n)), TOps.Multiply(z, TOps.Subtract(one, z)));
            TVector dnPre = TOps.Multiply(TOps.Multiply(d, TOps.Subtract(one, z)), TOps.Subtract(one, TOps.Multiply(n, n)));

            // n = tanh(x_n + r ⊙ hn):  ∂r = ∂n_pre ⊙ hn;  ∂hn = ∂n_pre ⊙ r
            TVector drPre = TOps.Multiply(TOps.Multiply(dnPre, hn), TOps.Multiply(r, TOps.Subtract(one, r)));
            ref T dx = ref Unsafe.Add(ref dzx, j);
            ref T dhh = ref Unsafe.Add(ref dzh, j);
            TOps.Store(drPre, ref dx);
            TOps.Store(dzPre, ref Unsafe.Add(ref dx, hidden));
            TOps.Store(dnPre, ref Unsafe.Add(ref dx, 2 * hidden));
            TOps.Store(drPre, ref dhh);
            TOps.Store(dzPre, ref Unsafe.Add(ref dhh, hidden));
            TOps.Store(TOps.Multiply(dnPre, r), ref Unsafe.Add(ref dhh, 2 * hidden));
        }

        return j;
    }

    /// <summary>Runs one GRU backward row kernel over every row at the widest vector width, then narrower ones for the tail.</summary>
    private static void BackwardRows<TRow, T>(ReadOnlySpan<T> cache, int ldCache, ReadOnlySpan<T> hPrevious, int ldhPrevious, ReadOnlySpan<T> d, int ldd, Span<T> dhPrevious, int lddhPrevious, Span<T> dzx, Span<T> dzh, int lddz, int rows, int hidden)
        where TRow : IGruBackwardRow<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            ref T row = ref Unsafe.Add(ref MemoryMarshal.GetReference(cache), r * ldCache);
            ref T hp = ref Unsafe.Add(ref MemoryMarshal.GetReference(hPrevious), r * ldhPrevious);
            ref T dr = ref Unsafe.Add(ref MemoryMarshal.GetReference(d), r * ldd);
            ref T dhp = ref Unsafe.Add(ref MemoryMarshal.GetReference(dhPrevious), r * lddhPrevious);
            ref T dx = ref Unsafe.Add(ref MemoryMarshal.GetReference(dzx), r * lddz);
            ref T dhh = ref Unsafe.Add(ref MemoryMarshal.GetReference(dzh), r * lddz);
            int j = 0;
            if (Simd512<T>.IsAccelerated)
            {
                j = TRow.Run<Simd512<T>, Vector512<T>>(ref row, ref hp, ref dr, ref dhp, ref dx, ref dhh, hidden, j);
            }

            if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= hidden)
            {
                j = TRow.Run<Simd256<T>, Vector256<T>>(ref row, ref hp, ref dr, ref dhp, ref dx, ref dhh, hidden, j);
            }

            if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= hidden)
            {
                j = TRow.Run<Simd128<T>, Vector128<T>>(ref row, ref hp, ref dr, ref dhp, ref dx, ref dhh, hidden, j);
            }

            if (j < hidden)
            {
                TRow.Run<SimdScalar<T>, T>(ref row, ref hp, ref dr, ref dhp, ref dx, ref dhh, hidden, j);
            }
        }
    }

    private readonly struct GruBackwardRow<T> : IGruBackwardRow<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public static int Run<TOps, TVector>(ref T row, ref T hPrevious, ref T d, ref T dhPrevious, ref T dzx, ref T dzh, int hidden, int start)
            where TOps : ISimd<TVector, T>
            => GruBackward<TOps, TVector, T>(ref row, ref hPrevious, ref d, ref dhPrevious, ref dzx, ref dzh, hidden, start);
    }

    private readonly struct ResetBeforeUpdateRow<T> : IGruBackwardRow<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public static int Run<TOps, TVector>(ref T row, ref T hPrevious, ref T d, ref T dhPrevious, ref T dzx, ref T dzh, int hidden, int start)
            where TOps : ISimd<TVector, T>
            => GruResetBeforeBackwardUpdate<TOps, TVector, T>(ref row, ref hPrevious, ref d, ref dhPrevious, ref dzx, ref dzh, hidden, start);
    }

    private readonly struct ResetBeforeResetRow<T> : IGruBackwardRow<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public static int Run<TOps, TVector>(ref T row, ref T hPrevious, ref T d, ref T dhPrevious, ref T dzx, ref T dzh, int hidden, int start)
            where TOps : ISimd<TVector, T>
            => GruResetBeforeBackwardReset<TOps, TVector, T>(ref row, ref hPrevious, ref d, ref dhPrevious, ref dzx, ref dzh, hidden, start);
    }
}

/// <summary>One of the GRU backward row kernels of <see cref="Cells"/>, so one dispatcher serves all three.</summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
internal interface IGruBackwardRow<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Processes units <paramref name="start"/>.. of one row in steps of the vector width; returns where it stopped.</summary>
    static abstract int Run<TOps, TVector>(ref T row, ref T hPrevious, ref T d, ref T dhPrevious, ref T dzx, ref T dzh, int hidden, int start)
        where TOps : ISimd<TVector, T>;
}
