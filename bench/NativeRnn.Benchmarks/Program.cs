using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using NativeRnn.Benchmarks;

// In-process: the benchmarks measure this build of the library, on the runtime that runs this program.
// `--quick` trades precision for time (for a subset while working); the default is BenchmarkDotNet's own.
// `--startup [processes]`: time to steady state and the spread between fresh processes (see Startup).
if (args.Length > 0 && args[0].StartsWith("--startup", StringComparison.Ordinal))
{
    return Startup.Run(args);
}

bool quick = args.Contains("--quick");
args = args.Where(a => a != "--quick").ToArray();
Job job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance);
if (quick)
{
    job = job.WithWarmupCount(2).WithIterationCount(5).WithLaunchCount(1);
}

IConfig config = DefaultConfig.Instance
    .AddJob(job.AsDefault())
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(StatisticColumn.Median, StatisticColumn.Min)
    .AddColumn(new WorkColumn(WorkColumn.Kind.Gflops), new WorkColumn(WorkColumn.Kind.PercentOfPeak))
    .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
Console.WriteLine($"Measured single-core FMA peak: {Peak.Gflops:F1} GFLOP/s (float32, {Peak.Width}-bit vectors).");
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
return 0;
