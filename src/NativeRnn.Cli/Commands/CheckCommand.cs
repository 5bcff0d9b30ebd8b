using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using NativeRnn.Cli.Models;
using NativeRnn.Kernels;
using NativeRnn.Serialization;
using Spectre.Console;

namespace NativeRnn.Cli.Commands;

/// <summary>
/// <c>nativernn check</c>: what this build runs on (JIT or NativeAOT, architecture, the vector width the generated kernels
/// take) and, given the PyTorch reference fixtures, whether outputs, final states and every gradient still match them
/// here. It is how a native binary on a new machine (an ARM64 board, say) shows it computes what the tests proved.
/// </summary>
internal static class CheckCommand
{
    /// <summary>Largest absolute error accepted against the fixtures: the test suite's bounds for float and double.</summary>
    private const double FloatTolerance = 1e-5, DoubleTolerance = 1e-10;

    public static Command Create(Output output)
    {
        var fixtures = new Option<DirectoryInfo?>("--fixtures") { Description = "A folder of PyTorch reference fixtures (tests/fixtures/pytorch) to check every model kind against." };
        var expect = new Option<int?>("--expect-vector") { Description = "Fail unless the kernels run this vector width in bits (512, 256, 128; 0 for no SIMD)." };
        var speed = new Option<bool>("--speed") { Description = "Also time one Step of the text models (batch 1, float) and a training step." };
        var command = new Command("check", "Show the runtime and vector width this build uses and check its kernels against the PyTorch reference fixtures.")
        {
            fixtures, expect, speed,
        };
        command.SetAction(parsed => Run(output, parsed.GetValue(fixtures), parsed.GetValue(expect), parsed.GetValue(speed)));
        return command;
    }

    /// <summary>The width the generated step kernels dispatch to: the widest accelerated one, as their dispatchers test it.</summary>
    internal static int VectorBits()
        => StepMath512<float>.IsAccelerated ? 512 : StepMath256<float>.IsAccelerated ? 256 : StepMath128<float>.IsAccelerated ? 128 : 0;

    private static int Run(Output output, DirectoryInfo? fixtures, int? expect, bool speed)
    {
        int bits = VectorBits();
        // A JIT has compiled methods by now; NativeAOT has none. (RuntimeFeature.IsDynamicCodeSupported cannot tell: a
        // project that publishes with AOT sets it false for JIT runs too.)
        string compiled = JitInfo.GetCompiledMethodCount() > 0 ? "JIT" : "NativeAOT (compiled ahead of time)";
        output.Line($"nativernn {typeof(CheckCommand).Assembly.GetName().Version?.ToString(3)} on {RuntimeInformation.FrameworkDescription}, {compiled}, {RuntimeInformation.OSDescription} {RuntimeInformation.ProcessArchitecture}, {Environment.ProcessorCount} processor(s)");
        output.Line($"Vector path: {(bits == 0 ? "scalar (no SIMD)" : $"{bits}-bit")} · Vector512 {Yes(Vector512.IsHardwareAccelerated)}, Vector256 {Yes(Vector256.IsHardwareAccelerated)}, Vector128 {Yes(Vector128.IsHardwareAccelerated)}");
        output.Line($"Instruction sets: {InstructionSets()}");
        output.Line($"Caches: {CacheGeometry.Current}");
        if (expect is int wanted && wanted != bits)
        {
            throw new InvalidOperationException($"The kernels run the {(bits == 0 ? "scalar" : $"{bits}-bit")} path, not the {wanted}-bit one asked for with --expect-vector.");
        }

        bool passed = true;
        if (fixtures is not null)
        {
            passed = CheckFixtures(output, fixtures);
        }
        else
        {
            output.Line("Give --fixtures tests/fixtures/pytorch to check the kernels against PyTorch's outputs and gradients.");
        }

        if (speed)
        {
            Time(output);
        }

        return passed ? 0 : NativeRnnProgram.Failed;
    }

    private static string Yes(bool value) => value ? "yes" : "no";

    private static string InstructionSets()
    {
        var sets = new List<string>();
        if (RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86)
        {
            sets.AddRange(new (string, bool)[] { ("SSE4.2", Sse42.IsSupported), ("AVX", Avx.IsSupported), ("AVX2", Avx2.IsSupported), ("FMA", Fma.IsSupported), ("AVX-512F", Avx512F.IsSupported) }
                .Select(s => $"{s.Item1} {Yes(s.Item2)}"));
        }
        else if (RuntimeInformation.ProcessArchitecture == Architecture.Arm64)
        {
            sets.AddRange(new (string, bool)[] { ("AdvSimd", AdvSimd.IsSupported), ("AdvSimd.Arm64", AdvSimd.Arm64.IsSupported) }
                .Select(s => $"{s.Item1} {Yes(s.Item2)}"));
        }

        return sets.Count == 0 ? "none reported" : string.Join(", ", sets);
    }

    private static bool CheckFixtures(Output output, DirectoryInfo folder)
    {
        if (!folder.Exists)
        {
            throw new DirectoryNotFoundException($"There is no fixture folder '{folder.FullName}'.");
        }

        string[] files = Directory.GetFiles(folder.FullName, "*.safetensors").OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            throw new FileNotFoundException($"'{folder.FullName}' holds no .safetensors fixtures.");
        }

        Table table = Output.Table("fixture", "worst |error|", "tolerance", "");
        int failures = 0;
        foreach (string file in files)
        {
            string name = Path.GetFileNameWithoutExtension(file);
            int cut = name.LastIndexOf("_b", StringComparison.Ordinal);
            if (cut < 0 || !FixtureModels.Cases.TryGetValue(name[..cut], out var models))
            {
                throw new InvalidDataException($"'{name}' is not a fixture case this program declares a model for ({string.Join(", ", FixtureModels.Cases.Keys)}).");
            }

            SafeTensorsFile fixture = SafeTensorsFile.Read(file);
            bool single = fixture["input"].Type == SafeTensorType.F32;
            double tolerance = single ? FloatTolerance : DoubleTolerance;
            (double worst, string where) = single ? Compare(models.Float(), fixture) : Compare(models.Double(), fixture);
            bool ok = worst <= tolerance;
            failures += ok ? 0 : 1;
            table.AddRow(name, worst.ToString("E2", CultureInfo.InvariantCulture) + (ok ? string.Empty : $" ({where})"), tolerance.ToString("E0", CultureInfo.InvariantCulture), ok ? "ok" : "FAILED");
        }

        output.Write(table);
        output.Line(failures == 0
            ? $"Fixture parity: all {files.Length} fixtures match PyTorch (outputs, final states and gradients) on the {(VectorBits() == 0 ? "scalar" : $"{VectorBits()}-bit")} path."
            : $"Fixture parity: {failures} of {files.Length} fixtures FAILED.");
        return failures == 0;
    }

    /// <summary>
    /// Runs one fixture case: forward, backward with the gradient entering through the outputs only, and again with
    /// gradients entering through the final states too; returns the worst absolute error and the tensor it is in.
    /// </summary>
    private static (double Worst, string Where) Compare<T>(ISequenceModel<T> model, SafeTensorsFile file)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // The sizes follow from the shapes: input [T, B, I], h0 [L·D, B, H]; reversed weights mean two directions.
        ReadOnlySpan<int> input = file["input"].Shape;
        ReadOnlySpan<int> h0 = file["h0"].Shape;
        int steps = input[0], batch = input[1], hidden = h0[2];
        int directions = file.Tensors.ContainsKey("weight_ih_l0_reverse") ? 2 : 1;
        int layers = h0[0] / directions;
        bool lstm = file.Tensors.ContainsKey("c0");
        double worst = 0;
        string where = string.Empty;

        void Check(string name, ReadOnlySpan<T> actual)
        {
            double[] expected = file[name].ToArray<double>();
            if (expected.Length != actual.Length)
            {
                throw new InvalidDataException($"Fixture tensor '{name}' has {expected.Length} elements; the model gives {actual.Length}.");
            }

            for (int i = 0; i < expected.Length; i++)
            {
                double error = Math.Abs(expected[i] - double.CreateTruncating(actual[i]));
                if (double.IsNaN(error) || error > worst)
                {
                    worst = double.IsNaN(error) ? double.PositiveInfinity : error;
                    where = name;
                }
            }
        }

        // PyTorch's [L·D, B, H] states hold layer k, direction d at index k·D + d.
        T[] State(string name, int k, int d) => file[name].ToArray<T>().AsSpan(((k * directions) + d) * batch * hidden, batch * hidden).ToArray();

        void CheckStates(string name, Func<int, int, T[]> actual)
        {
            var all = new T[layers * directions * batch * hidden];
            for (int k = 0; k < layers; k++)
            {
                for (int d = 0; d < directions; d++)
                {
                    actual(k, d).CopyTo(all.AsSpan(((k * directions) + d) * batch * hidden));
                }
            }

            Check(name, all);
        }

        foreach (TensorInfo tensor in model.Layout)
        {
            tensor.Import<T>(model.Parameters, file[tensor.Name].ToArray<T>());
        }

        IRecurrentTape<T> tape = model.CreateTape(steps, batch);
        for (int k = 0; k < layers; k++)
        {
            for (int d = 0; d < directions; d++)
            {
                State("h0", k, d).CopyTo(tape.InitialHidden(k, d));
                if (lstm)
                {
                    State("c0", k, d).CopyTo(tape.InitialCell(k, d));
                }
            }
        }

        T[] inputs = file["input"].ToArray<T>();
        var outputs = new T[file["output"].ElementCount];
        model.Forward(tape, inputs, outputs);
        Check("output", outputs);
        CheckStates("h_n", (k, d) => tape.FinalHidden(k, d).ToArray());
        if (lstm)
        {
            CheckStates("c_n", (k, d) => tape.FinalCell(k, d).ToArray());
        }

        T[] r = file["R"].ToArray<T>();
        var gradients = new T[model.Parameters.Length];
        model.Backward(tape, r, gradients);
        CheckGradients("grad.");

        model.Forward(tape, inputs, outputs);
        for (int k = 0; k < layers; k++)
        {
            for (int d = 0; d < directions; d++)
            {
                tape.SetFinalHiddenGradient(k, d, State("R_h_n", k, d));
                if (lstm)
                {
                    tape.SetFinalCellGradient(k, d, State("R_c_n", k, d));
                }
            }
        }

        Array.Clear(gradients);
        model.Backward(tape, r, gradients);
        CheckGradients("gradfull.");
        return (worst, where);

        void CheckGradients(string prefix)
        {
            foreach (TensorInfo tensor in model.Layout)
            {
                var values = new T[tensor.Length];
                tensor.Export<T>(gradients, values);
                Check(prefix + tensor.Name, values);
            }

            Check(prefix + "input", tape.InputGradients);
            CheckStates(prefix + "h0", (k, d) => tape.InitialHiddenGradient(k, d).ToArray());
            if (lstm)
            {
                CheckStates(prefix + "c0", (k, d) => tape.InitialCellGradient(k, d).ToArray());
            }
        }
    }

    /// <summary>Times one streaming Step of each text model size (batch 1) and a training step of the medium LSTM.</summary>
    private static void Time(Output output)
    {
        Table table = Output.Table("model", "parameters", "µs per Step", "Steps per second");
        foreach (string size in TextModels.Sizes)
        {
            ITokenStreamingModel<float> model = TextModels.Create("lstm", size, 1);
            var state = new float[model.StateSize];
            var logits = new float[TextModels.Vocabulary];
            double seconds = Measure(n =>
            {
                for (int i = 0; i < n; i++)
                {
                    model.Step(state, i & 0x7F, logits);
                }
            });
            table.AddRow(TextModels.Name("lstm", size), model.Parameters.Length.ToString("N0", CultureInfo.InvariantCulture), (seconds * 1e6).ToString("F2", CultureInfo.InvariantCulture), (1 / seconds).ToString("N0", CultureInfo.InvariantCulture));
        }

        output.Write(table);

        // One training step of the README's workload shape: 32 streams × 64 tokens, forward, backward, Adam, one thread.
        ITokenStreamingModel<float> trained = TextModels.Create("lstm", "medium", 1);
        int[] ids = new int[32 * 64 * 4];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = (i * 7919) & 0x7F;
        }

        var streams = new Training.TokenStreams<float>(ids, 32, 64, seed: 1);
        using var trainer = new Training.Trainer<float>(trained, new Training.Adam<float>(trained.Parameters.Length, 1e-3), 64, 32, new Training.TrainerOptions { ClipNorm = 5, Threads = 1 });
        double step = Measure(n => trainer.Train(streams, n));
        output.Line($"Training text-lstm-medium, 32 × 64 tokens a step, 1 thread: {step * 1e3:F1} ms a step, {32 * 64 / step:N0} tokens/s.");
    }

    /// <summary>
    /// Seconds per unit of <paramref name="run"/>(n)/n: warmed up for a quarter of a second first (so a JIT has promoted
    /// the code to its optimised tier), then repeated for about half a second.
    /// </summary>
    private static double Measure(Action<int> run)
    {
        int n = 1;
        var clock = Stopwatch.StartNew();
        var warm = Stopwatch.StartNew();
        do
        {
            clock.Restart();
            run(n);
            n = clock.Elapsed.TotalSeconds < 0.02 ? n * 2 : n;
        }
        while (warm.Elapsed.TotalSeconds < 0.25);

        int repeat = (int)Math.Max(1, n * 0.5 / Math.Max(clock.Elapsed.TotalSeconds, 1e-6));
        clock.Restart();
        run(repeat);
        return clock.Elapsed.TotalSeconds / repeat;
    }
}
