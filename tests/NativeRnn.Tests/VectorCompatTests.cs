using System;
using System.Collections.Generic;
using System.Runtime.Intrinsics;
using NativeRnn.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests;

/// <summary>
/// The operations .NET 9 added to the vector types, which <see cref="VectorCompat"/> supplies on .NET 8:
/// the suite runs on both runtimes, so each assertion holds for the runtime's own operation and for the
/// replacement alike. Every width is checked, accelerated or not.
/// </summary>
public class VectorCompatTests(ITestOutputHelper output)
{
    private static IEnumerable<double> ExpArguments()
    {
        for (double x = -760; x <= 720; x += 0.0137)
        {
            yield return x;
        }

        for (double x = -1; x <= 1; x += 1.0 / 4096)
        {
            yield return x;
        }

        foreach (double edge in new[] { 0.0, -0.0, 1e-300, -1e-300, 709.782712893384, 709.79, -708.39, -745.1, -745.2, -746, 710, 1e300, -1e300 })
        {
            yield return edge;
        }
    }

    /// <summary>Distance in units in the last place between two finite non-negative doubles.</summary>
    private static long Ulps(double a, double b) => Math.Abs(BitConverter.DoubleToInt64Bits(a) - BitConverter.DoubleToInt64Bits(b));

    [Fact]
    public void Double_exp_of_every_width_is_within_one_ulp_of_Math_Exp()
    {
        long worst = 0;
        double worstAt = 0;
        foreach (double x in ExpArguments())
        {
            double expected = Math.Exp(x);
            foreach (double actual in new[] { DoubleExp.Exp(Vector128.Create(x)).GetElement(1), DoubleExp.Exp(Vector256.Create(x)).GetElement(3), DoubleExp.Exp(Vector512.Create(x)).GetElement(7) })
            {
                long ulps = Ulps(actual, expected);
                if (ulps > worst)
                {
                    (worst, worstAt) = (ulps, x);
                }
            }
        }

        output.WriteLine($"DoubleExp: worst {worst} ulp at x = {worstAt:R}");
        Assert.True(worst <= 1, $"{worst} ulp at x = {worstAt:R}: {DoubleExp.Exp(Vector128.Create(worstAt)).GetElement(0):R} against {Math.Exp(worstAt):R}");
    }

    [Fact]
    public void Double_exp_saturates_and_keeps_NaN()
    {
        Vector256<double> x = Vector256.Create(double.PositiveInfinity, double.NegativeInfinity, double.NaN, 800);
        foreach (Vector256<double> result in new[] { DoubleExp.Exp(x), VectorCompat.Exp(x) })
        {
            Assert.Equal(double.PositiveInfinity, result.GetElement(0));
            Assert.Equal(0.0, result.GetElement(1));
            Assert.True(double.IsNaN(result.GetElement(2)));
            Assert.Equal(double.PositiveInfinity, result.GetElement(3));
        }
    }

    [Fact]
    public void Float_exp_keeps_NaN_and_saturates_at_every_width()
    {
        Vector128<float> x = Vector128.Create(float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f);
        Vector128<float>[] results =
        [
            FastExp.Exp(x),
            FastExp.Exp(Vector256.Create(x, x)).GetLower(),
            FastExp.Exp(Vector512.Create(Vector256.Create(x, x), Vector256.Create(x, x))).GetLower().GetLower(),
        ];
        foreach (Vector128<float> result in results)
        {
            Assert.True(float.IsNaN(result.GetElement(0)), $"exp(NaN) = {result.GetElement(0)}");
            Assert.True(result.GetElement(1) > 1e38f);
            Assert.True(result.GetElement(2) is >= 0 and < 1e-37f);
            Assert.Equal(1f, result.GetElement(3));
        }
    }

    [Fact]
    public void Native_max_and_min_keep_a_NaN_in_the_second_operand()
    {
        Vector128<float> a = Vector128.Create(1f, float.NaN, 3f, -2f);
        Vector128<float> b = Vector128.Create(float.NaN, 2f, 1f, -1f);
        AssertLanes(VectorCompat.MaxNative(a, b), float.NaN, null, 3f, -1f);
        AssertLanes(VectorCompat.MinNative(a, b), float.NaN, null, 1f, -2f);
        AssertLanes(VectorCompat.MaxNative(Vector256.Create(a, a), Vector256.Create(b, b)).GetUpper(), float.NaN, null, 3f, -1f);
        AssertLanes(VectorCompat.MinNative(Vector256.Create(a, a), Vector256.Create(b, b)).GetUpper(), float.NaN, null, 1f, -2f);
        Vector512<float> a512 = Vector512.Create(Vector256.Create(a, a), Vector256.Create(a, a));
        Vector512<float> b512 = Vector512.Create(Vector256.Create(b, b), Vector256.Create(b, b));
        AssertLanes(VectorCompat.MaxNative(a512, b512).GetUpper().GetUpper(), float.NaN, null, 3f, -1f);
        AssertLanes(VectorCompat.MinNative(a512, b512).GetUpper().GetUpper(), float.NaN, null, 1f, -2f);

        Vector128<double> ad = Vector128.Create(4.0, -3.0);
        Vector128<double> bd = Vector128.Create(double.NaN, -5.0);
        Assert.True(double.IsNaN(VectorCompat.MaxNative(ad, bd).GetElement(0)));
        Assert.Equal(-3.0, VectorCompat.MaxNative(ad, bd).GetElement(1));
        Assert.Equal(-5.0, VectorCompat.MinNative(ad, bd).GetElement(1));
    }

    [Fact]
    public void Round_takes_ties_to_even_at_every_width()
    {
        Vector128<float> x = Vector128.Create(0.5f, 1.5f, -2.5f, 2.4999998f);
        float[] expected = [0f, 2f, -2f, 2f];
        Vector128<float>[] results =
        [
            VectorCompat.Round(x),
            VectorCompat.Round(Vector256.Create(x, x)).GetUpper(),
            VectorCompat.Round(Vector512.Create(Vector256.Create(x, x), Vector256.Create(x, x))).GetUpper().GetUpper(),
        ];
        foreach (Vector128<float> result in results)
        {
            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(expected[i], result.GetElement(i));
            }
        }

        Assert.Equal(-0f, VectorCompat.Round(Vector128.Create(-0.25f)).GetElement(0));
        Assert.True(float.IsNegative(VectorCompat.Round(Vector128.Create(-0.25f)).GetElement(0)));
        Assert.Equal(16777216f, VectorCompat.Round(Vector128.Create(16777216f)).GetElement(0));
    }

    [Fact]
    public void Copy_sign_takes_only_the_sign_bit()
    {
        Vector128<double> magnitude = Vector128.Create(2.5, -3.0);
        Vector128<double> sign = Vector128.Create(-0.0, 1.0);
        Assert.Equal(-2.5, VectorCompat.CopySign(magnitude, sign).GetElement(0));
        Assert.Equal(3.0, VectorCompat.CopySign(magnitude, sign).GetElement(1));
        Vector256<float> f = VectorCompat.CopySign(Vector256.Create(1.5f), Vector256.Create(-1f));
        Assert.Equal(-1.5f, f.GetElement(7));
        Vector512<double> d = VectorCompat.CopySign(Vector512.Create(double.NaN), Vector512.Create(-1.0));
        Assert.True(double.IsNaN(d.GetElement(0)) && double.IsNegative(d.GetElement(0)));
    }

    private static void AssertLanes(Vector128<float> actual, params float?[] expected)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] is not float e)
            {
                continue; // NaN in the first operand: b on x64, NaN on ARM64; either is allowed
            }

            if (float.IsNaN(e))
            {
                Assert.True(float.IsNaN(actual.GetElement(i)), $"lane {i}: {actual.GetElement(i)}");
            }
            else
            {
                Assert.Equal(e, actual.GetElement(i));
            }
        }
    }
}
