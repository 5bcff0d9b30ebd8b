using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NativeRnn.Kernels;

/// <summary>
/// One time step of one sequence, fused: the gate pre-activations of a tile of hidden units are
/// accumulated in registers over a single pass of each weight row (input-major weights, so each input
/// value is broadcast into multiply-adds over contiguous outputs), and the cell is applied to them
/// before they ever reach memory. Every weight is read exactly once per step.
/// </summary>
/// <remarks>
/// Weights are in the packed layout: <c>W_ihᵀ</c> <c>[in, G·H]</c> and <c>W_hhᵀ</c> <c>[H, G·H]</c>, gate
/// blocks in PyTorch order. The new hidden state goes to <c>hOut</c>, which must not overlap <c>h</c>
/// (later tiles still read the old one); an LSTM's <c>c</c> is updated in place. The "projected" forms
/// take <c>zx = W_ih x + b_ih (+ b_hh)</c> precomputed for a whole chunk of steps by one matrix product.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static partial class StepKernels
{
    /// <summary>LSTM step: <c>[i f g o] = act(W_ih x + b_ih + W_hh h + b_hh)</c>, <c>c ← f⊙c + i⊙g</c>, <c>hOut ← o⊙tanh c</c>.</summary>
    /// <param name="wih"><c>W_ihᵀ</c>, <c>[input, 4H]</c>.</param>
    /// <param name="whh"><c>W_hhᵀ</c>, <c>[H, 4H]</c>.</param>
    /// <param name="bih"><c>b_ih</c>, <c>[4H]</c>.</param>
    /// <param name="bhh"><c>b_hh</c>, <c>[4H]</c>.</param>
    /// <param name="x">The input, <c>[input]</c>.</param>
    /// <param name="h">The previous hidden state, <c>[H]</c>.</param>
    /// <param name="c">The cell state, <c>[H]</c>, updated in place.</param>
    /// <param name="hOut">Receives the new hidden state, <c>[H]</c>; must not overlap <paramref name="h"/>.</param>
    /// <param name="panelWidth">Panel width of the packed weights (see <see cref="Panels"/>).</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    public static void Lstm<T>(ReadOnlySpan<T> wih, ReadOnlySpan<T> whh, ReadOnlySpan<T> bih, ReadOnlySpan<T> bhh, ReadOnlySpan<T> x, ReadOnlySpan<T> h, Span<T> c, Span<T> hOut, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int hidden = h.Length, input = x.Length;
        Check(wih.Length, input * 4 * hidden, nameof(wih));
        Check(bih.Length, 4 * hidden, nameof(bih));
        Check(bhh.Length, 4 * hidden, nameof(bhh));
        CheckRecurrent(whh.Length, 4, hidden, c.Length, hOut.Length, h, hOut);
        Panels.CheckWidth(panelWidth);
        LstmCore(ref MemoryMarshal.GetReference(wih), ref MemoryMarshal.GetReference(whh), ref MemoryMarshal.GetReference(bih), ref MemoryMarshal.GetReference(bhh),
            ref MemoryMarshal.GetReference(x), input, ref MemoryMarshal.GetReference(h), ref MemoryMarshal.GetReference(c), ref MemoryMarshal.GetReference(hOut), hidden, panelWidth);
    }

    /// <summary>LSTM step from a precomputed input projection <c>zx = W_ih x + b_ih + b_hh</c> (<c>[4H]</c>).</summary>
    /// <param name="zx">The input projection with both biases.</param>
    /// <param name="whh"><c>W_hhᵀ</c>, <c>[H, 4H]</c>.</param>
    /// <param name="h">The previous hidden state.</param>
    /// <param name="c">The cell state, updated in place.</param>
    /// <param name="hOut">Receives the new hidden state; must not overlap <paramref name="h"/>.</param>
    /// <param name="panelWidth">Panel width of the packed weights (see <see cref="Panels"/>).</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    public static void LstmProjected<T>(ReadOnlySpan<T> zx, ReadOnlySpan<T> whh, ReadOnlySpan<T> h, Span<T> c, Span<T> hOut, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int hidden = h.Length;
        Check(zx.Length, 4 * hidden, nameof(zx));
        CheckRecurrent(whh.Length, 4, hidden, c.Length, hOut.Length, h, hOut);
        ref T z = ref MemoryMarshal.GetReference(zx);
        Panels.CheckWidth(panelWidth);
        LstmCore(ref z, ref MemoryMarshal.GetReference(whh), ref z, ref z, ref z, 0, ref MemoryMarshal.GetReference(h), ref MemoryMarshal.GetReference(c), ref MemoryMarshal.GetReference(hOut), hidden, panelWidth);
    }

    /// <summary>
    /// GRU step, reset after (PyTorch): <c>r, z = σ(W_i· x + b_i· + W_h· h + b_h·)</c>,
    /// <c>n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))</c>, <c>hOut ← (1 − z) ⊙ n + z ⊙ h</c>.
    /// </summary>
    /// <param name="wih"><c>W_ihᵀ</c>, <c>[input, 3H]</c>.</param>
    /// <param name="whh"><c>W_hhᵀ</c>, <c>[H, 3H]</c>.</param>
    /// <param name="bih"><c>b_ih</c>, <c>[3H]</c>.</param>
    /// <param name="bhh"><c>b_hh</c>, <c>[3H]</c>.</param>
    /// <param name="x">The input.</param>
    /// <param name="h">The previous hidden state.</param>
    /// <param name="hOut">Receives the new hidden state; must not overlap <paramref name="h"/>.</param>
    /// <param name="panelWidth">Panel width of the packed weights (see <see cref="Panels"/>).</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    public static void Gru<T>(ReadOnlySpan<T> wih, ReadOnlySpan<T> whh, ReadOnlySpan<T> bih, ReadOnlySpan<T> bhh, ReadOnlySpan<T> x, ReadOnlySpan<T> h, Span<T> hOut, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int hidden = h.Length, input = x.Length;
        Check(wih.Length, input * 3 * hidden, nameof(wih));
        Check(bih.Length, 3 * hidden, nameof(bih));
        Check(bhh.Length, 3 * hidden, nameof(bhh));
        CheckRecurrent(whh.Length, 3, hidden, hidden, hOut.Length, h, hOut);
        Panels.CheckWidth(panelWidth);
        GruCore(ref MemoryMarshal.GetReference(wih), ref MemoryMarshal.GetReference(whh), ref MemoryMarshal.GetReference(bih), ref MemoryMarshal.GetReference(bhh),
            ref MemoryMarshal.GetReference(x), input, ref MemoryMarshal.GetReference(h), ref MemoryMarshal.GetReference(hOut), hidden, panelWidth);
    }

    /// <summary>GRU step (reset after) from a precomputed <c>zx = W_ih x + b_ih</c> (<c>[3H]</c>; <c>b_hh</c> stays separate because r gates its n block).</summary>
    /// <param name="zx">The input projection with <c>b_ih</c>.</param>
    /// <param name="whh"><c>W_hhᵀ</c>, <c>[H, 3H]</c>.</param>
    /// <param name="bhh"><c>b_hh</c>, <c>[3H]</c>.</param>
    /// <param name="h">The previous hidden state.</param>
    /// <param name="hOut">Receives the new hidden state; must not overlap <paramref name="h"/>.</param>
    /// <param name="panelWidth">Panel width of the packed weights (see <see cref="Panels"/>).</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    public static void GruProjected<T>(ReadOnlySpan<T> zx, ReadOnlySpan<T> whh, ReadOnlySpan<T> bhh, ReadOnlySpan<T> h, Span<T> hOut, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int hidden = h.Length;
        Check(zx.Length, 3 * hidden, nameof(zx));
        Check(bhh.Length, 3 * hidden, nameof(bhh));
        CheckRecurrent(whh.Length, 3, hidden, hidden, hOut.Length, h, hOut);
        ref T z = ref MemoryMarshal.GetReference(zx);
        Panels.CheckWidth(panelWidth);
        GruCore(ref z, ref MemoryMarshal.GetReference(whh), ref z, ref MemoryMarshal.GetReference(bhh), ref z, 0, ref MemoryMarshal.GetReference(h), ref MemoryMarshal.GetReference(hOut), hidden, panelWidth);
    }

    /// <summary>Simple RNN step: <c>hOut ← g(W_ih x + b_ih + W_hh h + b_hh)</c>.</summary>
    /// <param name="wih"><c>W_ihᵀ</c>, <c>[input, H]</c>.</param>
    /// <param name="whh"><c>W_hhᵀ</c>, <c>[H, H]</c>.</param>
    /// <param name="bih"><c>b_ih</c>.</param>
    /// <param name="bhh"><c>b_hh</c>.</param>
    /// <param name="x">The input.</param>
    /// <param name="h">The previous hidden state.</param>
    /// <param name="hOut">Receives the new hidden state; must not overlap <paramref name="h"/>.</param>
    /// <param name="activation">The nonlinearity <c>g</c>.</param>
    /// <param name="panelWidth">Panel width of the packed weights (see <see cref="Panels"/>).</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    public static void SimpleRnn<T>(ReadOnlySpan<T> wih, ReadOnlySpan<T> whh, ReadOnlySpan<T> bih, ReadOnlySpan<T> bhh, ReadOnlySpan<T> x, ReadOnlySpan<T> h, Span<T> hOut, Activation activation, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int hidden = h.Length, input = x.Length;
        Check(wih.Length, input * hidden, nameof(wih));
        Check(bih.Length, hidden, nameof(bih));
        Check(bhh.Length, hidden, nameof(bhh));
        CheckRecurrent(whh.Length, 1, hidden, hidden, hOut.Length, h, hOut);
        Panels.CheckWidth(panelWidth);
        SimpleRnnCore(ref MemoryMarshal.GetReference(wih), ref MemoryMarshal.GetReference(whh), ref MemoryMarshal.GetReference(bih), ref MemoryMarshal.GetReference(bhh),
            ref MemoryMarshal.GetReference(x), input, ref MemoryMarshal.GetReference(h), ref MemoryMarshal.GetReference(hOut), hidden, activation, panelWidth);
    }

    /// <summary>Simple RNN step from a precomputed <c>zx = W_ih x + b_ih + b_hh</c>.</summary>
    /// <param name="zx">The input projection with both biases.</param>
    /// <param name="whh"><c>W_hhᵀ</c>, <c>[H, H]</c>.</param>
    /// <param name="h">The previous hidden state.</param>
    /// <param name="hOut">Receives the new hidden state; must not overlap <paramref name="h"/>.</param>
    /// <param name="activation">The nonlinearity <c>g</c>.</param>
    /// <param name="panelWidth">Panel width of the packed weights (see <see cref="Panels"/>).</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    public static void SimpleRnnProjected<T>(ReadOnlySpan<T> zx, ReadOnlySpan<T> whh, ReadOnlySpan<T> h, Span<T> hOut, Activation activation, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int hidden = h.Length;
        Check(zx.Length, hidden, nameof(zx));
        CheckRecurrent(whh.Length, 1, hidden, hidden, hOut.Length, h, hOut);
        ref T z = ref MemoryMarshal.GetReference(zx);
        Panels.CheckWidth(panelWidth);
        SimpleRnnCore(ref z, ref MemoryMarshal.GetReference(whh), ref z, ref z, ref z, 0, ref MemoryMarshal.GetReference(h), ref MemoryMarshal.GetReference(hOut), hidden, activation, panelWidth);
    }

    private static void Check(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"'{name}' must have {expected} elements but has {actual}.", name);
        }
    }

    private static void CheckRecurrent<T>(int whh, int gates, int hidden, int state, int output, ReadOnlySpan<T> h, ReadOnlySpan<T> hOut)
    {
        Check(whh, hidden * gates * hidden, "whh");
        Check(state, hidden, "c");
        Check(output, hidden, "hOut");
        if (h.Overlaps(hOut))
        {
            throw new ArgumentException("'hOut' must not overlap 'h': later tiles still read the previous hidden state.", nameof(hOut));
        }
    }

    /// <summary>Stack buffers up to this many bytes; larger layers rent from the shared pool.</summary>
    private const int StackBytes = 32 * 1024;

    // ───────────────────────────── LSTM ─────────────────────────────

    /// <summary>With <paramref name="input"/> = 0, <paramref name="bih"/> holds zx (with both biases) and <paramref name="wih"/>, <paramref name="bhh"/>, <paramref name="x"/> are unused.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LstmCore<T>(ref T wih, ref T whh, ref T bih, ref T bhh, ref T x, int input, ref T h, ref T c, ref T hOut, int hidden, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int gh = 4 * hidden;
        if (CanFuse(4, hidden, panelWidth))
        {
            FusedLstm(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref c, ref hOut, hidden, panelWidth);
            return;
        }

        T[]? rented = null;
        Span<T> buffer = gh * Unsafe.SizeOf<T>() <= StackBytes ? stackalloc T[gh] : (rented = System.Buffers.ArrayPool<T>.Shared.Rent(gh));
        ref T z = ref MemoryMarshal.GetReference(buffer);

        // z = b_ih + b_hh + W_ih x + W_hh h: every weight read once.
        if (input > 0)
        {
            Add(ref bih, ref bhh, ref z, gh);
            MatVec.RunPanels(ref x, input, ref wih, panelWidth, ref z, gh);
        }
        else
        {
            MemoryMarshal.CreateReadOnlySpan(ref bih, gh).CopyTo(buffer);
        }

        MatVec.RunPanels(ref h, hidden, ref whh, panelWidth, ref z, gh);
        LstmCell(ref z, ref c, ref hOut, hidden);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<T>.Shared.Return(rented);
        }
    }

    private static void LstmCell<T>(ref T z, ref T c, ref T hOut, int hidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int j = 0;
        if (Simd512<T>.IsAccelerated)
        {
            j = LstmCell<Simd512<T>, Vector512<T>, T>(ref z, ref c, ref hOut, hidden, j);
        }

        if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= hidden)
        {
            j = LstmCell<Simd256<T>, Vector256<T>, T>(ref z, ref c, ref hOut, hidden, j);
        }

        if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= hidden)
        {
            j = LstmCell<Simd128<T>, Vector128<T>, T>(ref z, ref c, ref hOut, hidden, j);
        }

        if (j < hidden)
        {
            LstmCell<SimdScalar<T>, T, T>(ref z, ref c, ref hOut, hidden, j);
        }
    }

    /// <summary><c>c ← σ(z_f)⊙c + σ(z_i)⊙tanh(z_g)</c>; <c>hOut ← σ(z_o)⊙tanh(c)</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int LstmCell<TOps, TVector, T>(ref T z, ref T c, ref T hOut, int hidden, int j)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int w = TOps.Count;
        for (; j + w <= hidden; j += w)
        {
            ref T zi = ref Unsafe.Add(ref z, j);
            TVector i = SigmoidOperator<T>.Invoke<TOps, TVector>(TOps.Load(ref zi));
            TVector f = SigmoidOperator<T>.Invoke<TOps, TVector>(TOps.Load(ref Unsafe.Add(ref zi, hidden)));
            TVector g = TanhOperator<T>.Invoke<TOps, TVector>(TOps.Load(ref Unsafe.Add(ref zi, 2 * hidden)));
            TVector o = SigmoidOperator<T>.Invoke<TOps, TVector>(TOps.Load(ref Unsafe.Add(ref zi, 3 * hidden)));
            ref T cj = ref Unsafe.Add(ref c, j);
            TVector cNew = TOps.MultiplyAdd(f, TOps.Load(ref cj), TOps.Multiply(i, g));
            TOps.Store(cNew, ref cj);
            TOps.Store(TOps.Multiply(o, TanhOperator<T>.Invoke<TOps, TVector>(cNew)), ref Unsafe.Add(ref hOut, j));
        }

        return j;
    }

    // ───────────────────────────── GRU ─────────────────────────────

    /// <summary>With <paramref name="input"/> = 0, <paramref name="bih"/> holds zx = W_ih x + b_ih (overwritten is allowed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GruCore<T>(ref T wih, ref T whh, ref T bih, ref T bhh, ref T x, int input, ref T h, ref T hOut, int hidden, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int gh = 3 * hidden;
        if (CanFuse(3, hidden, panelWidth))
        {
            FusedGru(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref hOut, hidden, panelWidth);
            return;
        }

        int size = input > 0 ? 2 * gh : gh;
        T[]? rented = null;
        Span<T> buffer = size * Unsafe.SizeOf<T>() <= StackBytes ? stackalloc T[size] : (rented = System.Buffers.ArrayPool<T>.Shared.Rent(size));

        // gx = W_ih x + b_ih and gh = W_hh h + b_hh apart: r gates only gh's n block.
        ref T recurrent = ref MemoryMarshal.GetReference(buffer);
        MemoryMarshal.CreateReadOnlySpan(ref bhh, gh).CopyTo(buffer);
        MatVec.RunPanels(ref h, hidden, ref whh, panelWidth, ref recurrent, gh);
        scoped ref T gx = ref bih;
        if (input > 0)
        {
            gx = ref Unsafe.Add(ref recurrent, gh);
            MemoryMarshal.CreateReadOnlySpan(ref bih, gh).CopyTo(buffer.Slice(gh, gh));
            MatVec.RunPanels(ref x, input, ref wih, panelWidth, ref gx, gh);
        }

        GruCell(ref gx, ref recurrent, ref h, ref hOut, hidden);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<T>.Shared.Return(rented);
        }
    }

    private static void GruCell<T>(ref T gx, ref T gh, ref T h, ref T hOut, int hidden)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int j = 0;
        if (Simd512<T>.IsAccelerated)
        {
            j = GruCell<Simd512<T>, Vector512<T>, T>(ref gx, ref gh, ref h, ref hOut, hidden, j);
        }

        if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= hidden)
        {
            j = GruCell<Simd256<T>, Vector256<T>, T>(ref gx, ref gh, ref h, ref hOut, hidden, j);
        }

        if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= hidden)
        {
            j = GruCell<Simd128<T>, Vector128<T>, T>(ref gx, ref gh, ref h, ref hOut, hidden, j);
        }

        if (j < hidden)
        {
            GruCell<SimdScalar<T>, T, T>(ref gx, ref gh, ref h, ref hOut, hidden, j);
        }
    }

    /// <summary><c>r, z = σ(gx + gh)</c>; <c>n = tanh(gx_n + r⊙gh_n)</c>; <c>hOut ← n + z⊙(h − n)</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int GruCell<TOps, TVector, T>(ref T gx, ref T gh, ref T h, ref T hOut, int hidden, int j)
        where TOps : ISimd<TVector, T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int w = TOps.Count;
        for (; j + w <= hidden; j += w)
        {
            ref T x = ref Unsafe.Add(ref gx, j);
            ref T g = ref Unsafe.Add(ref gh, j);
            TVector r = SigmoidOperator<T>.Invoke<TOps, TVector>(TOps.Add(TOps.Load(ref x), TOps.Load(ref g)));
            TVector z = SigmoidOperator<T>.Invoke<TOps, TVector>(TOps.Add(TOps.Load(ref Unsafe.Add(ref x, hidden)), TOps.Load(ref Unsafe.Add(ref g, hidden))));
            TVector n = TanhOperator<T>.Invoke<TOps, TVector>(TOps.MultiplyAdd(r, TOps.Load(ref Unsafe.Add(ref g, 2 * hidden)), TOps.Load(ref Unsafe.Add(ref x, 2 * hidden))));
            TOps.Store(TOps.MultiplyAdd(z, TOps.Subtract(TOps.Load(ref Unsafe.Add(ref h, j)), n), n), ref Unsafe.Add(ref hOut, j));
        }

        return j;
    }

    // ───────────────────────────── Simple RNN ─────────────────────────────

    /// <summary>With <paramref name="input"/> = 0, <paramref name="bih"/> holds zx = W_ih x + b_ih + b_hh.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SimpleRnnCore<T>(ref T wih, ref T whh, ref T bih, ref T bhh, ref T x, int input, ref T h, ref T hOut, int hidden, Activation activation, int panelWidth)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // The pre-activation accumulates directly in hOut.
        if (hidden <= panelWidth)
        {
            FusedRnn(ref wih, ref whh, ref bih, ref bhh, ref x, input, ref h, ref hOut, hidden, panelWidth);
        }
        else if (input > 0)
        {
            Add(ref bih, ref bhh, ref hOut, hidden);
            MatVec.RunPanels(ref x, input, ref wih, panelWidth, ref hOut, hidden);
        }
        else
        {
            MemoryMarshal.CreateReadOnlySpan(ref bih, hidden).CopyTo(MemoryMarshal.CreateSpan(ref hOut, hidden));
        }

        if (hidden > panelWidth)
        {
            MatVec.RunPanels(ref h, hidden, ref whh, panelWidth, ref hOut, hidden);
        }

        switch (activation)
        {
            case Activation.Relu:
                ElementwiseDriver.MapInPlace<ReluOperator<T>, T>(ref hOut, hidden);
                break;
            case Activation.Sigmoid:
                ElementwiseDriver.MapInPlace<SigmoidOperator<T>, T>(ref hOut, hidden);
                break;
            default:
                ElementwiseDriver.MapInPlace<TanhOperator<T>, T>(ref hOut, hidden);
                break;
        }
    }

    /// <summary><c>z ← a + b</c> over <paramref name="length"/> elements.</summary>
    private static void Add<T>(ref T a, ref T b, ref T z, int length)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        MemoryMarshal.CreateReadOnlySpan(ref a, length).CopyTo(MemoryMarshal.CreateSpan(ref z, length));
        ElementwiseDriver.MapInPlace<AddOperator<T>, T>(ref b, ref z, length);
    }
}
