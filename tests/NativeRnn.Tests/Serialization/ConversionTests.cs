using System;
using System.Linq;
using System.Runtime.InteropServices;
using NativeRnn.Initialization;
using NativeRnn.Serialization;
using Xunit;

namespace NativeRnn.Tests.Serialization;

/// <summary>Element conversions between file types and float/double: every F16 and BF16 pattern exactly, narrowing rounded to nearest even, on whichever vector width the run uses.</summary>
public class ConversionTests
{
    private static ushort[] AllPatterns() => Enumerable.Range(0, 1 << 16).Select(i => (ushort)i).ToArray();

    [Fact]
    public void Every_half_decodes_exactly()
    {
        ushort[] patterns = AllPatterns();
        byte[] bytes = MemoryMarshal.AsBytes(patterns.AsSpan()).ToArray();
        float[] singles = new float[patterns.Length];
        double[] doubles = new double[patterns.Length];
        TensorConversion.ToElements<float>(SafeTensorType.F16, bytes, singles);
        TensorConversion.ToElements<double>(SafeTensorType.F16, bytes, doubles);
        for (int i = 0; i < patterns.Length; i++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf(patterns[i]);
            if (float.IsNaN(expected))
            {
                Assert.True(float.IsNaN(singles[i]) && double.IsNaN(doubles[i]), $"0x{i:X4}");
                Assert.True(float.IsNaN(TensorConversion.HalfToSingle(patterns[i])));
                continue;
            }

            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(singles[i]));
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(TensorConversion.HalfToSingle(patterns[i])));
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(doubles[i]));
        }
    }

    [Fact]
    public void Every_bfloat16_decodes_exactly()
    {
        ushort[] patterns = AllPatterns();
        byte[] bytes = MemoryMarshal.AsBytes(patterns.AsSpan()).ToArray();
        float[] singles = new float[patterns.Length];
        double[] doubles = new double[patterns.Length];
        TensorConversion.ToElements<float>(SafeTensorType.BF16, bytes, singles);
        TensorConversion.ToElements<double>(SafeTensorType.BF16, bytes, doubles);
        for (int i = 0; i < patterns.Length; i++)
        {
            Assert.Equal(i << 16, BitConverter.SingleToInt32Bits(singles[i]));
            Assert.Equal(BitConverter.DoubleToInt64Bits(singles[i]), BitConverter.DoubleToInt64Bits(doubles[i]));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(1000)]
    public void Narrowing_and_widening_match_the_casts_at_every_length(int length)
    {
        double[] wide = Values(length);
        float[] narrow = new float[length];
        TensorConversion.ToElements<float>(SafeTensorType.F64, MemoryMarshal.AsBytes(wide.AsSpan()), narrow);
        Assert.Equal(wide.Select(v => BitConverter.SingleToInt32Bits((float)v)), narrow.Select(BitConverter.SingleToInt32Bits));

        double[] back = new double[length];
        TensorConversion.ToElements<double>(SafeTensorType.F32, MemoryMarshal.AsBytes(narrow.AsSpan()), back);
        Assert.Equal(narrow.Select(v => (double)v), back);

        // Unaligned sources (a header whose length is not a multiple of 8) convert the same.
        byte[] shifted = new byte[(length * 8) + 1];
        MemoryMarshal.AsBytes(wide.AsSpan()).CopyTo(shifted.AsSpan(1));
        float[] fromShifted = new float[length];
        TensorConversion.ToElements<float>(SafeTensorType.F64, shifted.AsSpan(1), fromShifted);
        Assert.Equal(narrow, fromShifted);
    }

    private static double[] Values(int length)
    {
        var random = new DeterministicRandom(3);
        double[] special = [0.0, -0.0, double.Epsilon, double.MaxValue, -double.MaxValue, 1e-40, 3.4028235677973366e38, 1.0000000596046448, double.NaN, double.PositiveInfinity];
        return Enumerable.Range(0, length).Select(i => i < special.Length ? special[i] : Math.ScaleB(random.NextUniform(-1, 1), random.NextInt(300) - 150)).ToArray();
    }

    [Fact]
    public void Writing_halves_and_bfloat16s_rounds_to_nearest_even()
    {
        // Every bfloat16 as a double, in order: the reference rounds to the nearest of them, ties to the even pattern.
        ushort[] finite = AllPatterns().Where(p => float.IsFinite(BitConverter.Int32BitsToSingle(p << 16)) && (p & 0x8000) == 0).ToArray();
        double[] grid = finite.Select(p => (double)BitConverter.Int32BitsToSingle(p << 16)).ToArray();
        double[] values = Values(5000).Where(double.IsFinite).Select(Math.Abs).ToArray();
        var random = new DeterministicRandom(5);
        values = [.. values, .. Enumerable.Range(0, 2000).Select(i => (grid[i + 1] + grid[i]) / 2), .. Enumerable.Range(0, 2000).Select(_ => (double)BitConverter.Int32BitsToSingle((int)(random.NextUInt64() & 0x7F7FFFFF)))];
        foreach (double value in values)
        {
            ushort expected = NearestBFloat16(grid, finite, value);
            Assert.Equal(expected, TensorConversion.DoubleToBFloat16(value));
            if ((double)(float)value == value)
            {
                Assert.Equal(expected, TensorConversion.SingleToBFloat16((float)value));
            }

            byte[] half = new byte[2];
            Assert.Equal(Half.IsFinite((Half)value) ? -1 : 0, TensorConversion.FromElements<double>([value], SafeTensorType.F16, half));
            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)value), MemoryMarshal.Read<ushort>(half));
        }

        Assert.True(float.IsNaN(BitConverter.Int32BitsToSingle(TensorConversion.SingleToBFloat16(float.NaN) << 16)));
        Assert.Equal(0, TensorConversion.FromElements<float>([float.MaxValue], SafeTensorType.F16, new byte[2]));
    }

    private static ushort NearestBFloat16(double[] grid, ushort[] patterns, double value)
    {
        int i = Array.BinarySearch(grid, value);
        if (i >= 0)
        {
            return patterns[i];
        }

        i = ~i;
        if (i == grid.Length)
        {
            // Past the largest finite value: infinity once at least half an ulp beyond it.
            double ulp = grid[^1] - grid[^2];
            return value >= grid[^1] + (ulp / 2) ? (ushort)0x7F80 : patterns[^1];
        }

        double below = value - grid[i - 1], above = grid[i] - value;
        return below < above ? patterns[i - 1] : above < below ? patterns[i] : (patterns[i - 1] & 1) == 0 ? patterns[i - 1] : patterns[i];
    }
}
