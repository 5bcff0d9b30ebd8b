using System;
using System.Linq;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using NativeRnn.Kernels;
using NativeRnn.Tests.Helpers;
using Xunit;

namespace NativeRnn.Tests;

/// <summary>
/// The finiteness check every call runs on its inputs and states, against the plain definition: it reads
/// whole (overlapping) vectors, so every length and every position is tried where the vectors meet.
/// </summary>
public class GuardTests
{
    [Fact]
    public void One_non_finite_element_is_found_at_every_position_of_every_short_length()
    {
        OneNonFinite<float>();
        OneNonFinite<double>();
    }

    [Fact]
    public void Random_mixtures_agree_with_the_elementwise_definition()
    {
        Mixtures<float>();
        Mixtures<double>();
    }

    private static void OneNonFinite<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] poisons = [T.NaN, T.PositiveInfinity, T.NegativeInfinity];
        T[] extremes = [T.CreateTruncating(float.MaxValue), T.NegativeZero, T.Epsilon, -T.CreateTruncating(1e30f)];
        for (int length = 0; length <= 70; length++)
        {
            T[] values = Enumerable.Range(0, length).Select(i => extremes[i % extremes.Length]).ToArray();
            Assert.True(Guard.AllFinite<T>(values), $"{typeof(T).Name}[{length}] of finite values was called non-finite.");
            for (int position = 0; position < length; position++)
            {
                foreach (T poison in poisons)
                {
                    T kept = values[position];
                    values[position] = poison;
                    Assert.False(Guard.AllFinite<T>(values), $"{poison} at {position} of {typeof(T).Name}[{length}] was missed.");
                    values[position] = kept;
                }
            }
        }
    }

    private static void Mixtures<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gen<double> element = Gen.Frequency(
            (20, from m in Gen.Choose(-1_000_000, 1_000_000) from e in Gen.Choose(-40, 40) select m * Math.Pow(10, e)),
            (2, Gen.Elements(0.0, -0.0, double.Epsilon, double.MaxValue, -double.MaxValue, 3.4e38, -3.4e38)),
            (1, Gen.Elements(double.NaN, double.PositiveInfinity, double.NegativeInfinity)));
        Arbitrary<double[]> arrays = (from length in Gen.Choose(0, 200)
                                      from values in element.ArrayOf(length)
                                      select values).ToArbitrary();
        Prop.ForAll(arrays, raw =>
        {
            T[] values = raw.Select(T.CreateSaturating).ToArray();
            bool expected = values.All(T.IsFinite);
            Assert.Equal(expected, Guard.AllFinite<T>(values));
        }).Check(Harness.Config(500));
    }
}
