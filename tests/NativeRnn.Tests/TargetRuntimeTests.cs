using System;
using System.IO;
using System.Runtime.InteropServices;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests;

/// <summary>The suite is built for .NET 8 and .NET 10; each build must run on its own runtime, not roll forward.</summary>
public class TargetRuntimeTests(ITestOutputHelper output)
{
    [Fact]
    public void The_suite_runs_on_the_runtime_it_was_built_for()
    {
        output.WriteLine($"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier}) from {RuntimeEnvironment.GetRuntimeDirectory()}");
#if NET10_0
        const int expected = 10;
#elif NET8_0
        const int expected = 8;
#endif
        Assert.Equal(expected, Environment.Version.Major);
        Assert.StartsWith($".NET {expected}.", RuntimeInformation.FrameworkDescription, StringComparison.Ordinal);
    }

#if NET8_0
    /// <summary>Only the net8.0 build is self-contained: its runtime is the one copied next to the tests.</summary>
    [Fact]
    public void The_net8_build_runs_on_the_runtime_it_carries()
    {
        string runtime = Path.GetFullPath(RuntimeEnvironment.GetRuntimeDirectory()).TrimEnd(Path.DirectorySeparatorChar);
        string tests = Path.GetFullPath(AppContext.BaseDirectory).TrimEnd(Path.DirectorySeparatorChar);
        Assert.Equal(tests, runtime);
        Assert.True(File.Exists(Path.Combine(tests, typeof(object).Assembly.GetName().Name + ".dll")));
        Assert.Equal(8, typeof(object).Assembly.GetName().Version!.Major);
    }
#endif
}
