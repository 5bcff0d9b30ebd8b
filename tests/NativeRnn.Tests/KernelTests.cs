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
    private const double FloatBound = 2e-7, DoubleBound = 4e-16;

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

    [Fact]
    public void Float_tanh_and_sigmoid_are_within_the_stated_bound_of_Math()
    {
        double[] grid = Grid();
        float[] x = Array.ConvertAll(grid, v => (float)v);
        float[] tanh = (float[])x.Clone();
        float[] sigmoid = (float[])x.Clone();
        Activations.Tanh<float>(tanh, 1, tanh.Length, tanh.Length);
        Activations.Sigmoid<float>(sigmoid, 1, sigmoid.Length, sigmoid.Length);
        double worstTanh = 0, worstSigmoid = 0;
        for (int i = 0; i < x.Length; i++)
        {
            worstTanh = Math.Max(worstTanh, Math.Abs(tanh[i] - Math.Tanh(x[i])));
            worstSigmoid = Math.Max(worstSigmoid, Math.Abs(sigmoid[i] - (1 / (1 + Math.Exp(-(double)x[i])))));
            Assert.True(float.IsFinite(tanh[i]) && float.IsFinite(sigmoid[i]), $"non-finite at {x[i]}");
        }

        output.WriteLine($"float: tanh worst {worstTanh:E2}, sigmoid worst {worstSigmoid:E2} (bound {FloatBound:E0}); {Widths()}");
        Assert.True(worstTanh <= FloatBound, $"tanh error {worstTanh:E3}");
        Assert.True(worstSigmoid <= FloatBound, $"sigmoid error {worstSigmoid:E3}");
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
    /// reads <c>DOTNET_EnableAVX512</c>; the older <c>DOTNET_EnableAVX512F</c> no longer disables Vector512, so
    /// CI sets both.)
    /// </summary>
    [Fact]
    public void Vector_paths_follow_the_runtime_switches()
    {
        output.WriteLine(Widths());
        bool noIntrinsics = Off("DOTNET_EnableHWIntrinsic");
        bool noAvx2 = noIntrinsics || Off("DOTNET_EnableAVX2");
        bool noAvx512 = noAvx2 || Off("DOTNET_EnableAVX512");
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
