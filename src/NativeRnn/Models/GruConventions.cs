using System;
using System.Numerics;

namespace NativeRnn;

/// <summary>Maps GRU parameters between the two ways texts write the update gate.</summary>
public static class GruConventions
{
    /// <summary>
    /// Converts a GRU's parameters between PyTorch's update rule <c>h' = (1 − z) ⊙ n + z ⊙ h</c> and the
    /// rule <c>h' = (1 − z̃) ⊙ h + z̃ ⊙ n</c> of Cho et al. and many tutorials. Since <c>1 − σ(a) = σ(−a)</c>,
    /// <c>z̃ = 1 − z</c> is the same gate with its pre-activation negated, so the conversion negates the
    /// z rows (rows <c>[H, 2H)</c>, PyTorch gate order r, z, n) of all four tensors. It is its own inverse.
    /// </summary>
    /// <param name="weightIh"><c>weight_ih</c>, row-major <c>[3H, in]</c>.</param>
    /// <param name="weightHh"><c>weight_hh</c>, row-major <c>[3H, H]</c>.</param>
    /// <param name="biasIh"><c>bias_ih</c>, <c>[3H]</c>.</param>
    /// <param name="biasHh"><c>bias_hh</c>, <c>[3H]</c>.</param>
    /// <param name="hidden"><c>H</c>.</param>
    /// <typeparam name="T">Element type.</typeparam>
    /// <exception cref="ArgumentException">A tensor has the wrong length.</exception>
    public static void ConvertUpdateGate<T>(Span<T> weightIh, Span<T> weightHh, Span<T> biasIh, Span<T> biasHh, int hidden)
        where T : INumberBase<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        if (biasIh.Length != 3 * hidden || biasHh.Length != 3 * hidden || weightHh.Length != 3 * hidden * hidden || weightIh.Length % (3 * hidden) != 0)
        {
            throw new ArgumentException($"GRU tensors with hidden size {hidden} must be [3·{hidden}, in], [3·{hidden}, {hidden}], [3·{hidden}] and [3·{hidden}].");
        }

        int inputs = weightIh.Length / (3 * hidden);
        Negate(weightIh.Slice(hidden * inputs, hidden * inputs));
        Negate(weightHh.Slice(hidden * hidden, hidden * hidden));
        Negate(biasIh.Slice(hidden, hidden));
        Negate(biasHh.Slice(hidden, hidden));
    }

    private static void Negate<T>(Span<T> values)
        where T : INumberBase<T>
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = -values[i];
        }
    }
}
