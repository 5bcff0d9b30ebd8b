using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace NativeRnn.Tests.Docs;

/// <summary>
/// Keeps the documentation's C# true: every ```csharp block of README.md and docs/*.md must be compiled code of
/// this folder. A block is cut into paragraphs at blank lines (so a page may show a declaration before the code
/// that uses it); each paragraph must appear, whitespace-normalised, in one and the same source file here, where
/// tests run it. The diagnostics pages are compiled with the generator by <c>DiagnosticDocsTests</c>, and the
/// package readme's example is built and run as a whole app by the package tests.
/// </summary>
public partial class DocSnippetTests
{
    private static bool CheckedHere(string page) => page != "src/NativeRnn/PACKAGE.md" && !page.StartsWith("docs/diagnostics/", StringComparison.Ordinal);

    private static string[] SnippetPages() => DocFiles.Pages().Where(CheckedHere).Where(p => DocFiles.CSharpBlocks(DocFiles.Read(p)).Any()).ToArray();

    public static TheoryData<string> PagesWithSnippets => new(SnippetPages());

    [Theory]
    [MemberData(nameof(PagesWithSnippets))]
    public void Every_csharp_block_of_the_page_is_compiled_code_in_the_docs_tests(string page)
    {
        IReadOnlyDictionary<string, string> sources = Sources();
        var failures = new List<string>();
        foreach ((int line, string code) in DocFiles.CSharpBlocks(DocFiles.Read(page)))
        {
            if (FindSource(code, sources) is null)
            {
                failures.Add($"{page}:{line}: {Explain(code, sources)}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void The_pages_that_teach_the_library_have_snippets_checked_here()
    {
        string[] checkedPages = SnippetPages();
        Assert.Contains("docs/getting-started.md", checkedPages);
        Assert.Contains("docs/generated-surface.md", checkedPages);
        Assert.Contains("docs/coming-from-pytorch-keras.md", checkedPages);
        Assert.Contains("README.md", checkedPages);
    }

    [Fact]
    public void A_paragraph_that_is_not_in_the_sources_or_is_split_over_two_files_is_reported()
    {
        var sources = new Dictionary<string, string>
        {
            ["A.cs"] = "namespace X;\n\npublic static class A\n{\n    public static int One()\n    {\n        int a = 1;\n        return a;\n    }\n}\n",
            ["B.cs"] = "// int b = 2;\n",
        };

        Assert.Equal("A.cs", FindSource("int a = 1;\n   return   a;\n", sources));
        Assert.Null(FindSource("int a = 1;\nreturn b;\n", sources));
        Assert.Null(FindSource("int a = 1;\n\nint b = 2;\n", sources)); // each paragraph exists, but not in one file
        Assert.Equal("A.cs", FindSource("int a = 1;\n\n\n", sources)); // blank paragraphs are not paragraphs
        Assert.Null(FindSource("\n \n", sources));
        Assert.Equal("a = 1", Normalize("  a\n =\t1 "));
    }

    /// <summary>The C# sources of this folder by file name, as written.</summary>
    private static Dictionary<string, string> Sources()
        => Directory.GetFiles(DocFiles.SnippetFolder, "*.cs")
            .ToDictionary(path => Path.GetFileName(path), File.ReadAllText, StringComparer.Ordinal);

    /// <summary>The file that holds every paragraph of <paramref name="code"/>, or null.</summary>
    private static string? FindSource(string code, IReadOnlyDictionary<string, string> sources)
    {
        string[] paragraphs = Paragraphs(code);
        if (paragraphs.Length == 0)
        {
            return null;
        }

        return sources.Where(s => Normalize(s.Value) is var text && paragraphs.All(p => text.Contains(p, StringComparison.Ordinal))).Select(s => s.Key).FirstOrDefault();
    }

    private static string Explain(string code, IReadOnlyDictionary<string, string> sources)
    {
        string? missing = Paragraphs(code).FirstOrDefault(p => !sources.Values.Any(s => Normalize(s).Contains(p, StringComparison.Ordinal)));
        return missing is null
            ? "its paragraphs are in different files of tests/NativeRnn.Tests/Docs"
            : "not in any file of tests/NativeRnn.Tests/Docs: " + (missing.Length > 160 ? missing[..160] + " …" : missing);
    }

    private static string[] Paragraphs(string code)
        => BlankLines().Split(code.ReplaceLineEndings("\n")).Select(Normalize).Where(p => p.Length > 0).ToArray();

    private static string Normalize(string text) => Whitespace().Replace(text, " ").Trim();

    [GeneratedRegex(@"\n[ \t]*\n")]
    private static partial Regex BlankLines();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
