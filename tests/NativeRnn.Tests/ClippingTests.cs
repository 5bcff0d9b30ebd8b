using System;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using NativeRnn.Tests.Helpers;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests;

/// <summary>The clipping invariants of DESIGN.md §3, as properties over random gradients of every scale.</summary>
public class ClippingTests
{
    /// <summary>A gradient (length 1–300, magnitudes from 1e-30 to 1e30) and a bound.</summary>
    private static Arbitrary<(double[] Gradient, double Bound)> Cases()
        => (from length in Gen.Choose(1, 300)
            from seed in Gen.Choose(0, int.MaxValue)
            from exponent in Gen.Elements(-30, -3, 0, 1, 3, 30)
            from bound in Gen.Elements(1e-3, 0.5, 1.0, 5.0, 1e3)
            select (ModelTools.Uniform((ulong)seed, 0, length, Math.Pow(10, exponent)), bound)).ToArbitrary();

    [Fact]
    public void Global_norm_clipping_holds_its_invariants_in_float() => GlobalNormInvariants<float>();

    [Fact]
    public void Global_norm_clipping_holds_its_invariants_in_double() => GlobalNormInvariants<double>();

    [Fact]
    public void Value_clipping_holds_its_invariants_in_float() => ValueInvariants<float>();

    [Fact]
    public void Value_clipping_holds_its_invariants_in_double() => ValueInvariants<double>();

    [Fact]
    public void Non_finite_gradients_are_reported_and_left_untouched_in_float() => NonFinite<float>();

    [Fact]
    public void Non_finite_gradients_are_reported_and_left_untouched_in_double() => NonFinite<double>();

    [Fact]
    public void Global_norm_of_huge_finite_values_is_finite()
    {
        double[] g = [1e200, -1e200, 3e199];
        double expected = 1e200 * Math.Sqrt(1 + 1 + 0.09);
        Assert.Equal(expected, GradientClipping.GlobalNorm<double>(g), expected * 1e-15);
        ClipResult result = GradientClipping.ClipByGlobalNorm<double>(g, 1);
        Assert.True(result.Clipped);
        Assert.True(GradientClipping.GlobalNorm<double>(g) <= 1);
    }

    [Fact]
    public void Bounds_must_be_positive_and_finite()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm<float>(new float[3], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm<float>(new float[3], double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByValue<float>(new float[3], -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByValue<float>(new float[3], double.PositiveInfinity));
    }

    private static void GlobalNormInvariants<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Prop.ForAll(Cases(), c =>
        {
            T[] original = ModelTools.Convert<T>(c.Gradient);
            double normBefore = GradientClipping.GlobalNorm<T>(original);
            T[] once = (T[])original.Clone();
            ClipResult result = GradientClipping.ClipByGlobalNorm<T>(once, c.Bound);
            Assert.True(result.IsFinite);
            Assert.Equal(normBefore, result.Norm);

            // The norm afterwards is at most c.
            double normAfter = GradientClipping.GlobalNorm<T>(once);
            Assert.True(normAfter <= c.Bound, $"norm {normAfter:R} > bound {c.Bound:R}");

            if (normBefore <= c.Bound)
            {
                // Already within the bound: untouched, bit for bit.
                Assert.False(result.Clipped);
                Assert.Equal(original, once);
            }
            else
            {
                Assert.True(result.Clipped);

                // Close to c (only rounding below it), and the direction is kept: every element
                // scaled by the same positive factor, up to the rounding of each product.
                Assert.True(normAfter >= c.Bound * (1 - 1e-5), $"norm {normAfter:R} well below bound {c.Bound:R}");
                double scale = c.Bound / normBefore;
                double unit = typeof(T) == typeof(float) ? 1e-6 : 1e-14;
                for (int i = 0; i < original.Length; i++)
                {
                    double expected = double.CreateTruncating(original[i]) * scale;
                    double actual = double.CreateTruncating(once[i]);
                    Assert.True(Math.Sign(expected) == Math.Sign(actual) || actual == 0, $"element {i} changed sign");
                    Assert.True(Math.Abs(actual - expected) <= (unit * Math.Abs(expected)) + (unit * c.Bound * 1e-30), $"element {i}: {actual:R} vs {expected:R}");
                }
            }

            // Clipping twice is clipping once.
            T[] twice = (T[])once.Clone();
            ClipResult second = GradientClipping.ClipByGlobalNorm<T>(twice, c.Bound);
            Assert.False(second.Clipped);
            Assert.Equal(once, twice);
        }).Check(Harness.Config(300));
    }

    private static void ValueInvariants<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Prop.ForAll(Cases(), c =>
        {
            T[] original = ModelTools.Convert<T>(c.Gradient);
            T[] once = (T[])original.Clone();
            ClipResult result = GradientClipping.ClipByValue<T>(once, c.Bound);
            Assert.True(result.IsFinite);
            T bound = T.CreateTruncating(c.Bound);
            bool anyOutside = false;
            for (int i = 0; i < once.Length; i++)
            {
                anyOutside |= T.Abs(original[i]) > bound;
                Assert.True(T.Abs(once[i]) <= bound);
                T expected = T.Clamp(original[i], -bound, bound);
                Assert.Equal(expected, once[i]);
            }

            Assert.Equal(anyOutside, result.Clipped);
            T[] twice = (T[])once.Clone();
            Assert.False(GradientClipping.ClipByValue<T>(twice, c.Bound).Clipped);
            Assert.Equal(once, twice);
        }).Check(Harness.Config(300));
    }

    private static void NonFinite<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] poisons = [T.NaN, T.PositiveInfinity, T.NegativeInfinity];
        Arbitrary<(double[] Gradient, double Bound, int Where, int Poison)> cases =
            (from c in Cases().Generator
             from position in Gen.Choose(0, 299)
             from poison in Gen.Choose(0, 2)
             select (c.Gradient, c.Bound, position % c.Gradient.Length, poison)).ToArbitrary();
        Prop.ForAll(cases, c =>
        {
            T[] original = ModelTools.Convert<T>(c.Gradient);
            original[c.Where] = poisons[c.Poison];
            Assert.False(double.IsFinite(GradientClipping.GlobalNorm<T>(original)));

            T[] byNorm = (T[])original.Clone();
            ClipResult normResult = GradientClipping.ClipByGlobalNorm<T>(byNorm, c.Bound);
            Assert.False(normResult.IsFinite);
            Assert.False(normResult.Clipped);
            Assert.Equal(original, byNorm);

            T[] byValue = (T[])original.Clone();
            ClipResult valueResult = GradientClipping.ClipByValue<T>(byValue, c.Bound);
            Assert.False(valueResult.IsFinite);
            Assert.Equal(original, byValue);

            // And the optimiser refuses it, leaving the parameters as they were.
            T[] parameters = ModelTools.Convert<T>(ModelTools.Uniform(7, 7, original.Length));
            T[] before = (T[])parameters.Clone();
            Assert.Throws<ArgumentException>(() => new Sgd<T>(parameters.Length, 0.1).Step(parameters, original));
            Assert.Equal(before, parameters);
        }).Check(Harness.Config(200));
    }
}
