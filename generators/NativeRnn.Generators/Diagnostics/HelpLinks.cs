namespace NativeRnn.Generators.Diagnostics;

/// <summary>
/// The help link of each diagnostic: its page, <c>docs/diagnostics/{ID}.md</c>, a path that is the same
/// in the repository and inside the NativeRnn package (which carries the pages). It is a relative path,
/// not a URL, because the project has no public site yet; IDEs show no link for it rather than a wrong
/// one. When there is a public home for the pages, <see cref="Prefix"/> becomes its address.
/// </summary>
internal static class HelpLinks
{
    public const string Prefix = "docs/diagnostics/";

    /// <summary>The same link as a format with the ID as <c>{0}</c>, for <c>ObsoleteAttribute.UrlFormat</c>.</summary>
    public const string Format = Prefix + "{0}.md";

    public static string For(string id) => Prefix + id + ".md";
}
