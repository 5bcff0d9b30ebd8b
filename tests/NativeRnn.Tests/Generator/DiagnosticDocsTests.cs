using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using NativeRnn.Generators.Diagnostics;
using Xunit;

namespace NativeRnn.Tests.Generator;

/// <summary>
/// Keeps the diagnostics' documentation true, driven by the descriptors themselves: a new descriptor
/// needs only its page (docs/diagnostics/ID.md, with an example that reports it and the fixed code) and
/// its line in AnalyzerReleases.Unshipped.md for these tests to pass.
/// </summary>
public partial class DiagnosticDocsTests
{
    private static readonly string Root = FindRepositoryRoot();

    /// <summary>Every descriptor the generator can report, read from <see cref="DiagnosticDescriptors"/>.</summary>
    private static IReadOnlyList<DiagnosticDescriptor> Descriptors { get; } = typeof(DiagnosticDescriptors)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .ToList();

    /// <summary>Every documented ID: the descriptors, and the one the compiler reports for the generator (an obsolete streaming member).</summary>
    private static IEnumerable<string> DocumentedIds => Descriptors.Select(d => d.Id).Append(DiagnosticDescriptors.StreamingUseId);

    /// <summary>The IDs whose page shows a declaration that reports them: all but the internal error, which no declaration is meant to cause.</summary>
    public static TheoryData<string> IdsWithExamples => new(DocumentedIds.Where(id => id != DiagnosticDescriptors.InternalError.Id));

    [Fact]
    public void Every_descriptor_is_listed_once_in_the_analyzer_releases_with_its_category_and_severity()
    {
        List<ReleaseRule> rules = ReadReleases();
        Assert.NotEmpty(Descriptors);
        foreach (DiagnosticDescriptor descriptor in Descriptors)
        {
            ReleaseRule rule = Assert.Single(rules, r => r.Id == descriptor.Id);
            Assert.Equal(descriptor.Category, rule.Category);
            Assert.Equal(descriptor.DefaultSeverity.ToString(), rule.Severity);
        }

        string[] unknown = rules.Select(r => r.Id).Except(Descriptors.Select(d => d.Id)).ToArray();
        Assert.True(unknown.Length == 0, "listed in AnalyzerReleases but not a descriptor: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Every_diagnostic_has_a_page_and_each_descriptor_links_to_it()
    {
        foreach (DiagnosticDescriptor descriptor in Descriptors)
        {
            Assert.Equal($"docs/diagnostics/{descriptor.Id}.md", descriptor.HelpLinkUri);
            string page = ReadPage(descriptor.Id);
            Assert.StartsWith($"# {descriptor.Id}: {descriptor.Title}\n", page, StringComparison.Ordinal);
            Assert.Contains($"Severity: {descriptor.DefaultSeverity} · Category: {descriptor.Category}", page, StringComparison.Ordinal);
        }

        Assert.StartsWith($"# {DiagnosticDescriptors.StreamingUseId}: ", ReadPage(DiagnosticDescriptors.StreamingUseId), StringComparison.Ordinal);

        string[] pages = Directory.GetFiles(Path.Combine(Root, "docs", "diagnostics"), "*.md").Select(Path.GetFileNameWithoutExtension).ToArray()!;
        string[] orphans = pages.Except(DocumentedIds).ToArray();
        Assert.True(orphans.Length == 0, "pages for no diagnostic: " + string.Join(", ", orphans));

        string index = File.ReadAllText(Path.Combine(Root, "docs", "diagnostics.md"));
        Assert.All(DocumentedIds, id => Assert.Contains($"[{id}](diagnostics/{id}.md)", index, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(IdsWithExamples))]
    public void The_example_on_each_page_reports_its_diagnostic_and_the_fixed_code_compiles_cleanly(string id)
    {
        string page = ReadPage(id);
        string bad = CodeAfter(page, "## Example that reports it", id);
        string fixedCode = CodeAfter(page, "## Fixed", id);

        GeneratorHarness.Outcome reported = GeneratorHarness.Run(bad);
        Diagnostic[] all = reported.GeneratorDiagnostics.Concat(reported.Output.GetDiagnostics()).ToArray();
        Assert.Contains(all, d => d.Id == id);
        Assert.All(all.Where(d => d.Id.StartsWith("NRNN", StringComparison.Ordinal)), d => Assert.Equal(id, d.Id));

        GeneratorHarness.Outcome fixedOutcome = GeneratorHarness.Run(fixedCode);
        Assert.Empty(fixedOutcome.GeneratorDiagnostics);
        Assert.NotEmpty(fixedOutcome.Result.GeneratedTrees);
        // The pages leave out XML documentation (CS1591, which the harness reports) to stay short.
        Assert.DoesNotContain(fixedOutcome.CompilationProblems, d => d.Id != "CS1591");
    }

    private static string ReadPage(string id)
    {
        string path = Path.Combine(Root, "docs", "diagnostics", id + ".md");
        Assert.True(File.Exists(path), $"{id} has no page at docs/diagnostics/{id}.md");
        return File.ReadAllText(path).ReplaceLineEndings("\n");
    }

    private static string CodeAfter(string page, string heading, string id)
    {
        int start = page.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"the page of {id} has no '{heading}' section");
        Match code = CSharpBlock().Match(page, start);
        Assert.True(code.Success, $"the '{heading}' section of {id} has no C# block");
        return code.Groups[1].Value;
    }

    private sealed record ReleaseRule(string Id, string Category, string Severity, string File);

    /// <summary>The "New Rules" rows of both release files (rules removed in a release would sit under "Removed Rules").</summary>
    private static List<ReleaseRule> ReadReleases()
    {
        var rules = new List<ReleaseRule>();
        foreach (string file in new[] { "AnalyzerReleases.Shipped.md", "AnalyzerReleases.Unshipped.md" })
        {
            string section = "";
            foreach (string line in File.ReadAllLines(Path.Combine(Root, "generators", "NativeRnn.Generators", file)))
            {
                if (line.StartsWith("### ", StringComparison.Ordinal))
                {
                    section = line[4..].Trim();
                    continue;
                }

                Match row = ReleaseRow().Match(line);
                if (row.Success && section == "New Rules")
                {
                    rules.Add(new ReleaseRule(row.Groups[1].Value, row.Groups[2].Value, row.Groups[3].Value, file));
                }
                else if (row.Success && section != "Removed Rules")
                {
                    Assert.Fail($"{file}: a rule row under '{section}', which these tests do not read: {line}");
                }
            }
        }

        return rules;
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

    [GeneratedRegex(@"\G.*?```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [GeneratedRegex(@"^\s*(NRNN\d{4})\s*\|\s*([^|\s]+)\s*\|\s*([^|\s]+)\s*\|")]
    private static partial Regex ReleaseRow();
}
