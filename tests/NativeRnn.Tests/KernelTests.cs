using System;
using System.Runtime.Intrinsics;
using NativeRnn.Kernels;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests;

/// <summary>The vectorised activations against <see cref="Math"/>, and the width paths CI runs them on.</summary>
public class KernelTests(ITestOutputHelper output)
{
    /// <summary>The bounds stated in <see cref="Activations"/>' documentation.</summary>
    private const double FloatTanhBound = 3.5e-7, FloatSigmoidBound = 2e-7, DoubleBound = 4e-16;

    private static double[] Grid()
    {
        // Dense over the range where the functions change, sparse beyond, and the edges.
        var values = new System.Collections.Generic.List<double>();
        for (double x = -20; x <= 20; x += 1.0 / 1024)
        {
            values.Add(x);
        }

        values.AddRange([-1e-30, 1e-30, -1e-7, 1e-7, 0, -0.0, 50, -50, 88, -88, 89, -89, 100, -100, 1e5, -1e5, 3e38, -3e38]);
        return values.ToArray();
    }

    /// <summary>
    /// Every 61st float of both signs from 2⁻¹²⁶ up to 40 (about 36 million values), so every binade, and
    /// within each every stretch of 61 ulps, is tried; then infinities and NaN.
    /// </summary>
    [Fact]
    public void Float_tanh_and_sigmoid_are_within_the_stated_bound_of_Math()
    {
        const int Stride = 61;
        int first = 0x00800000 /* the smallest normal float, 2⁻¹²⁶ */, last = BitConverter.SingleToInt32Bits(40f);
        int count = ((last - first) / Stride) + 1;
        float[] x = new float[2 * count];
        for (int i = 0; i < count; i++)
        {
            float value = BitConverter.Int32BitsToSingle(first + (i * Stride));
            x[2 * i] = value;
            x[(2 * i) + 1] = -value;
        }

        float[] tanh = (float[])x.Clone();
        float[] sigmoid = (float[])x.Clone();
        Activations.Tanh<float>(tanh, 1, tanh.Length, tanh.Length);
        Activations.Sigmoid<float>(sigmoid, 1, sigmoid.Length, sigmoid.Length);
        double worstTanh = 0, worstSigmoid = 0;
        float worstTanhAt = 0, worstSigmoidAt = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double t = Math.Abs(tanh[i] - Math.Tanh(x[i]));
            double s = Math.Abs(sigmoid[i] - (1 / (1 + Math.Exp(-(double)x[i]))));
            if (t > worstTanh)
            {
                (worstTanh, worstTanhAt) = (t, x[i]);
            }

            if (s > worstSigmoid)
            {
                (worstSigmoid, worstSigmoidAt) = (s, x[i]);
            }

            if (tanh[i] is < -1 or > 1 || sigmoid[i] is < 0 or > 1)
            {
                Assert.Fail($"out of range at {x[i]}: tanh {tanh[i]}, σ {sigmoid[i]}");
            }
        }

        output.WriteLine($"float over {x.Length} values: tanh worst {worstTanh:E2} at {worstTanhAt} (bound {FloatTanhBound:E1}), sigmoid worst {worstSigmoid:E2} at {worstSigmoidAt} (bound {FloatSigmoidBound:E0}); {Widths()}");
        Assert.True(worstTanh <= FloatTanhBound, $"tanh error {worstTanh:E3} at {worstTanhAt}");
        Assert.True(worstSigmoid <= FloatSigmoidBound, $"sigmoid error {worstSigmoid:E3} at {worstSigmoidAt}");
    }

    [Fact]
    public void Float_tanh_and_sigmoid_saturate_exactly_and_keep_NaN()
    {
        float[] x = [float.PositiveInfinity, float.NegativeInfinity, 1e30f, -1e30f, 9f, -9f, 0f, float.NaN];
        float[] tanh = (float[])x.Clone();
        float[] sigmoid = (float[])x.Clone();
        Activations.Tanh<float>(tanh, 1, tanh.Length, tanh.Length);
        Activations.Sigmoid<float>(sigmoid, 1, sigmoid.Length, sigmoid.Length);
        Assert.Equal([1f, -1f, 1f, -1f], tanh[..4]);
        Assert.Equal([1f, 0f, 1f, 0f], sigmoid[..4]);
        Assert.Equal(0f, tanh[6]);
        Assert.Equal(0.5f, sigmoid[6]);
        Assert.True(float.IsNaN(tanh[7]), $"tanh(NaN) = {tanh[7]}");
        Assert.True(float.IsNaN(sigmoid[7]), $"σ(NaN) = {sigmoid[7]}");
    }

    [Fact]
    public void Double_tanh_and_sigmoid_are_within_the_stated_bound_of_Math()
    {
        double[] x = Grid();
        double[] tanh = (double[])x.Clone();
        double[] sigmoid = (double[])x.Clone();
        Activations.Tanh<double>(tanh, 1, tanh.Length, tanh.Length);
        Activations.Sigmoid<double>(sigmoid, 1, sigmoid.Length, sigmoid.Length);
        double worstTanh = 0, worstSigmoid = 0;
        for (int i = 0; i < x.Length; i++)
        {
            worstTanh = Math.Max(worstTanh, Math.Abs(tanh[i] - Math.Tanh(x[i])));
            worstSigmoid = Math.Max(worstSigmoid, Math.Abs(sigmoid[i] - (1 / (1 + Math.Exp(-x[i])))));
        }

        output.WriteLine($"double: tanh worst {worstTanh:E2}, sigmoid worst {worstSigmoid:E2} (bound {DoubleBound:E0}); {Widths()}");
        Assert.True(worstTanh <= DoubleBound, $"tanh error {worstTanh:E3}");
        Assert.True(worstSigmoid <= DoubleBound, $"sigmoid error {worstSigmoid:E3}");
    }

    /// <summary>
    /// CI runs the suite with each switch; this proves the switch really took the wider paths away. (.NET 10
    /// reads <c>DOTNET_EnableAVX512</c>; .NET 8 reads <c>DOTNET_EnableAVX512F</c>, which .NET 10 ignores, so
    /// CI sets both.)
    /// </summary>
    [Fact]
    public void Vector_paths_follow_the_runtime_switches()
    {
        output.WriteLine(Widths());
        bool noIntrinsics = Off("DOTNET_EnableHWIntrinsic");
        bool noAvx2 = noIntrinsics || Off("DOTNET_EnableAVX2");
#if NET9_0_OR_GREATER
        bool noAvx512 = noAvx2 || Off("DOTNET_EnableAVX512");
#else
        bool noAvx512 = noAvx2 || Off("DOTNET_EnableAVX512F");
#endif
        if (noIntrinsics)
        {
            Assert.False(Vector128.IsHardwareAccelerated);
        }

        if (noAvx2)
        {
            Assert.False(Vector256.IsHardwareAccelerated);
        }

        if (noAvx512)
        {
            Assert.False(Vector512.IsHardwareAccelerated);
        }
    }

    private static bool Off(string variable) => Environment.GetEnvironmentVariable(variable) == "0";

    private static string Widths() => $"accelerated: 512 {Vector512.IsHardwareAccelerated}, 256 {Vector256.IsHardwareAccelerated}, 128 {Vector128.IsHardwareAccelerated}";
}
