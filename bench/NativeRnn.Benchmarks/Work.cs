using System.Collections.Concurrent;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace NativeRnn.Benchmarks;

/// <summary>Floating-point operations per benchmark invocation, registered by each benchmark class.</summary>
public static class Work
{
    private static readonly ConcurrentDictionary<string, double> Flops = new();

    /// <summary>
    /// Registers <paramref name="flops"/> for the benchmark method <paramref name="method"/>, with its parameters if any in
    /// name order: <c>Step(Cell=Lstm, Hidden=64)</c>.
    /// </summary>
    public static void Register(string method, double flops) => Flops[method] = flops;

    public static bool TryGet(BenchmarkCase benchmark, out double flops)
    {
        string key = benchmark.Descriptor.WorkloadMethod.Name;
        if (benchmark.HasParameters)
        {
            // From the raw values, as the benchmarks register them ("Cell=Lstm, Hidden=64"): PrintInfo is display text,
            // which missed the key for string parameters (TrainingStep showed no GFLOP/s).
            key += "(" + string.Join(", ", benchmark.Parameters.Items.OrderBy(item => item.Name, StringComparer.Ordinal).Select(item => $"{item.Name}={item.Value}")) + ")";
        }

        return Flops.TryGetValue(key, out flops) || Flops.TryGetValue(benchmark.Descriptor.WorkloadMethod.Name, out flops);
    }

    /// <summary>FLOPs of one step of a cell: 2 per multiply-add of its matrix-vector products.</summary>
    public static double Step(int gates, int input, int hidden) => 2.0 * gates * hidden * (input + hidden);
}

/// <summary>A summary column: GFLOP/s of a benchmark, or that as a share of the measured FMA peak.</summary>
public sealed class WorkColumn(WorkColumn.Kind kind) : IColumn
{
    public enum Kind
    {
        Gflops,
        PercentOfPeak,
    }

    public string Id => "Work" + kind;

    public string ColumnName => kind == Kind.Gflops ? "GFLOP/s" : "% of peak";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => (int)kind;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => kind == Kind.Gflops ? "Floating-point operations per second (2 per multiply-add), from the median" : "GFLOP/s over the single-core FMA peak measured by Peak.FmaPeak";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        BenchmarkReport? report = summary[benchmarkCase];
        if (report?.ResultStatistics is null || !Work.TryGet(benchmarkCase, out double flops))
        {
            return "-";
        }

        // The median: this machine shares its host, and a neighbour's burst only ever slows a run down.
        double gflops = flops / report.ResultStatistics.Median; // FLOP per ns = GFLOP/s
        return kind == Kind.Gflops ? gflops.ToString("F1") : (100 * gflops / PeakOf(summary)).ToString("F1") + "%";
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    /// <summary>The peak as the <see cref="Peak.FmaPeak"/> benchmark measured it in this run, else as measured at start-up.</summary>
    private static double PeakOf(Summary summary)
    {
        foreach (BenchmarkReport report in summary.Reports)
        {
            if (report.BenchmarkCase.Descriptor.WorkloadMethod.Name == nameof(Peak.FmaPeak) && report.ResultStatistics is not null)
            {
                return Peak.FlopsPerCall / report.ResultStatistics.Median;
            }
        }

        return Peak.Gflops;
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
