using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection.Metadata;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.PackageTests;

/// <summary>What <c>dotnet pack</c> of src/NativeRnn puts in the package and its symbols package.</summary>
[Collection(PackageCollection.Name)]
public class PackageContentTests(PackedPackage package, ITestOutputHelper output)
{
    [Fact]
    public void The_package_carries_the_runtime_for_each_framework_and_the_generator_as_an_analyzer_only()
    {
        string[] entries = Entries(package.PackagePath);
        output.WriteLine(string.Join("\n", entries));
        string[] expectedAssemblies =
        [
            "analyzers/dotnet/cs/NativeRnn.Generators.dll",
            "lib/net10.0/NativeRnn.dll",
            "lib/net8.0/NativeRnn.dll",
        ];
        Assert.Equal(expectedAssemblies, entries.Where(e => e.EndsWith(".dll", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Contains("lib/net8.0/NativeRnn.xml", entries);
        Assert.Contains("lib/net10.0/NativeRnn.xml", entries);
        Assert.Contains("PACKAGE.md", entries);
        Assert.DoesNotContain(entries, e => e.EndsWith(".pdb", StringComparison.Ordinal));

        string[] pages = Directory.GetFiles(Path.Combine(package.RepositoryRoot, "docs", "diagnostics"), "NRNN*.md").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        Assert.NotEmpty(pages);
        Assert.Equal(pages, entries.Where(e => e.StartsWith("docs/diagnostics/", StringComparison.Ordinal)).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_manifest_has_the_version_license_readme_commit_and_no_dependencies()
    {
        XElement metadata = Manifest(package.PackagePath);
        XNamespace ns = metadata.Name.Namespace;
        Assert.Equal("NativeRnn", metadata.Element(ns + "id")!.Value);
        Assert.Equal(package.Version, metadata.Element(ns + "version")!.Value);
        XElement license = metadata.Element(ns + "license")!;
        Assert.Equal("expression", license.Attribute("type")!.Value);
        Assert.Equal("MIT", license.Value);
        Assert.Equal("PACKAGE.md", metadata.Element(ns + "readme")!.Value);
        Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")?.Value));

        // The commit is true (git's own); no URL is published, as there is no public repository.
        XElement repository = metadata.Element(ns + "repository")!;
        Assert.Equal("git", repository.Attribute("type")!.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")!.Value);
        Assert.Null(repository.Attribute("url"));

        // Each framework is listed with the one runtime dependency (System.IO.Hashing, the checkpoints' CRC-64), and
        // nothing of the generator's: its Roslyn stays out.
        XElement[] groups = metadata.Element(ns + "dependencies")!.Elements(ns + "group").ToArray();
        Assert.Equal(["net10.0", "net8.0"], groups.Select(g => g.Attribute("targetFramework")!.Value).Order(StringComparer.Ordinal));
        Assert.All(groups, g => Assert.Equal(["System.IO.Hashing"], g.Elements(ns + "dependency").Select(d => d.Attribute("id")!.Value)));
        Assert.DoesNotContain("Microsoft.CodeAnalysis", metadata.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_package_readme_starts_with_what_it_is_and_shows_an_example()
    {
        using ZipArchive zip = ZipFile.OpenRead(package.PackagePath);
        using var reader = new StreamReader(zip.GetEntry("PACKAGE.md")!.Open());
        string readme = reader.ReadToEnd();
        Assert.StartsWith("# NativeRnn", readme, StringComparison.Ordinal);
        Assert.Contains("dotnet add package NativeRnn", readme, StringComparison.Ordinal);
        Assert.Matches(new Regex("```csharp\n(.+\n){5,}```", RegexOptions.Singleline), readme.ReplaceLineEndings("\n"));
    }

    /// <summary>
    /// The symbols package has a portable PDB per framework with the sources embedded (there is no public
    /// repository for Source Link), and the paths in it are the deterministic <c>/_/</c> ones, never the
    /// folder that built it.
    /// </summary>
    [Fact]
    public void The_symbols_package_has_deterministic_pdbs_with_embedded_sources()
    {
        Assert.True(File.Exists(package.SymbolsPath), package.SymbolsPath);
        using ZipArchive zip = ZipFile.OpenRead(package.SymbolsPath);
        string[] pdbs = zip.Entries.Select(e => e.FullName).Where(n => n.EndsWith(".pdb", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["lib/net10.0/NativeRnn.pdb", "lib/net8.0/NativeRnn.pdb"], pdbs);
        foreach (string pdb in pdbs)
        {
            using var stream = new MemoryStream();
            using (Stream entry = zip.GetEntry(pdb)!.Open())
            {
                entry.CopyTo(stream);
            }

            stream.Position = 0;
            using MetadataReaderProvider provider = MetadataReaderProvider.FromPortablePdbStream(stream);
            MetadataReader reader = provider.GetMetadataReader();
            string[] documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToArray();
            Assert.Contains(documents, d => d.EndsWith("Kernels/Simd.cs", StringComparison.Ordinal));
            Assert.All(documents, d => Assert.StartsWith("/_/", d, StringComparison.Ordinal));

            Guid embeddedSource = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");
            int embedded = reader.Documents.Count(d => reader.GetCustomDebugInformation(d).Any(c => reader.GetGuid(reader.GetCustomDebugInformation(c).Kind) == embeddedSource));
            Assert.Equal(documents.Count(d => d.EndsWith(".cs", StringComparison.Ordinal)), embedded);
        }
    }

    private static string[] Entries(string path)
    {
        using ZipArchive zip = ZipFile.OpenRead(path);
        return zip.Entries.Select(e => e.FullName).Where(n => !n.StartsWith("package/", StringComparison.Ordinal) && !n.StartsWith("_rels/", StringComparison.Ordinal) && n != "[Content_Types].xml").Order(StringComparer.Ordinal).ToArray();
    }

    private static XElement Manifest(string path)
    {
        using ZipArchive zip = ZipFile.OpenRead(path);
        using Stream stream = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }
}
