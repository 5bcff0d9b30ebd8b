using System;
using System.Linq;
using NativeRnn.Tests.Models;
using Xunit;

namespace NativeRnn.Tests;

/// <summary>The generated surface: layout, initialisation, and the bad-input contract.</summary>
public class ModelSurfaceTests
{
    [Fact]
    public void Layout_uses_pytorch_names_and_shapes_and_tiles_the_block()
    {
        string[] names = StackedF.Layout.Select(t => t.Name).ToArray();
        Assert.Equal(
            ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "head.weight", "head.bias"],
            names);
        Assert.Equal([33, 13], StackedF.Layout["weight_ih_l0"].Shape.ToArray());
        Assert.Equal([33, 33], StackedF.Layout["weight_hh_l0"].Shape.ToArray());
        Assert.Equal([7, 33], StackedF.Layout["weight_ih_l1"].Shape.ToArray());
        Assert.Equal([13, 7], StackedF.Layout["head.weight"].Shape.ToArray());
        Assert.Equal([13], StackedF.Layout["head.bias"].Shape.ToArray());
        Assert.Equal(StackedF.ParameterCount, StackedF.Layout.Sum(t => t.Length));
        Assert.Equal("Single: 13 → SimpleRnn(33) → SimpleRnn(7) → Dense(13)", StackedF.Description.ToString());
    }

    [Fact]
    public void Import_then_export_round_trips_pytorch_layout()
    {
        var model = new StackedD(1);
        double[] values = Enumerable.Range(0, 33 * 13).Select(i => (double)i).ToArray();
        model.ImportTensor("weight_ih_l0", values);
        double[] back = new double[values.Length];
        model.ExportTensor("weight_ih_l0", back);
        Assert.Equal(values, back);

        // Row-major PyTorch element [row 2, column 5] is value 2·13 + 5.
        Assert.Equal(31, StackedD.Layout["weight_ih_l0"].At<double>(model.Parameters, 2, 5));
    }

    [Fact]
    public void Initialisation_is_deterministic_glorot_and_orthogonal()
    {
        var a = new StackedD(42);
        var b = new StackedD(42);
        var c = new StackedD(43);
        Assert.Equal(a.Parameters.ToArray(), b.Parameters.ToArray());
        Assert.NotEqual(a.Parameters.ToArray(), c.Parameters.ToArray());

        // W_hh is orthogonal: W Wᵀ = I.
        double[] w = new double[33 * 33];
        a.ExportTensor("weight_hh_l0", w);
        for (int i = 0; i < 33; i++)
        {
            for (int j = 0; j < 33; j++)
            {
                double dot = 0;
                for (int k = 0; k < 33; k++)
                {
                    dot += w[(i * 33) + k] * w[(j * 33) + k];
                }

                Assert.Equal(i == j ? 1.0 : 0.0, dot, 1e-12);
            }
        }

        // W_ih is Glorot uniform: within ±√(6/(fan_in + fan_out)), and not degenerate.
        double[] wih = new double[33 * 13];
        a.ExportTensor("weight_ih_l0", wih);
        double limit = Math.Sqrt(6.0 / (13 + 33));
        Assert.All(wih, v => Assert.InRange(v, -limit, limit));
        Assert.True(wih.Max() > limit * 0.9 && wih.Min() < -limit * 0.9);

        // Biases start at zero.
        double[] bias = new double[33];
        a.ExportTensor("bias_ih_l0", bias);
        Assert.All(bias, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Bad_input_is_refused_with_a_clear_error_and_changes_nothing()
    {
        var model = new ReluSmallF(1);
        var state = new ReluSmallF.State();
        float[] output = new float[ReluSmallF.OutputSize];
        model.Step(ref state, [0.5f, -0.5f, 1f], output);
        float[] before = ((Span<float>)state).ToArray();

        ArgumentException length = Assert.Throws<ArgumentException>(() => model.Step(ref state, [1f, 2f], output));
        Assert.Contains("must have 3 elements", length.Message, StringComparison.Ordinal);
        ArgumentException nan = Assert.Throws<ArgumentException>(() => model.Step(ref state, [1f, float.NaN, 2f], output));
        Assert.Contains("index 1", nan.Message, StringComparison.Ordinal);
        Assert.Equal(before, ((Span<float>)state).ToArray());

        float[] parameters = model.Parameters.ToArray();
        Assert.Throws<ArgumentException>(() => model.ImportTensor("bias_ih_l0", [1, 2, 3, 4, 5, 6, float.PositiveInfinity]));
        Assert.Throws<ArgumentException>(() => model.ImportTensor("bias_ih_l0", [1, 2, 3]));
        Assert.Throws<System.Collections.Generic.KeyNotFoundException>(() => model.ImportTensor("bias_ih_l7", [1]));
        Assert.Equal(parameters, model.Parameters.ToArray());

        var tape = new ReluSmallF.Tape(4, 2);
        float[] gradients = new float[ReluSmallF.ParameterCount];
        Assert.Throws<InvalidOperationException>(() => model.Backward(tape, new float[4 * 2 * 3], gradients));
        Assert.Throws<ArgumentException>(() => model.Forward(tape, new float[4 * 2 * 3 - 1], new float[4 * 2 * 3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tape.SetShape(5, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tape.SetShape(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReluSmallF.Tape(0));

        tape.InitialHidden(0)[3] = float.NaN;
        Assert.Throws<ArgumentException>(() => model.Forward(tape, new float[4 * 2 * 3], new float[4 * 2 * 3]));
        tape.ResetState();
        model.Forward(tape, new float[4 * 2 * 3], new float[4 * 2 * 3]);
        Assert.Throws<ArgumentException>(() => model.Backward(tape, new float[4 * 2 * 3], new float[3]));
        Assert.Throws<InvalidOperationException>(() => tape.InitialCell(0));

        StackedF defaultStruct = default;
        InvalidOperationException notCreated = Assert.Throws<InvalidOperationException>(() => defaultStruct.Parameters.Length);
        Assert.Contains("new StackedF(seed)", notCreated.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_smaller_shape_reuses_the_tape_and_matches_a_fresh_pass()
    {
        var model = new StackedF(5);
        float[] x = Helpers.ModelTools.Convert<float>(Helpers.ModelTools.Uniform(5, 1, 3 * 2 * 13));
        var small = new StackedF.Tape(3, 2);
        float[] expected = new float[3 * 2 * 13];
        model.Forward(small, x, expected);

        var large = new StackedF.Tape(10, 4);
        large.SetShape(3, 2);
        float[] actual = new float[3 * 2 * 13];
        model.Forward(large, x, actual);
        Assert.Equal(expected, actual);
    }
}
