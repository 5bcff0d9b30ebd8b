using System;
using NativeRnn.Initialization;

namespace NativeRnn.Training;

/// <summary>Seeded shuffles and training/validation splits, reproducible on every machine.</summary>
public static class DataSplit
{
    /// <summary>
    /// Splits <paramref name="count"/> items at random into training and validation indices: a seeded Fisher–Yates shuffle,
    /// then the last <paramref name="validationFraction"/> of it for validation. Both lists come back in ascending order.
    /// </summary>
    /// <param name="count">Items, at least 2.</param>
    /// <param name="validationFraction">The share for validation, in <c>(0, 1)</c>; each side gets at least one item.</param>
    /// <param name="seed">The seed.</param>
    /// <returns>The training and the validation indices.</returns>
    public static (int[] Training, int[] Validation) Split(int count, double validationFraction, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 2);
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must lie between 0 and 1.");
        }

        int[] order = new int[count];
        Order(order, seed, 0);
        int validation = Math.Clamp((int)Math.Round(count * validationFraction), 1, count - 1);
        int[] training = order[..(count - validation)];
        int[] held = order[(count - validation)..];
        Array.Sort(training);
        Array.Sort(held);
        return (training, held);
    }

    /// <summary>Splits a series by time: the first part for training, the last <paramref name="validationFraction"/> for validation.</summary>
    /// <param name="series">Row-major <c>[length, features]</c>.</param>
    /// <param name="features">Values per step.</param>
    /// <param name="validationFraction">The share of steps for validation, in <c>(0, 1)</c>.</param>
    /// <typeparam name="T">Element type.</typeparam>
    /// <returns>The two parts, each a whole number of steps.</returns>
    public static (ReadOnlyMemory<T> Training, ReadOnlyMemory<T> Validation) ByTime<T>(ReadOnlyMemory<T> series, int features, double validationFraction)
    {
        if (!(validationFraction > 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must lie between 0 and 1.");
        }

        int length = series.Length / features;
        int training = length - (int)Math.Round(length * validationFraction);
        return (series.Slice(0, training * features), series.Slice(training * features, (length - training) * features));
    }

    /// <summary>Fills <paramref name="order"/> with 0…n−1, shuffled by a Fisher–Yates pass seeded by (<paramref name="seed"/>, <paramref name="epoch"/>), or in order without a seed.</summary>
    /// <param name="order">The destination.</param>
    /// <param name="seed">The seed, or null for the identity order.</param>
    /// <param name="epoch">The epoch, so each epoch has its own order.</param>
    public static void Order(Span<int> order, ulong? seed, long epoch)
    {
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        if (seed is not ulong value)
        {
            return;
        }

        var random = new DeterministicRandom(value, 0x5EED_0000UL + (ulong)epoch);
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }
}
