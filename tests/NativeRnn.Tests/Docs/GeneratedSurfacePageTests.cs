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
