using System;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using NativeRnn.Tests.Docs.Surface;
using NativeRnn.Tests.Helpers;
using Xunit;

namespace NativeRnn.Tests.Docs;

/// <summary>docs/generated-surface.md names every public member the generator writes, and what it says about allocation holds.</summary>
public partial class GeneratedSurfacePageTests
{
    [Theory]
    [InlineData(typeof(Sensor))]
    [InlineData(typeof(Sensor.State))]
    [InlineData(typeof(Sensor.Tape))]
    [InlineData(typeof(Chars))]
    [InlineData(typeof(Models.BiLstmF))]
    public void Every_public_member_of_a_generated_type_is_named_on_the_page(Type type)
    {
        string[] spans = CodeSpan().Matches(DocFiles.Read("docs/generated-surface.md")).Select(m => m.Value).ToArray();
        string[] members = type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m is not MethodInfo { IsSpecialName: true } && m is not ConstructorInfo && m.DeclaringType == type)
            .Select(m => m.Name)
            .Where(name => name is not ("Equals" or "GetHashCode" or "ToString"))
            .Distinct()
            .ToArray();
        Assert.NotEmpty(members);
        string[] missing = members.Where(name => !spans.Any(span => Regex.IsMatch(span, $@"\b{name}\b"))).ToArray();
        Assert.True(missing.Length == 0, $"docs/generated-surface.md does not name {type.Name}'s {string.Join(", ", missing)}");
    }

    /// <summary>The types whose members the page's signatures describe ("Model" is the model type itself).</summary>
    private static readonly Type[] Described =
    [
        typeof(Sensor), typeof(Sensor.State), typeof(Sensor.Tape), typeof(Chars), typeof(Chars.Tape),
        typeof(IRecurrentModel<float>), typeof(IStreamingModel<float>), typeof(ITokenStreamingModel<float>), typeof(IRecurrentTape<float>),
    ];

    [Fact]
    public void Every_signature_on_the_page_is_a_generated_member_with_those_parameters()
    {
        string[] signatures = CodeSpan().Matches(DocFiles.Read("docs/generated-surface.md"))
            .Select(m => Signature().Match(m.Value.Trim('`')))
            .Where(m => m.Success && !m.Value.Contains('…', StringComparison.Ordinal))
            .Select(m => m.Value)
            .Distinct()
            .ToArray();
        Assert.True(signatures.Length >= 20, $"only {signatures.Length} signatures found");
        Assert.False(Exists(Signature().Match("void Step(ref State state, ReadOnlySpan<T> inputs, Span<T> output)"))); // a parameter renamed
        Assert.True(Exists(Signature().Match("void Step(ref State state, ReadOnlySpan<T> input, Span<T> output)")));
        string[] unknown = signatures.Where(signature => !Exists(Signature().Match(signature))).ToArray();
        Assert.True(unknown.Length == 0, "no generated member has these signatures: " + string.Join("; ", unknown));
    }

    private static bool Exists(Match signature)
    {
        string name = signature.Groups["name"].Value;
        string[] parameters = signature.Groups["parameters"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=')[0].Trim().Split(' ')[^1])
            .ToArray();
        bool Matches(MethodBase method) => method.GetParameters().Select(p => p.Name).SequenceEqual(parameters);
        return name is "Model"
            ? typeof(Sensor).GetConstructors().Any(Matches)
            : Described.Any(type => type.GetConstructors().Where(_ => type.Name == name).Any(Matches)
                || type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Where(m => m.Name == name).Any(Matches));
    }

    [GeneratedRegex(@"^(?:(?:static|void|int|bool|ulong|[\w.]+(?:<[\w, ]+>)?(?:\[\])?)\s+)?(?<name>[A-Z]\w*)\((?<parameters>[^)]*)\)$")]
    private static partial Regex Signature();

    [Fact]
    public void Importing_and_exporting_a_tensor_allocate_nothing()
    {
        var model = new Sensor(seed: 1);
        float[] w = new float[4 * 16 * 3];
        Assert.Equal(0, Allocation.Measure(() =>
        {
            model.ExportTensor("weight_ih_l0", w);
            model.ImportTensor("weight_ih_l0", w);
        }));
    }

    [GeneratedRegex("`[^`\n]+`")]
    private static partial Regex CodeSpan();
}
