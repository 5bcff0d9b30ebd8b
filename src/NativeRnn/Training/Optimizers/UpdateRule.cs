using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using NativeRnn.Kernels;

namespace NativeRnn.Training.Optimizers;

/// <summary>
/// One optimiser's update of a vector of parameters: reads <c>θ</c>, <c>g</c> and up to three state elements, returns the
/// new <c>θ</c> and writes the new state through the references. Written once for every vector width; rules use only
/// exactly rounded operations (+, −, ×, ÷, √, no fused multiply-add), so every width gives the same bits.
/// </summary>
internal interface IUpdateRule<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>State blocks the rule reads and writes (0 to 3).</summary>
    int Blocks { get; }

    TVector Update<TOps, TVector>(TVector parameter, TVector gradient, ref TVector s0, ref TVector s1, ref TVector s2)
        where TOps : ISimd<TVector, T>;
}

/// <summary>
/// Runs an <see cref="IUpdateRule{T}"/> over a whole parameter block in one of two passes: a probe that computes every
/// new value and reports whether all are finite without writing anything, and a commit that writes them. An optimiser
/// commits only after a clean probe, so a refused step leaves parameters and state exactly as they were.
/// </summary>
internal static class UpdateDriver
{
    /// <summary>Runs the rule over <paramref name="length"/> elements; returns whether every new parameter and state value is finite.</summary>
    public static bool Run<TRule, T>(in TRule rule, ref T parameters, ref T gradients, ref T s0, ref T s1, ref T s2, int length, bool commit)
        where TRule : struct, IUpdateRule<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => commit
            ? Pass<TRule, T, CommitPass>(rule, ref parameters, ref gradients, ref s0, ref s1, ref s2, length)
            : Pass<TRule, T, ProbePass>(rule, ref parameters, ref gradients, ref s0, ref s1, ref s2, length);

    private static bool Pass<TRule, T, TPass>(in TRule rule, ref T p, ref T g, ref T s0, ref T s1, ref T s2, int length)
        where TRule : struct, IUpdateRule<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TPass : struct, IPass
    {
        int i = 0;
        T finite = T.Zero;
        if (Simd512<T>.IsAccelerated)
        {
            i = Width<TRule, T, TPass, Simd512<T>, Vector512<T>>(rule, ref p, ref g, ref s0, ref s1, ref s2, i, length, ref finite);
        }

        if (Simd256<T>.IsAccelerated)
        {
            i = Width<TRule, T, TPass, Simd256<T>, Vector256<T>>(rule, ref p, ref g, ref s0, ref s1, ref s2, i, length, ref finite);
        }

        if (Simd128<T>.IsAccelerated)
        {
            i = Width<TRule, T, TPass, Simd128<T>, Vector128<T>>(rule, ref p, ref g, ref s0, ref s1, ref s2, i, length, ref finite);
        }

        Width<TRule, T, TPass, SimdScalar<T>, T>(rule, ref p, ref g, ref s0, ref s1, ref s2, i, length, ref finite);
        return finite == T.Zero;
    }

    /// <summary>The elements from <paramref name="start"/> that whole vectors of this width cover; returns where it stopped.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Width<TRule, T, TPass, TOps, TVector>(in TRule rule, ref T p, ref T g, ref T s0, ref T s1, ref T s2, int start, int length, ref T finite)
        where TRule : struct, IUpdateRule<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        where TPass : struct, IPass
        where TOps : ISimd<TVector, T>
    {
        int count = TOps.Count;
        int blocks = rule.Blocks;
        TVector zero = TOps.Zero;

        // x·0 is 0 for finite x and NaN otherwise; NaN survives every addition.
        TVector check = zero;
        int i = start;
        for (; i + count <= length; i += count)
        {
            TVector a = blocks > 0 ? TOps.Load(ref Unsafe.Add(ref s0, i)) : zero;
            TVector b = blocks > 1 ? TOps.Load(ref Unsafe.Add(ref s1, i)) : zero;
            TVector c = blocks > 2 ? TOps.Load(ref Unsafe.Add(ref s2, i)) : zero;
            TVector updated = rule.Update<TOps, TVector>(TOps.Load(ref Unsafe.Add(ref p, i)), TOps.Load(ref Unsafe.Add(ref g, i)), ref a, ref b, ref c);
            check = TOps.Add(check, TOps.Add(TOps.Add(TOps.Multiply(updated, zero), TOps.Multiply(a, zero)), TOps.Add(TOps.Multiply(b, zero), TOps.Multiply(c, zero))));
            if (TPass.Writes)
            {
                TOps.Store(updated, ref Unsafe.Add(ref p, i));
                if (blocks > 0)
                {
                    TOps.Store(a, ref Unsafe.Add(ref s0, i));
                }

                if (blocks > 1)
                {
                    TOps.Store(b, ref Unsafe.Add(ref s1, i));
                }

                if (blocks > 2)
                {
                    TOps.Store(c, ref Unsafe.Add(ref s2, i));
                }
            }
        }

        finite += TOps.Sum(check);
        return i;
    }

    private interface IPass
    {
        static abstract bool Writes { get; }
    }

    private readonly struct ProbePass : IPass
    {
        public static bool Writes => false;
    }

    private readonly struct CommitPass : IPass
    {
        public static bool Writes => true;
    }
}
