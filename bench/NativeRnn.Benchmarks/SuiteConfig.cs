using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace NativeRnn.Benchmarks;

/// <summary>The configuration every NativeRnn benchmark suite runs with (this one and the ONNX Runtime comparison).</summary>
public static class SuiteConfig
{
    /// <summary>
    /// In-process, so the benchmarks measure this build of the library on the runtime that runs the program; memory,
    /// median, min, GFLOP/s and % of peak columns. <c>--quick</c> (removed from <paramref name="args"/>) trades precision
    /// for time: 2 warm-up and 5 measured iterations.
    /// </summary>
    public static IConfig Create(ref string[] args)
    {
        bool quick = args.Contains("--quick");
        args = args.Where(a => a != "--quick").ToArray();
        Job job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance);
        if (quick)
        {
            job = job.WithWarmupCount(2).WithIterationCount(5).WithLaunchCount(1);
        }

        return DefaultConfig.Instance
            .AddJob(job.AsDefault())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumn(StatisticColumn.Median, StatisticColumn.Min)
            .AddColumn(new WorkColumn(WorkColumn.Kind.Gflops), new WorkColumn(WorkColumn.Kind.PercentOfPeak))
            .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
    }
}
