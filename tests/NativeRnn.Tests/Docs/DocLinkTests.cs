using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace NativeRnn.Tests.Docs;

/// <summary>Every relative link of README.md and the pages under docs/ points to a file or folder of the repository.</summary>
public partial class DocLinkTests
{
    private static readonly string[] ExpectedLinks = ["a.md", "images/c.svg", "b c.md"];

    public static TheoryData<string> Pages => new(DocFiles.Pages());

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_relative_link_resolves_to_a_file_in_the_repository(string page)
    {
        string directory = Path.GetDirectoryName(Path.Combine(DocFiles.Root, page))!;
        string[] broken = RelativeLinks(DocFiles.Read(page))
            .Where(target => !File.Exists(Path.Combine(directory, target)) && !Directory.Exists(Path.Combine(directory, target)))
            .ToArray();
        Assert.True(broken.Length == 0, $"{page} links to what does not exist: {string.Join(", ", broken)}");
    }

    [Fact]
    public void The_index_links_every_page_under_docs()
    {
        string index = DocFiles.Read("docs/README.md");
        string[] pages = Directory.GetFiles(Path.Combine(DocFiles.Root, "docs"), "*.md").Select(Path.GetFileName).Where(name => name != "README.md").ToArray()!;
        Assert.NotEmpty(pages);
        string[] links = RelativeLinks(index).ToArray();
        Assert.All(pages, name => Assert.Contains(name, links));
    }

    [Fact]
    public void Links_are_found_outside_code_and_anchors_and_addresses_are_left_alone()
    {
        const string text = "See [a](a.md#part), ![chart](images/c.svg) and [site](https://example.org) or [top](#top).\n"
            + "`[not](code.md)`\n```\n[neither](block.md)\n```\n[b](<b c.md>)\n";
        Assert.Equal(ExpectedLinks, RelativeLinks(text).ToArray());
    }

    /// <summary>The targets of the page's relative links, without anchors, outside code blocks and code spans.</summary>
    private static IEnumerable<string> RelativeLinks(string text)
    {
        string prose = InlineCode().Replace(FencedCode().Replace(text, string.Empty), string.Empty);
        foreach (Match link in Link().Matches(prose))
        {
            string target = link.Groups[1].Value.Trim().Trim('<', '>');
            if (target.Length == 0 || target.StartsWith('#') || target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            int anchor = target.IndexOf('#', StringComparison.Ordinal);
            yield return Uri.UnescapeDataString(anchor >= 0 ? target[..anchor] : target);
        }
    }

    [GeneratedRegex(@"^```.*?^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedCode();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"\]\((<[^>]*>|[^)\s]*)(?:\s+""[^""]*"")?\)")]
    private static partial Regex Link();
}
