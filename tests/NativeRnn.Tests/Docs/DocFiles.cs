using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace NativeRnn.Tests.Docs;

/// <summary>The repository's documentation and the test sources that hold its snippets, read from the source tree.</summary>
public static partial class DocFiles
{
    /// <summary>The folder that holds NativeRnn.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The folder of the compiled snippets: tests/NativeRnn.Tests/Docs.</summary>
    public static string SnippetFolder => Path.Combine(Root, "tests", "NativeRnn.Tests", "Docs");

    /// <summary>README.md and every page under docs/, as paths relative to the root with '/' separators.</summary>
    public static IReadOnlyList<string> Pages()
    {
        var pages = new List<string> { "README.md", "src/NativeRnn/PACKAGE.md" };
        pages.AddRange(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Root, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal));
        return pages;
    }

    /// <summary>The text of a page, with '\n' line ends.</summary>
    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath)).ReplaceLineEndings("\n");

    /// <summary>The ```csharp blocks of a page, each with the line it starts on.</summary>
    public static IEnumerable<(int Line, string Code)> CSharpBlocks(string text)
    {
        foreach (Match match in CSharpBlock().Matches(text))
        {
            int line = text.AsSpan(0, match.Index).Count('\n') + 1;
            yield return (line, match.Groups[1].Value);
        }
    }

    private static string FindRoot()
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

    [GeneratedRegex(@"^```csharp\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();
}
