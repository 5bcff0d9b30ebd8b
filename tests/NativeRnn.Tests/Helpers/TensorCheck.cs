using System;
using System.Numerics;
using Xunit.Sdk;

namespace NativeRnn.Tests.Helpers;

/// <summary>Compares tensors element by element and reports the worst element, not just pass or fail.</summary>
public static class TensorCheck
{
    /// <summary>The worst element of a comparison.</summary>
    public readonly record struct Worst(int Index, double Expected, double Actual, double Error)
    {
        public override string ToString() => $"worst at [{Index}]: expected {Expected:R}, got {Actual:R} (error {Error:E3})";
    }

    /// <summary>Largest |expected − actual|.</summary>
    public static Worst MaxAbsolute<T>(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual)
        where T : IFloatingPointIeee754<T>
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"Lengths differ: expected {expected.Length}, got {actual.Length}.");
        }

        var worst = new Worst(-1, 0, 0, 0);
        for (int i = 0; i < expected.Length; i++)
        {
            double a = double.CreateTruncating(actual[i]);
            double error = Math.Abs(expected[i] - a);
            if (double.IsNaN(error) || error > worst.Error)
            {
                worst = new Worst(i, expected[i], a, double.IsNaN(error) ? double.PositiveInfinity : error);
            }
        }

        return worst;
    }

    /// <summary>Largest |expected − actual| / max(|expected|, |actual|, floor).</summary>
    public static Worst MaxRelative(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double floor)
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"Lengths differ: expected {expected.Length}, got {actual.Length}.");
        }

        var worst = new Worst(-1, 0, 0, 0);
        for (int i = 0; i < expected.Length; i++)
        {
            double scale = Math.Max(floor, Math.Max(Math.Abs(expected[i]), Math.Abs(actual[i])));
            double error = Math.Abs(expected[i] - actual[i]) / scale;
            if (double.IsNaN(error) || error > worst.Error)
            {
                worst = new Worst(i, expected[i], actual[i], double.IsNaN(error) ? double.PositiveInfinity : error);
            }
        }

        return worst;
    }

    /// <summary>Throws unless every element is within <paramref name="tolerance"/> absolute.</summary>
    public static void Close<T>(ReadOnlySpan<double> expected, ReadOnlySpan<T> actual, double tolerance, string label)
        where T : IFloatingPointIeee754<T>
    {
        Worst worst = MaxAbsolute(expected, actual);
        if (!(worst.Error <= tolerance))
        {
            throw new XunitException($"{label}: {worst}; tolerance {tolerance:E1}.");
        }
    }
}
