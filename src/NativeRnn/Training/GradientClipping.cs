using System.Runtime.CompilerServices;
using System;
using System.Numerics;
using NativeRnn.Kernels;

namespace NativeRnn.Training;

/// <summary>What a clipping call saw and did.</summary>
/// <param name="Norm">The norm before clipping: L2 for <see cref="GradientClipping.ClipByGlobalNorm{T}"/>, the largest magnitude for <see cref="GradientClipping.ClipByValue{T}"/>; NaN or ∞ when the gradient was not finite.</param>
/// <param name="Clipped">Whether any element changed.</param>
/// <param name="IsFinite">False when an element was NaN or infinite; the gradient was then left untouched and must not be applied.</param>
public readonly record struct ClipResult(double Norm, bool Clipped, bool IsFinite);

/// <summary>
/// Gradient clipping, the standard cure for exploding gradients in BPTT. Both forms report a
/// non-finite gradient instead of spreading it: the gradient is left as it was and
/// <see cref="ClipResult.IsFinite"/> is false (and every <see cref="Optimizer{T}"/> refuses to apply it).
/// </summary>
public static class GradientClipping
{
    /// <summary>
    /// The global L2 norm <c>‖g‖ = √(Σ g_i²)</c>, accumulated in double and rescaled when the plain
    /// sum would overflow, so any finite gradient has a finite norm.
    /// </summary>
    /// <param name="gradients">The gradient block.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>The norm, or NaN/∞ when an element is not finite.</returns>
    public static double GlobalNorm<T>(ReadOnlySpan<T> gradients)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        double sum = VectorMath.SumOfSquares(gradients);
        if (double.IsFinite(sum))
        {
            return Math.Sqrt(sum);
        }

        double max = VectorMath.MaxAbs(gradients);
        if (!double.IsFinite(max))
        {
            return max; // NaN or ∞: reported, not hidden.
        }

        // Every element is finite but the squares overflow double: scale by the largest magnitude.
        return max * Math.Sqrt(VectorMath.SumOfSquares(gradients, 1.0 / max));
    }

    /// <summary>
    /// Clipping by global norm: if <c>‖g‖ &gt; c</c> then <c>g ← g · c/‖g‖</c>. Afterwards
    /// <c>GlobalNorm(g) ≤ c</c> exactly (a final rounding step guarantees it), so clipping twice is the
    /// same as clipping once; a gradient whose norm is already at most <c>c</c> is not touched.
    /// </summary>
    /// <param name="gradients">The gradient block, scaled in place.</param>
    /// <param name="maxNorm">The bound <c>c</c>, positive and finite.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>The norm before clipping and what happened.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not positive and finite.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ClipResult ClipByGlobalNorm<T>(Span<T> gradients, double maxNorm)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!(maxNorm > 0) || !double.IsFinite(maxNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum norm must be positive and finite.");
        }

        double norm = GlobalNorm<T>(gradients);
        if (!double.IsFinite(norm))
        {
            return new ClipResult(norm, Clipped: false, IsFinite: false);
        }

        if (norm <= maxNorm)
        {
            return new ClipResult(norm, Clipped: false, IsFinite: true);
        }

        // Rounding can leave the scaled norm a hair above c; shrink by a few ulps until it is not.
        double scale = maxNorm / norm;
        double current = norm;
        for (int attempt = 0; attempt < 8 && current > maxNorm; attempt++)
        {
            VectorMath.Scale(gradients, T.CreateTruncating(scale));
            current = GlobalNorm<T>(gradients);
            scale = Math.Min(maxNorm / current, 1 - (4 * double.CreateTruncating(Ulp<T>())));
        }

        return new ClipResult(norm, Clipped: true, IsFinite: true);
    }

    /// <summary>
    /// Clipping by value: <c>g_i ← clamp(g_i, −v, v)</c>. Idempotent; a gradient within the bound is not touched.
    /// </summary>
    /// <param name="gradients">The gradient block, clamped in place.</param>
    /// <param name="limit">The bound <c>v</c>, positive and finite.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>The largest magnitude before clipping and what happened.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not positive and finite.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ClipResult ClipByValue<T>(Span<T> gradients, double limit)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!(limit > 0) || !double.IsFinite(limit))
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "The limit must be positive and finite.");
        }

        double max = VectorMath.MaxAbs<T>(gradients);
        if (!double.IsFinite(max))
        {
            return new ClipResult(max, Clipped: false, IsFinite: false);
        }

        T v = T.CreateTruncating(limit);
        bool clipped = false;
        for (int i = 0; i < gradients.Length; i++)
        {
            T g = gradients[i];
            if (g > v)
            {
                gradients[i] = v;
                clipped = true;
            }
            else if (g < -v)
            {
                gradients[i] = -v;
                clipped = true;
            }
        }

        return new ClipResult(max, clipped, IsFinite: true);
    }

    /// <summary>Unit roundoff of <typeparamref name="T"/> (2⁻²⁴ for float, 2⁻⁵³ for double).</summary>
    private static T Ulp<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => typeof(T) == typeof(float) ? T.CreateTruncating(1.0 / (1 << 24)) : T.CreateTruncating(1.0 / (1L << 53));
}
