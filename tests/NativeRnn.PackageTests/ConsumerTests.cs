using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.PackageTests;

/// <summary>
/// New apps that use the package from a local feed: they build without a warning, and their models agree
/// with scalar formulas written from PyTorch's equations and across code paths (see Consumer/Checks.cs),
/// under the JIT on .NET 8, .NET 9 and .NET 10 and as a NativeAOT binary.
/// </summary>
[Collection(PackageCollection.Name)]
public class ConsumerTests(PackedPackage package, ITestOutputHelper output)
{
    private const int CheckCount = 5;

    private static string[] ConsumerSources => Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Consumer"), "*.cs");

    /// <summary>
    /// .NET 8 and .NET 9 apps are self-contained, so they run on a real runtime of their version wherever
    /// the tests run; a .NET 9 app gets the package's net8.0 build (it was refused, NU1201, before).
    /// </summary>
    [Fact]
    public void Apps_on_net8_net9_and_net10_build_cleanly_and_their_models_match_the_formulas()
    {
        var selfContained = new Dictionary<string, string> { ["RuntimeIdentifier"] = ConsumerProject.RuntimeIdentifier, ["SelfContained"] = "true" };
        ConsumerProject net8 = ConsumerProject.Create(package, "ConsumerNet8", "net8.0", selfContained, ConsumerSources);
        ConsumerProject net9 = ConsumerProject.Create(package, "ConsumerNet9", "net9.0", selfContained, ConsumerSources);
        ConsumerProject net10 = ConsumerProject.Create(package, "ConsumerNet10", "net10.0", new Dictionary<string, string>(), ConsumerSources);
        Parallel.Invoke(() => net8.Build(), () => net9.Build(), () => net10.Build());

        foreach ((ConsumerProject app, bool isSelfContained, int runtime, string library) in new[] { (net8, true, 8, "v8.0"), (net9, true, 9, "v8.0"), (net10, false, 10, "v10.0") })
        {
            DotNet.Result run = app.RunBuilt(isSelfContained);
            output.WriteLine(run.ToString());
            AssertChecksPassed(run, runtime);
            Assert.Contains($"library built for .NETCoreApp,Version={library}", run.Output, StringComparison.Ordinal);

            // The generator ran in the compiler; nothing of it, or of Roslyn, is in the app.
            string[] files = Directory.GetFiles(app.OutputDirectory(isSelfContained)).Select(Path.GetFileName).ToArray()!;
            Assert.Contains("NativeRnn.dll", files);
            Assert.DoesNotContain(files, f => f.StartsWith("NativeRnn.Generators", StringComparison.Ordinal) || f.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// PublishAot in the app's project file, as a user sets it. On x64 machines with AVX2 the app asks for
    /// <c>x86-64-v3</c> (AVX2 + FMA; .NET 9 spelled it <c>x86-x64-v3</c>), without which a native binary
    /// runs the 128-bit path only.
    /// </summary>
    [Fact]
    public void A_NativeAot_app_publishes_cleanly_and_its_binary_passes_the_same_checks()
    {
        bool avx2 = RuntimeInformation.ProcessArchitecture == Architecture.X64 && Avx2.IsSupported && Fma.IsSupported;
        var properties = new Dictionary<string, string> { ["PublishAot"] = "true" };
        if (avx2)
        {
            properties["IlcInstructionSet"] = "x86-64-v3";
        }

        ConsumerProject app = ConsumerProject.Create(package, "ConsumerAot", "net10.0", properties, ConsumerSources);
        string published = Path.Combine(app.Directory, "published");
        DotNet.Result publish = app.Publish(published);

        string binary = Path.Combine(published, ConsumerProject.Executable(app.Name));
        Assert.True(File.Exists(binary), publish.ToString());
        Assert.False(File.Exists(Path.Combine(published, app.Name + ".dll")), "a native publish leaves no managed assembly to run");
        DotNet.Result run = DotNet.Start(binary, app.Directory, null);
        output.WriteLine(run.ToString());
        AssertChecksPassed(run, expectedRuntime: 10);
        if (avx2)
        {
            Assert.Contains("256 True", run.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>The example in the package's README, exactly as a user reads it, as the whole program of a .NET 8 app.</summary>
    [Fact]
    public void The_package_readme_example_builds_and_runs()
    {
        string readme;
        using (ZipArchive zip = ZipFile.OpenRead(package.PackagePath))
        using (var reader = new StreamReader(zip.GetEntry("PACKAGE.md")!.Open()))
        {
            readme = reader.ReadToEnd().ReplaceLineEndings("\n");
        }

        Match example = Regex.Match(readme, "```csharp\n(.*?)```", RegexOptions.Singleline);
        Assert.True(example.Success, "PACKAGE.md has no C# example");
        string source = Path.Combine(package.Root, "ReadmeExample.cs");
        File.WriteAllText(source, example.Groups[1].Value);

        ConsumerProject app = ConsumerProject.Create(
            package,
            "ReadmeExample",
            "net8.0",
            new Dictionary<string, string> { ["RuntimeIdentifier"] = ConsumerProject.RuntimeIdentifier, ["SelfContained"] = "true", ["GenerateDocumentationFile"] = "false" },
            [source]);
        app.Build();
        DotNet.Result run = app.RunBuilt(selfContained: true);
        output.WriteLine(run.ToString());
        Assert.Equal(0, run.ExitCode);
        float prediction = float.Parse(run.Output.Trim(), CultureInfo.InvariantCulture);
        Assert.True(float.IsFinite(prediction), run.Output);
    }

    private static void AssertChecksPassed(DotNet.Result run, int expectedRuntime)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        string[] lines = run.Output.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"runtime {expectedRuntime}.", lines[0], StringComparison.Ordinal);
        Assert.Equal(CheckCount, lines.Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.Equal("all checks passed", lines[^1]);
    }
}
