using System.Runtime.CompilerServices;
using System;
using System.ComponentModel;
using System.Numerics;
using NativeRnn.Initialization;

namespace NativeRnn.Kernels;

/// <summary>
/// Inverted dropout for training passes: <c>x̃ = x ⊙ m</c>, with <c>m = 1/(1 − p)</c> where an element is kept
/// (probability <c>1 − p</c>) and 0 where it is dropped, so the expectation of <c>x̃</c> is <c>x</c> and inference
/// needs no rescaling. The mask is a pure function of (seed, site, step, sequence, column): every row
/// <c>(t, b)</c> draws from its own stream, keyed by the sequence's index in the whole minibatch, so a minibatch
/// split over several tapes (data-parallel training) gets exactly the masks of one tape holding all of it.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class Dropout
{
    /// <summary>Fills <paramref name="mask"/> and writes <c>dropped = x ⊙ mask</c> over time-major rows <c>t·batch + b</c>.</summary>
    /// <param name="x">The input rows, <c>[steps·batch, width]</c> with stride <paramref name="ldx"/>.</param>
    /// <param name="ldx">Row stride of <paramref name="x"/>.</param>
    /// <param name="dropped">Receives <c>x ⊙ mask</c>, contiguous <c>[steps·batch, width]</c>.</param>
    /// <param name="mask">Receives the mask, contiguous <c>[steps·batch, width]</c>: <c>1/(1 − rate)</c> or 0.</param>
    /// <param name="steps">Steps.</param>
    /// <param name="batch">Sequences.</param>
    /// <param name="width">Columns.</param>
    /// <param name="rate">Probability of dropping an element, in <c>[0, 1)</c>.</param>
    /// <param name="seed">The pass's dropout seed.</param>
    /// <param name="site">Which dropout of the model (the index of the layer whose input it drops).</param>
    /// <param name="firstSequence">Index in the whole minibatch of this tape's first sequence.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Apply<T>(ReadOnlySpan<T> x, int ldx, Span<T> dropped, Span<T> mask, int steps, int batch, int width, double rate, ulong seed, int site, int firstSequence)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!(rate >= 0 && rate < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "A dropout rate must be at least 0 and less than 1.");
        }

        int rows = steps * batch;
        Gemm.CheckMatrix(x.Length, rows, width, ldx, nameof(x));
        Gemm.CheckMatrix(dropped.Length, rows, width, width, nameof(dropped));
        Gemm.CheckMatrix(mask.Length, rows, width, width, nameof(mask));

        // Keep an element when its 32 random bits are at least rate·2³².
        uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(rate * 4294967296.0));
        T keep = T.One / (T.One - T.CreateTruncating(rate));
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                int row = (t * batch) + b;
                var random = new DeterministicRandom(seed, Stream(site, t, firstSequence + b));
                Span<T> m = mask.Slice(row * width, width);
                for (int j = 0; j < width; j += 2)
                {
                    ulong bits = random.NextUInt64();
                    m[j] = (uint)bits >= threshold ? keep : T.Zero;
                    if (j + 1 < width)
                    {
                        m[j + 1] = (uint)(bits >> 32) >= threshold ? keep : T.Zero;
                    }
                }

                x.Slice(row * ldx, width).CopyTo(dropped.Slice(row * width, width));
            }
        }

        Rows.MultiplyInto<T>(mask.Slice(0, rows * width), width, dropped, width, rows, width);
    }

    /// <summary>The backward pass of <see cref="Apply{T}"/>: <c>∂L/∂x = ∂L/∂x̃ ⊙ mask</c>, in place.</summary>
    /// <param name="gradient">∂L/∂x̃ on entry, ∂L/∂x on return; <c>[rows, width]</c> with stride <paramref name="ld"/>.</param>
    /// <param name="ld">Row stride of <paramref name="gradient"/>.</param>
    /// <param name="mask">The mask the forward pass recorded.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="width">Columns.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    public static void Backward<T>(Span<T> gradient, int ld, ReadOnlySpan<T> mask, int rows, int width)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => Rows.MultiplyInto(mask, width, gradient, ld, rows, width);

    /// <summary>The random stream of one row: the site in the top byte, the step and the sequence below it.</summary>
    private static ulong Stream(int site, int step, int sequence)
        => ((ulong)(uint)site << 56) ^ ((ulong)(uint)step << 28) ^ (uint)sequence;
}
