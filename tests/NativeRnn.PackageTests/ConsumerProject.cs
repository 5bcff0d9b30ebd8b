using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace NativeRnn.PackageTests;

/// <summary>
/// A new console project made with <c>dotnet new console</c> inside the package tests' folder, which
/// references the package under test by version from the local feed, as a user's project would.
/// </summary>
public sealed partial class ConsumerProject
{
    private readonly PackedPackage _package;

    private ConsumerProject(PackedPackage package, string name, string framework)
    {
        _package = package;
        Name = name;
        Framework = framework;
        Directory = Path.Combine(package.Root, name);
    }

    public string Name { get; }

    public string Framework { get; }

    public string Directory { get; }

    public string ProjectFile => Path.Combine(Directory, Name + ".csproj");

    /// <summary>The runtime identifier of this machine, for self-contained and native builds.</summary>
    public static string RuntimeIdentifier => RuntimeInformation.RuntimeIdentifier;

    /// <summary>
    /// Creates the project, sets the given properties (plus warnings as errors at the highest warning level,
    /// with XML documentation, as a strict user's project has), and adds the package.
    /// </summary>
    public static ConsumerProject Create(PackedPackage package, string name, string framework, IReadOnlyDictionary<string, string> properties, IEnumerable<string> sources)
    {
        var project = new ConsumerProject(package, name, framework);
        // The SDK's template offers only its own framework; an app for an older one changes TargetFramework.
        project.Run("new", "console", "--name", name, "--output", project.Directory, "--no-restore");

        XDocument document = XDocument.Load(project.ProjectFile);
        XElement group = document.Root!.Elements("PropertyGroup").First();
        var all = new Dictionary<string, string>
        {
            ["TargetFramework"] = framework,
            ["TreatWarningsAsErrors"] = "true",
            ["WarningLevel"] = "9999",
            ["Nullable"] = "enable",
            ["GenerateDocumentationFile"] = "true",
        };
        foreach ((string key, string value) in properties)
        {
            all[key] = value;
        }

        foreach ((string key, string value) in all)
        {
            group.Elements(key).Remove();
            group.Add(new XElement(key, value));
        }

        document.Save(project.ProjectFile);
        File.Delete(Path.Combine(project.Directory, "Program.cs"));
        foreach (string source in sources)
        {
            File.Copy(source, Path.Combine(project.Directory, Path.GetFileName(source)));
        }

        project.Run("add", project.ProjectFile, "package", "NativeRnn", "--version", package.Version);
        return project;
    }

    /// <summary>Builds in Release and requires a clean build: no warning of any kind.</summary>
    public DotNet.Result Build()
    {
        DotNet.Result build = Run("build", ProjectFile, "-c", "Release", "-nodeReuse:false", "-tl:off", "-clp:Summary");
        Assert.Matches(ZeroWarnings(), build.Output);
        return build;
    }

    /// <summary>Publishes for this machine and requires a clean publish: no warning of any kind (trimming and AOT analysis included).</summary>
    public DotNet.Result Publish(string outputDirectory)
    {
        DotNet.Result publish = Run("publish", ProjectFile, "-c", "Release", "-r", RuntimeIdentifier, "-o", outputDirectory, "-nodeReuse:false", "-tl:off", "-clp:Summary");
        Assert.Matches(ZeroWarnings(), publish.Output);
        return publish;
    }

    /// <summary>Runs what <see cref="Build"/> produced: the apphost of a self-contained build, else through the dotnet host.</summary>
    public DotNet.Result RunBuilt(bool selfContained)
        => selfContained
            ? DotNet.Start(Path.Combine(OutputDirectory(selfContained), Executable(Name)), Directory, null)
            : DotNet.Run(Directory, null, Path.Combine(OutputDirectory(selfContained), Name + ".dll"));

    /// <summary>Where <see cref="Build"/> puts the app.</summary>
    public string OutputDirectory(bool selfContained)
        => selfContained
            ? Path.Combine(Directory, "bin", "Release", Framework, RuntimeIdentifier)
            : Path.Combine(Directory, "bin", "Release", Framework);

    public static string Executable(string name) => OperatingSystem.IsWindows() ? name + ".exe" : name;

    /// <summary>Runs a dotnet command in this project's folder and requires it to succeed.</summary>
    public DotNet.Result Run(params string[] arguments)
    {
        System.IO.Directory.CreateDirectory(Directory);
        DotNet.Result result = DotNet.Run(Directory, _package.ConsumerEnvironment, arguments);
        _package.Log.Add(result);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    [GeneratedRegex(@"^\s*0 Warning\(s\)", RegexOptions.Multiline)]
    private static partial Regex ZeroWarnings();
}
