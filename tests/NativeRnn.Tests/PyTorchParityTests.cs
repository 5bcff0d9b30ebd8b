using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text.Json;
using NativeRnn.Serialization;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests;

/// <summary>
/// Parity with PyTorch on the reference fixtures: outputs, final states, and the gradients of every
/// parameter, input and initial state, with and without gradients flowing into the final states.
/// </summary>
public class PyTorchParityTests(ITestOutputHelper output)
{
    private const double FloatTolerance = 1e-5;
    private const double DoubleTolerance = 1e-10;

    public static string FixtureDirectory => Path.Combine(AppContext.BaseDirectory, "fixtures", "pytorch");

    public static IEnumerable<object[]> Fixtures()
        => Directory.EnumerateFiles(FixtureDirectory, "*.safetensors").Select(f => new object[] { Path.GetFileNameWithoutExtension(f) }).OrderBy(f => (string)f[0]);

    [Fact]
    public void Every_fixture_case_has_a_model()
    {
        Assert.Equal(36, Fixtures().Count());
        foreach (object[] fixture in Fixtures())
        {
            string name = (string)fixture[0];
            Assert.Contains(name[..name.LastIndexOf("_b", StringComparison.Ordinal)], FixtureCatalog.Cases.Keys);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Matches_pytorch(string fixture)
    {
        using JsonDocument sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, fixture + ".json")));
        JsonElement meta = sidecar.RootElement;
        string kind = meta.GetProperty("case").GetString()!;
        var file = SafeTensorsFile.Read(Path.Combine(FixtureDirectory, fixture + ".safetensors"));
        double worst = meta.GetProperty("dtype").GetString() == "F32"
            ? Check(FixtureCatalog.Cases[kind].Float(), file, meta, FloatTolerance)
            : Check(FixtureCatalog.Cases[kind].Double(), file, meta, DoubleTolerance);
        output.WriteLine($"{fixture}: worst absolute error {worst:E2}");
    }

    /// <summary>One state tensor of a tape (a delegate type because .NET 8 has no Func over a span result).</summary>
    private delegate ReadOnlySpan<T> StateSelector<T>((int Layer, int Direction) key);

    private static double Check<T>(ISequenceModel<T> model, SafeTensorsFile file, JsonElement meta, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int steps = meta.GetProperty("seq_len").GetInt32();
        int batch = meta.GetProperty("batch").GetInt32();
        int layers = meta.GetProperty("num_layers").GetInt32();
        int directions = meta.GetProperty("num_directions").GetInt32();
        int hidden = meta.GetProperty("hidden_size").GetInt32();
        bool lstm = meta.GetProperty("cell").GetString() == "LSTM";
        double worst = 0;

        void Compare(string name, ReadOnlySpan<T> actual)
        {
            double[] expected = file[name].ToArray<double>();
            TensorCheck.Worst w = TensorCheck.MaxAbsolute(expected, actual);
            worst = Math.Max(worst, w.Error);
            if (!(w.Error <= tolerance))
            {
                throw new Xunit.Sdk.XunitException($"{name}: {w}; tolerance {tolerance:E0}.");
            }
        }

        // State slices: PyTorch's [L·D, B, H] holds layer k, direction d at index k·D + d.
        ReadOnlySpan<T> StateOf(string name, int k, int d) => file[name].ToArray<T>().AsSpan(((k * directions) + d) * batch * hidden, batch * hidden);

        foreach (TensorInfo tensor in model.Layout)
        {
            model.Layout[tensor.Name].Import<T>(model.Parameters, file[tensor.Name].ToArray<T>());
        }

        Assert.Equal(file.Tensors.Keys.Count(k => k.StartsWith("weight_", StringComparison.Ordinal) || k.StartsWith("bias_", StringComparison.Ordinal)), model.Layout.Count);
        IRecurrentTape<T> tape = model.CreateTape(steps, batch);
        void SetInitialStates()
        {
            for (int k = 0; k < layers; k++)
            {
                for (int d = 0; d < directions; d++)
                {
                    StateOf("h0", k, d).CopyTo(tape.InitialHidden(k, d));
                    if (lstm)
                    {
                        StateOf("c0", k, d).CopyTo(tape.InitialCell(k, d));
                    }
                }
            }
        }

        SetInitialStates();
        T[] inputs = file["input"].ToArray<T>();
        T[] outputs = new T[file["output"].ElementCount];
        model.Forward(tape, inputs, outputs);
        Compare("output", outputs);
        for (int k = 0; k < layers; k++)
        {
            if (k < layers - 1)
            {
                Compare($"debug.output_l{k}", tape.LayerOutputs(k));
            }
        }

        CompareStates("h_n", k => tape.FinalHidden(k.Layer, k.Direction));
        if (lstm)
        {
            CompareStates("c_n", k => tape.FinalCell(k.Layer, k.Direction));
        }

        // Loss = Σ output ⊙ R: the output gradient is R and no gradient enters the final states.
        T[] r = file["R"].ToArray<T>();
        T[] gradients = new T[model.Parameters.Length];
        model.Backward(tape, r, gradients);
        CompareGradients("grad.");

        // Loss_full adds Σ h_n ⊙ R_h_n (+ Σ c_n ⊙ R_c_n): gradient enters through the final states too.
        model.Forward(tape, inputs, outputs);
        for (int k = 0; k < layers; k++)
        {
            for (int d = 0; d < directions; d++)
            {
                tape.SetFinalHiddenGradient(k, d, StateOf("R_h_n", k, d));
                if (lstm)
                {
                    tape.SetFinalCellGradient(k, d, StateOf("R_c_n", k, d));
                }
            }
        }

        Array.Clear(gradients);
        model.Backward(tape, r, gradients);
        CompareGradients("gradfull.");
        return worst;

        void CompareStates(string name, StateSelector<T> actual)
        {
            T[] all = new T[layers * directions * batch * hidden];
            for (int k = 0; k < layers; k++)
            {
                for (int d = 0; d < directions; d++)
                {
                    actual((k, d)).CopyTo(all.AsSpan(((k * directions) + d) * batch * hidden));
                }
            }

            Compare(name, all);
        }

        void CompareGradients(string prefix)
        {
            foreach (TensorInfo tensor in model.Layout)
            {
                T[] values = new T[tensor.Length];
                tensor.Export<T>(gradients, values);
                Compare(prefix + tensor.Name, values);
            }

            Compare(prefix + "input", tape.InputGradients);
            CompareStates(prefix + "h0", k => tape.InitialHiddenGradient(k.Layer, k.Direction));
            if (lstm)
            {
                CompareStates(prefix + "c0", k => tape.InitialCellGradient(k.Layer, k.Direction));
            }
        }
    }
}
