using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using NativeRnn;
using NativeRnn.Benchmarks;
using NativeRnn.Benchmarks.OnnxRuntime;

// `--verify`: builds every compared layer on both sides and checks they agree (what CI runs); no timing.
// Otherwise BenchmarkDotNet, configured as the main suite (`--quick` for 2 warm-up and 5 measured iterations).
if (args.Contains("--verify"))
{
    foreach (string cell in new[] { "Lstm", "Gru", "Rnn" })
    {
        foreach ((int hidden, int streams, int steps) in new[] { (64, 1, 128), (128, 1, 128), (256, 1, 128), (128, 1, 1), (128, 8, 1), (128, 32, 32) })
        {
            IStreamingModel<float> model = Layers.Create(cell, hidden);
            using var ort = new OrtLayer(model, Layers.OnnxCell(cell), steps, streams, hidden, hidden);
            var random = new NativeRnn.Initialization.DeterministicRandom(7, (ulong)hidden);
            for (int i = 0; i < ort.Inputs.Length; i++)
            {
                ort.Inputs[i] = (float)random.NextUniform(-1, 1);
            }

            float worst = Layers.CheckAgreement(model, ort, streams, steps);
            Console.WriteLine($"{cell} ({hidden}, {hidden}), {streams} streams × {steps} steps: agree within {worst:E2}");
        }
    }

    return 0;
}

IConfig config = SuiteConfig.Create(ref args);
Console.WriteLine($"Measured single-core FMA peak: {Peak.Gflops:F1} GFLOP/s (float32, {Peak.Width}-bit vectors).");
BenchmarkSwitcher.FromAssembly(typeof(Sequence).Assembly).Run(args, config);
return 0;
