using System.Diagnostics;
using System.Globalization;
using NativeRnn.Training;

namespace NativeRnn.Benchmarks;

/// <summary>
/// Time to steady state and the spread between processes: what a BenchmarkDotNet run cannot show, because it
/// warms up first and measures one process.
/// </summary>
/// <remarks>
/// Each workload runs in several fresh processes; each process times every call from the first, and reports the
/// first call, the steady-state median (the median of the last quarter of the calls), how long after the first
/// call the calls settled (the end of the first window of calls whose median is within 10 % of the steady state),
/// and its drift: how far the medians of eight windows over the second half lie apart inside the process. A spread
/// between processes no larger than the drift within one is the host moving, not something a process brings.
/// </remarks>
public static class Startup
{
    private sealed record Workload(string Name, int Calls, int CallsPerSample, Func<Action> Create);

    private static readonly Workload[] Workloads =
    [
        // Each process runs for about a second, so the steady state (the last quarter) spans a quarter of a second:
        // on a shared host the same process moves by up to 1.5× from one 10 ms window to the next.
        new("training step, char LSTM 64 (32 × 64, CE, clip 5, SGD)", 400, 1, TrainingLstm64),
        new("Forward, LSTM (64, 64), 128 steps", 20_000, 1, ForwardLstm64),
        new("Step, LSTM (16, 16)", 20_000_000, 1000, StepLstm16),
        new("Step, LSTM (128, 128)", 400_000, 100, StepLstm128),
    ];

    /// <summary>Runs the startup measurement: <c>--startup [processes]</c> in the parent, <c>--startup-child i</c> in each child.</summary>
    public static int Run(string[] args)
    {
        if (args[0] == "--startup-child")
        {
            return Child(Workloads[int.Parse(args[1], CultureInfo.InvariantCulture)]);
        }

        int processes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("The program's path is unknown.");
        Console.WriteLine($"{processes} fresh processes per workload; times per call (a sample is the mean of its calls).");
        Console.WriteLine();
        Console.WriteLine("| workload | first call | settled after | steady median, best process | worst process | spread | drift within a process |");
        Console.WriteLine("|---|--:|--:|--:|--:|--:|--:|");
        for (int w = 0; w < Workloads.Length; w++)
        {
            var results = new List<(double First, double Settled, double Steady, double Drift)>();
            for (int p = 0; p < processes; p++)
            {
                var info = new ProcessStartInfo(self, ["--startup-child", w.ToString(CultureInfo.InvariantCulture)]) { RedirectStandardOutput = true, UseShellExecute = false };
                using Process child = Process.Start(info)!;
                string line = child.StandardOutput.ReadToEnd().Trim();
                child.WaitForExit();
                string[] parts = line.Split(' ');
                results.Add((double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture), double.Parse(parts[3], CultureInfo.InvariantCulture)));
            }

            double best = results.Min(r => r.Steady), worst = results.Max(r => r.Steady);
            Console.WriteLine($"| {Workloads[w].Name} | {Time(results.Max(r => r.First))} (worst) | {Time(results.Max(r => r.Settled))} (worst) | {Time(best)} | {Time(worst)} | {(worst / best) - 1:P0} | {results.Min(r => r.Drift):P0}–{results.Max(r => r.Drift):P0} |");
        }

        return 0;
    }

    private static int Child(Workload workload)
    {
        Action call = workload.Create();
        int samples = workload.Calls / workload.CallsPerSample;
        var perCall = new double[samples];
        var endsAt = new double[samples];
        long start = Stopwatch.GetTimestamp(), previous = start;
        for (int s = 0; s < samples; s++)
        {
            for (int c = 0; c < workload.CallsPerSample; c++)
            {
                call();
            }

            long now = Stopwatch.GetTimestamp();
            perCall[s] = Stopwatch.GetElapsedTime(previous, now).TotalSeconds / workload.CallsPerSample;
            endsAt[s] = Stopwatch.GetElapsedTime(start, now).TotalSeconds;
            previous = now;
        }

        double steady = Median(perCall.AsSpan(samples * 3 / 4));
        int window = Math.Max(3, samples / 50);
        double settled = endsAt[^1];
        for (int s = 0; s + window <= samples; s++)
        {
            if (Median(perCall.AsSpan(s, window)) <= steady * 1.1)
            {
                settled = endsAt[s + window - 1];
                break;
            }
        }

        // The drift: the medians of eight equal windows over the second half, slowest over fastest.
        int half = samples / 2, part = Math.Max(1, (samples - half) / 8);
        double fastest = double.MaxValue, slowest = 0;
        for (int s = half; s + part <= samples; s += part)
        {
            double median = Median(perCall.AsSpan(s, part));
            fastest = Math.Min(fastest, median);
            slowest = Math.Max(slowest, median);
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{perCall[0]} {settled} {steady} {(slowest / fastest) - 1}"));
        return 0;
    }

    private static double Median(ReadOnlySpan<double> values)
    {
        double[] sorted = values.ToArray();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    private static string Time(double seconds) => seconds switch
    {
        >= 1 => $"{seconds:F2} s",
        >= 1e-3 => $"{seconds * 1e3:F2} ms",
        >= 1e-6 => $"{seconds * 1e6:F2} µs",
        _ => $"{seconds * 1e9:F1} ns",
    };

    private static Action TrainingLstm64()
    {
        const int steps = 64, batch = 32, vocabulary = 65;
        var model = new CharLstm64(1);
        var trainer = new Trainer<float>(model, new Sgd<float>(model.Parameters.Length, 0.1), steps, batch, new TrainerOptions { ClipNorm = 5 });
        var data = new Batch<float>(steps, batch, 0, 0);
        var random = new Initialization.DeterministicRandom(1, 1);
        for (int i = 0; i < steps * batch; i++)
        {
            data.Tokens[i] = random.NextInt(vocabulary);
            data.Classes[i] = random.NextInt(vocabulary);
        }

        return () => trainer.Step(data);
    }

    private static Action ForwardLstm64()
    {
        var model = new Lstm64x64(1);
        var state = new Lstm64x64.State[1];
        float[] inputs = Inputs(128 * 64), outputs = new float[128 * 64];
        return () => model.Forward(ref state[0], inputs, outputs);
    }

    private static Action StepLstm16()
    {
        var model = new Lstm16x16(1);
        var state = new Lstm16x16.State[1];
        float[] input = Inputs(16), output = new float[16];
        return () => model.Step(ref state[0], input, output);
    }

    private static Action StepLstm128()
    {
        var model = new Lstm128x128(1);
        var state = new Lstm128x128.State[1];
        float[] input = Inputs(128), output = new float[128];
        return () => model.Step(ref state[0], input, output);
    }

    private static float[] Inputs(int length)
    {
        var random = new Initialization.DeterministicRandom(2, 2);
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)random.NextUniform(-1, 1);
        }

        return values;
    }
}
