using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using NativeRnn.Benchmarks;

// In-process: the benchmarks measure this build of the library, on the runtime that runs this program.
// `--quick` trades precision for time (for a subset while working); the default is BenchmarkDotNet's own.
// `--startup [processes]`: time to steady state and the spread between fresh processes (see Startup).
if (args.Length > 0 && args[0].StartsWith("--startup", StringComparison.Ordinal))
{
    return Startup.Run(args);
}

IConfig config = SuiteConfig.Create(ref args);
Console.WriteLine($"Measured single-core FMA peak: {Peak.Gflops:F1} GFLOP/s (float32, {Peak.Width}-bit vectors).");
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
return 0;
