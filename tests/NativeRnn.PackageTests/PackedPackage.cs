using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace NativeRnn.PackageTests;

/// <summary>
/// Packs src/NativeRnn once for all package tests, into a temporary folder that is deleted afterwards:
/// a local feed holding the package under a version no other build has (so no stale copy can ever be
/// restored), a NuGet.config that adds that feed to the machine's own sources, and an isolated
/// global-packages folder for the consumers (the machine's folder serves only as a read-only fallback).
/// </summary>
public sealed partial class PackedPackage : IDisposable
{
    private readonly string _artifactsRoot;
    private readonly bool _createdArtifactsRoot;

    public PackedPackage()
    {
        RepositoryRoot = FindRepositoryRoot();
        string id = Guid.NewGuid().ToString("N")[..12];
        Root = Path.Combine(Path.GetTempPath(), "nativernn-package-" + id);

        // Build output stays inside the repository (under the ignored artifacts/ folder), as a plain pack's
        // obj/ does, so the deterministic build maps its generated sources to /_/ like every other source.
        _artifactsRoot = Path.Combine(RepositoryRoot, "artifacts");
        _createdArtifactsRoot = !Directory.Exists(_artifactsRoot);
        Artifacts = Path.Combine(_artifactsRoot, "package-tests", id);
        Feed = Path.Combine(Root, "feed");
        Directory.CreateDirectory(Feed);
        try
        {
            Version = Pack(out string packagePath, out string symbolsPath);
            PackagePath = packagePath;
            SymbolsPath = symbolsPath;
            Packages = Path.Combine(Root, "packages");
            WriteNuGetConfig();
        }
        catch
        {
            Dispose();
            throw;
        }

        ConsumerEnvironment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Packages };
    }

    private string Pack(out string packagePath, out string symbolsPath)
    {
        string version = $"{ReadVersionPrefix(RepositoryRoot)}-consumertest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Guid.NewGuid().ToString("N")[..8]}";

        string[] arguments =
        [
            "pack", Path.Combine(RepositoryRoot, "src", "NativeRnn", "NativeRnn.csproj"),
            "-c", "Release",
            "-o", Feed,
            "--artifacts-path", Artifacts,
            $"-p:Version={version}",
            "-p:ContinuousIntegrationBuild=true",
            "-nodeReuse:false",
        ];
        DotNet.Result pack = DotNet.Run(RepositoryRoot, null, arguments);
        Log.Add(pack);
        if (pack.ExitCode != 0 && pack.Output.Contains("Failed to restore", StringComparison.Ordinal))
        {
            // Seen once on a machine shared with other builds: NuGet's restore gave up at once without
            // saying why, and the same command then succeeded. One more try; a real failure fails twice.
            pack = DotNet.Run(RepositoryRoot, null, arguments);
            Log.Add(pack);
        }

        Assert.True(pack.ExitCode == 0, string.Join("\n", Log));
        packagePath = Path.Combine(Feed, $"NativeRnn.{version}.nupkg");
        symbolsPath = Path.Combine(Feed, $"NativeRnn.{version}.snupkg");
        Assert.True(File.Exists(packagePath), $"no {packagePath}\n{pack}");
        return version;
    }

    private void WriteNuGetConfig()
    {
        DotNet.Result locals = DotNet.Run(Root, null, "nuget", "locals", "global-packages", "--list");
        Assert.True(locals.ExitCode == 0, locals.ToString());
        string machinePackages = locals.Output.Trim().Split(':', 2)[1].Trim();

        File.WriteAllText(Path.Combine(Root, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="nativernn-under-test" value="{Feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="machine" value="{machinePackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
    }

    /// <summary>The repository the package is built from.</summary>
    public string RepositoryRoot { get; }

    /// <summary>The temporary folder of every package test; consumers are created inside it, under its NuGet.config.</summary>
    public string Root { get; }

    public string Feed { get; }

    /// <summary>Where the pack builds, apart from the repository's own bin/ and obj/ folders that other test runs use.</summary>
    public string Artifacts { get; }

    public string Packages { get; }

    public string Version { get; }

    public string PackagePath { get; }

    public string SymbolsPath { get; }

    /// <summary>Environment for consumer commands: the isolated global-packages folder.</summary>
    public IReadOnlyDictionary<string, string> ConsumerEnvironment { get; }

    /// <summary>What the shared steps ran, for a failing test to show.</summary>
    public List<DotNet.Result> Log { get; } = [];

    public void Dispose()
    {
        foreach (string folder in new[] { Root, Artifacts })
        {
            try
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A process that has not let go yet; both folders are ignored build output.
            }
        }

        // The folders above it too, when this run made them and nothing else is in them.
        for (string? parent = Path.GetDirectoryName(Artifacts); parent is not null && parent.Length > RepositoryRoot.Length; parent = Path.GetDirectoryName(parent))
        {
            if (!Directory.Exists(parent) || Directory.EnumerateFileSystemEntries(parent).Any() || (parent == _artifactsRoot && !_createdArtifactsRoot))
            {
                break;
            }

            Directory.Delete(parent);
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "NativeRnn.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No NativeRnn.sln above {AppContext.BaseDirectory}.");
    }

    private static string ReadVersionPrefix(string repositoryRoot)
    {
        string props = File.ReadAllText(Path.Combine(repositoryRoot, "Directory.Build.props"));
        Match match = VersionPrefixPattern().Match(props);
        Assert.True(match.Success, "Directory.Build.props has no VersionPrefix");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"<VersionPrefix>\s*([0-9]+\.[0-9]+\.[0-9]+)\s*</VersionPrefix>")]
    private static partial Regex VersionPrefixPattern();
}

[CollectionDefinition(Name)]
public sealed class PackageCollection : ICollectionFixture<PackedPackage>
{
    public const string Name = "The packed NativeRnn package";
}
