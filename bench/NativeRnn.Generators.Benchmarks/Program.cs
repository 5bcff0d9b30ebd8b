using System;
using System.Linq;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using NativeRnn.Generators.Benchmarks;

// In-process, like the runtime benchmarks: this build of the generator, on the runtime running this program.
// `--quick` trades precision for time; the default is BenchmarkDotNet's own.
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
    .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
Console.WriteLine($"{GeneratorTime.ModelCount} declared models, {GeneratorTime.GeneratedCharacters():N0} characters generated.");
BenchmarkSwitcher.FromAssembly(typeof(GeneratorTime).Assembly).Run(args, config);
