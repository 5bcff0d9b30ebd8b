using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NativeRnn.Initialization;
using NativeRnn.Serialization;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Models;
using Xunit;

namespace NativeRnn.Tests.Serialization;

/// <summary>
/// The Keras convention against Keras's own cell equations, written here from Keras's layers (kernels
/// <c>[in, G·units]</c> applied as <c>x·K</c>; LSTM gates i, f, c, o; GRU gates z, r, h with
/// <c>h = z⊙h₋₁ + (1 − z)⊙h̃</c>, reset after with a <c>[2, 3·units]</c> bias or before with one bias;
/// Bidirectional concatenating forward and re-reversed backward outputs): a random Keras-layout file loads
/// into the NativeRnn model, which then computes what the Keras equations compute.
/// </summary>
public class KerasConventionTests
{
    private enum Kind { SimpleRnn, Lstm, Gru }

    /// <summary>One Keras layer: its variables' path, cell, units, and options.</summary>
    private sealed record KerasLayer(string Path, Kind Kind, int Units, bool ResetAfter = true, Func<double, double>? Activation = null, string? Backward = null);

    private sealed record Case(string Name, Func<IRecurrentModel<double>> Create, int Input, KerasLayer[] Layers, int Dense, int Vocabulary = 0);

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static readonly Case[] Cases =
    [
        new("LstmSmallD", () => new LstmSmallD(1), 3, [new("lstm/lstm_cell/", Kind.Lstm, 7)], 2),
        new("GruAfterD", () => new GruAfterD(1), 7, [new("gru/gru_cell/", Kind.Gru, 13)], 3),
        new("GruBeforeD", () => new GruBeforeD(1), 3, [new("gru/gru_cell/", Kind.Gru, 9, ResetAfter: false)], 1),
        new("BiLstmD", () => new BiLstmD(1), 5, [new("bidirectional/forward_lstm/lstm_cell/", Kind.Lstm, 3, Backward: "bidirectional/backward_lstm/lstm_cell/")], 2),
        new("TokenBiGruD", () => new TokenBiGruD(1), 3, [new("bidirectional/forward_gru/gru_cell/", Kind.Gru, 4, Backward: "bidirectional/backward_gru/gru_cell/")], 5, Vocabulary: 5),
        new("MixedStackD", () => new MixedStackD(1), 5,
        [
            new("simple_rnn/simple_rnn_cell/", Kind.SimpleRnn, 7, Activation: Sigmoid),
            new("bidirectional/forward_lstm/lstm_cell/", Kind.Lstm, 9, Backward: "bidirectional/backward_lstm/lstm_cell/"),
            new("gru/gru_cell/", Kind.Gru, 13),
        ], 3),
    ];

    public static IEnumerable<object[]> Names() => Cases.Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(Names))]
    public void A_keras_file_loads_and_the_model_computes_what_keras_computes(string name)
    {
        Case c = Cases.Single(x => x.Name == name);
        Dictionary<string, (int[] Shape, double[] Values)> file = RandomKerasFile(c);
        var writer = new SafeTensorsWriter();
        foreach ((string tensor, (int[] shape, double[] values)) in file)
        {
            writer.Add<double>(tensor, values, shape);
        }

        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        IRecurrentModel<double> model = c.Create();
        var keras = new SafeTensorsOptions { Convention = WeightConvention.Keras };
        model.LoadSafeTensors(stream.ToArray(), keras);

        const int steps = 5, batch = 2;
        var random = new DeterministicRandom(7);
        int[] tokens = Enumerable.Range(0, steps * batch).Select(_ => random.NextInt(Math.Max(c.Vocabulary, 1))).ToArray();
        double[] inputs = c.Vocabulary > 0 ? [] : ModelTools.Uniform(8, 0, steps * batch * c.Input);
        double[] expected = KerasForward(c, file, inputs, tokens, steps, batch);
        double[] actual = new double[steps * batch * c.Dense];
        Harness.Forward(model, model.CreateTape(steps, batch), inputs, tokens, actual);
        TensorCheck.Worst worst = TensorCheck.MaxAbsolute(expected, (ReadOnlySpan<double>)actual);
        Assert.True(worst.Error <= 1e-12, $"{name}: {worst}.");

        // Saved back in the Keras convention, every tensor is what was loaded (single biases: bias_hh is zero, so the sum is exact).
        SafeTensorsFile saved = SafeTensorsFile.Parse(ModelWeightsTests.Save(model, keras));
        Assert.Equal(file.Keys.Order(StringComparer.Ordinal), saved.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach ((string tensor, (int[] shape, double[] values)) in file)
        {
            Assert.Equal(shape, saved[tensor].Shape.ToArray());
            Assert.Equal(values, saved[tensor].ToArray<double>());
        }
    }

    [Fact]
    public void A_pytorch_file_read_as_keras_says_what_is_missing()
    {
        byte[] pytorch = ModelWeightsTests.Save(new LstmSmallF(1));
        WeightFileException e = Assert.Throws<WeightFileException>(() => new LstmSmallF(2).LoadSafeTensors(pytorch, new SafeTensorsOptions { Convention = WeightConvention.Keras }));
        Assert.Equal(WeightFileError.MissingTensor, e.Error);
        Assert.Contains("'lstm/lstm_cell/kernel' [3, 28]", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Random variables under Keras's names and shapes (the names are the convention's defaults, written out).</summary>
    private static Dictionary<string, (int[], double[])> RandomKerasFile(Case c)
    {
        var file = new Dictionary<string, (int[], double[])>(StringComparer.Ordinal);
        ulong stream = 0;
        void Add(string name, params int[] shape) => file[name] = (shape, ModelTools.Uniform(5, stream++, shape.Aggregate(1, (a, b) => a * b), 0.6));
        if (c.Vocabulary > 0)
        {
            Add("embedding/embeddings", c.Vocabulary, c.Input);
        }

        int width = c.Input;
        foreach (KerasLayer layer in c.Layers)
        {
            int gates = layer.Kind switch { Kind.Lstm => 4, Kind.Gru => 3, _ => 1 };
            foreach (string? path in new[] { layer.Path, layer.Backward })
            {
                if (path is null)
                {
                    continue;
                }

                Add(path + "kernel", width, gates * layer.Units);
                Add(path + "recurrent_kernel", layer.Units, gates * layer.Units);
                if (layer.Kind == Kind.Gru && layer.ResetAfter)
                {
                    Add(path + "bias", 2, gates * layer.Units);
                }
                else
                {
                    Add(path + "bias", gates * layer.Units);
                }
            }

            width = layer.Backward is null ? layer.Units : 2 * layer.Units;
        }

        Add("dense/kernel", width, c.Dense);
        Add("dense/bias", c.Dense);
        return file;
    }

    /// <summary>Keras's forward pass, time-major <c>[steps, batch, …]</c>, from zero states.</summary>
    private static double[] KerasForward(Case c, Dictionary<string, (int[] Shape, double[] Values)> file, double[] inputs, int[] tokens, int steps, int batch)
    {
        int width = c.Input;
        double[] x = inputs;
        if (c.Vocabulary > 0)
        {
            double[] table = file["embedding/embeddings"].Values;
            x = new double[steps * batch * width];
            for (int r = 0; r < steps * batch; r++)
            {
                Array.Copy(table, tokens[r] * width, x, r * width, width);
            }
        }

        foreach (KerasLayer layer in c.Layers)
        {
            double[] forward = Layer(layer, layer.Path, file, x, width, steps, batch, reverse: false);
            if (layer.Backward is null)
            {
                x = forward;
                width = layer.Units;
                continue;
            }

            double[] backward = Layer(layer, layer.Backward, file, x, width, steps, batch, reverse: true);
            x = new double[steps * batch * 2 * layer.Units];
            for (int r = 0; r < steps * batch; r++)
            {
                Array.Copy(forward, r * layer.Units, x, r * 2 * layer.Units, layer.Units);
                Array.Copy(backward, r * layer.Units, x, (r * 2 * layer.Units) + layer.Units, layer.Units);
            }

            width = 2 * layer.Units;
        }

        return Dense(x, steps * batch, width, file["dense/kernel"].Values, file["dense/bias"].Values);
    }

    private static double[] Layer(KerasLayer layer, string path, Dictionary<string, (int[] Shape, double[] Values)> file, double[] x, int width, int steps, int batch, bool reverse)
    {
        int units = layer.Units;
        double[] kernel = file[path + "kernel"].Values, recurrent = file[path + "recurrent_kernel"].Values, bias = file[path + "bias"].Values;
        int gates = kernel.Length / (width * units);
        double[] output = new double[steps * batch * units];
        for (int b = 0; b < batch; b++)
        {
            double[] h = new double[units], cell = new double[units];
            for (int s = 0; s < steps; s++)
            {
                int t = reverse ? steps - 1 - s : s;
                double[] xt = x.AsSpan(((t * batch) + b) * width, width).ToArray();
                double[] mx = MatVec(xt, kernel, gates * units);
                for (int j = 0; j < gates * units; j++)
                {
                    mx[j] += bias[j]; // row 0 of a [2, 3·units] bias
                }

                double[] next = new double[units];
                switch (layer.Kind)
                {
                    case Kind.SimpleRnn:
                    {
                        double[] mh = MatVec(h, recurrent, units);
                        for (int j = 0; j < units; j++)
                        {
                            next[j] = (layer.Activation ?? Math.Tanh)(mx[j] + mh[j]);
                        }

                        break;
                    }

                    case Kind.Lstm:
                    {
                        double[] mh = MatVec(h, recurrent, 4 * units);
                        for (int j = 0; j < units; j++)
                        {
                            double i = Sigmoid(mx[j] + mh[j]), f = Sigmoid(mx[units + j] + mh[units + j]);
                            double g = Math.Tanh(mx[(2 * units) + j] + mh[(2 * units) + j]), o = Sigmoid(mx[(3 * units) + j] + mh[(3 * units) + j]);
                            cell[j] = (f * cell[j]) + (i * g);
                            next[j] = o * Math.Tanh(cell[j]);
                        }

                        break;
                    }

                    default:
                    {
                        double[] z = new double[units], r = new double[units], hh = new double[units];
                        if (layer.ResetAfter)
                        {
                            double[] inner = MatVec(h, recurrent, 3 * units);
                            for (int j = 0; j < 3 * units; j++)
                            {
                                inner[j] += bias[(3 * units) + j]; // row 1: the recurrent bias
                            }

                            for (int j = 0; j < units; j++)
                            {
                                z[j] = Sigmoid(mx[j] + inner[j]);
                                r[j] = Sigmoid(mx[units + j] + inner[units + j]);
                                hh[j] = Math.Tanh(mx[(2 * units) + j] + (r[j] * inner[(2 * units) + j]));
                            }
                        }
                        else
                        {
                            double[] inner = MatVec(h, recurrent, 3 * units);
                            for (int j = 0; j < units; j++)
                            {
                                z[j] = Sigmoid(mx[j] + inner[j]);
                                r[j] = Sigmoid(mx[units + j] + inner[units + j]);
                            }

                            double[] rh = h.Select((v, j) => r[j] * v).ToArray();
                            for (int j = 0; j < units; j++)
                            {
                                double sum = 0;
                                for (int k = 0; k < units; k++)
                                {
                                    sum += rh[k] * recurrent[(k * 3 * units) + (2 * units) + j];
                                }

                                hh[j] = Math.Tanh(mx[(2 * units) + j] + sum);
                            }
                        }

                        for (int j = 0; j < units; j++)
                        {
                            next[j] = (z[j] * h[j]) + ((1 - z[j]) * hh[j]);
                        }

                        break;
                    }
                }

                h = next;
                h.CopyTo(output, ((t * batch) + b) * units);
            }
        }

        return output;
    }

    /// <summary><c>v · M</c> for a row-major <c>[v.Length, columns]</c> matrix.</summary>
    private static double[] MatVec(double[] v, double[] m, int columns)
    {
        double[] result = new double[columns];
        for (int k = 0; k < v.Length; k++)
        {
            for (int j = 0; j < columns; j++)
            {
                result[j] += v[k] * m[(k * columns) + j];
            }
        }

        return result;
    }

    private static double[] Dense(double[] x, int rows, int width, double[] kernel, double[] bias)
    {
        int outputs = bias.Length;
        double[] y = new double[rows * outputs];
        for (int r = 0; r < rows; r++)
        {
            double[] row = MatVec(x.AsSpan(r * width, width).ToArray(), kernel, outputs);
            for (int j = 0; j < outputs; j++)
            {
                y[(r * outputs) + j] = row[j] + bias[j];
            }
        }

        return y;
    }
}
