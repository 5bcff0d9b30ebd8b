using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NativeRnn.Generators;
using Xunit;

namespace NativeRnn.Tests.Generator;

/// <summary>
/// What a generator owes the IDE and a strict build: edits that do not touch a model re-run nothing,
/// hint names that depend only on the model's name, the generated-code header, and generated code that
/// is clean at the highest warning level, with warnings as errors, in C# 12 (what .NET 8 projects use).
/// </summary>
public class GeneratorHygieneTests
{
    /// <summary>Models of every kind and option, as a project might hold them.</summary>
    private const string Models = """
        using NativeRnn;

        namespace Shop.Forecasting
        {
            /// <summary>Sensor forecaster.</summary>
            [RnnModel(InputSize = 4)]
            [Gru(16)]
            [Dense(1)]
            public partial struct Sensor;

            /// <summary>Characters.</summary>
            [RnnModel]
            [Embedding(65, 16)]
            [Lstm(32)]
            [Lstm(32)]
            [Dense(65)]
            public sealed partial class CharModel;

            /// <summary>Holds nested models.</summary>
            public static partial class Zoo
            {
                /// <summary>Bidirectional tagger in double precision.</summary>
                [RnnModel(InputSize = 5, ElementType = typeof(double))]
                [SimpleRnn(3, Bidirectional = true, Activation = Activation.Relu)]
                [Gru(7, Bidirectional = true, ResetAfter = false)]
                [Dense(2)]
                internal partial record Tagger;

                /// <summary>Explicitly streaming.</summary>
                [RnnModel(InputSize = 1, Streaming = true)]
                [SimpleRnn(9, Activation = Activation.Sigmoid)]
                public partial class Pulse;
            }
        }

        /// <summary>In the global namespace.</summary>
        [RnnModel(InputSize = 2)]
        [Lstm(64)]
        public partial class GlobalModel;
        """;

    private const string Unrelated = """
        namespace Shop
        {
            /// <summary>Code that has nothing to do with models.</summary>
            public static class Prices
            {
                /// <summary>A price.</summary>
                public static int Total(int a, int b) => a + b;
            }
        }
        """;

    private static readonly string[] ExpectedHintNames =
    [
        "GlobalModel.g.cs",
        "Shop.Forecasting.CharModel.g.cs",
        "Shop.Forecasting.Sensor.g.cs",
        "Shop.Forecasting.Zoo+Pulse.g.cs",
        "Shop.Forecasting.Zoo+Tagger.g.cs",
    ];

    [Fact]
    public void An_edit_to_unrelated_code_reruns_nothing()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Models, Unrelated);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        SyntaxTree unrelated = compilation.SyntaxTrees.Last();
        SyntaxTree edited = CSharpSyntaxTree.ParseText(Unrelated.Replace("a + b", "a + b + 1", StringComparison.Ordinal), GeneratorHarness.ParseOptions, path: unrelated.FilePath);
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(unrelated, edited));
        AssertNothingReran(driver.GetRunResult().Results.Single());
    }

    [Fact]
    public void Adding_a_file_without_models_reruns_nothing()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Models);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(Unrelated, GeneratorHarness.ParseOptions, path: "Source9.cs")));
        AssertNothingReran(driver.GetRunResult().Results.Single());
    }

    [Fact]
    public void A_comment_inside_a_model_declaration_reruns_nothing()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Models);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree original = compilation.SyntaxTrees.Single();
        string text = Models.Replace("[Gru(16)]", "[Gru(16)] // sixteen units were enough", StringComparison.Ordinal);
        Assert.NotEqual(Models, text);
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(original, CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, path: original.FilePath)));
        AssertNothingReran(driver.GetRunResult().Results.Single());
    }

    /// <summary>Hint names come from the namespace, the containing types and the name: not from files, order or content.</summary>
    [Fact]
    public void Hint_names_are_the_qualified_type_names_whatever_the_files()
    {
        GeneratorDriverRunResult first = GeneratorHarness.Run(Models).Result;
        Assert.Equal(ExpectedHintNames, HintNames(first));

        // The same models split over files in another order, with other sizes, give the same names.
        string[] parts = Models.Split("/// <summary>In the global namespace.</summary>", StringSplitOptions.None);
        string resized = parts[0].Replace("[Gru(16)]", "[Gru(24)]", StringComparison.Ordinal);
        GeneratorDriverRunResult second = GeneratorHarness.Run(Unrelated, "using NativeRnn;\n/// <summary>In the global namespace.</summary>" + parts[1], resized).Result;
        Assert.Equal(ExpectedHintNames, HintNames(second));
    }

    [Fact]
    public void A_nested_model_and_a_model_in_a_namespace_of_the_same_name_get_different_files()
    {
        // namespace A.B { M } and namespace A { class B { M } } would both be "A.B.M" with dots; the compiler refuses the
        // pair itself (CS0101), and the generator must still not fail on it (AddSource throws on a repeated name).
        GeneratorHarness.Outcome outcome = GeneratorHarness.Run("""
            using NativeRnn;
            namespace A.B { [RnnModel(InputSize = 1)] [Gru(4)] public partial class M; }
            namespace A { public partial class B { [RnnModel(InputSize = 1)] [Gru(4)] public partial class M; } }
            """);
        Assert.Equal(["A.B+M.g.cs", "A.B.M.g.cs"], outcome.Result.Results.Single().GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal));
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Equal(["CS0101"], outcome.CompilationProblems.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).Distinct());
    }

    [Fact]
    public void Every_generated_file_starts_with_the_auto_generated_marker_and_enables_nullable()
    {
        GeneratorDriverRunResult result = GeneratorHarness.Run(Models).Result;
        Assert.Equal(ExpectedHintNames.Length, result.GeneratedTrees.Length);
        foreach (GeneratedSourceResult source in result.Results.Single().GeneratedSources)
        {
            string[] lines = source.SourceText.ToString().ReplaceLineEndings("\n").Split('\n');
            Assert.Equal("// <auto-generated/>", lines[0]);
            string firstCode = lines.First(l => l.Length > 0 && !l.StartsWith("//", StringComparison.Ordinal));
            Assert.True(firstCode == "#nullable enable", $"{source.HintName}: the first line after the header comments is '{firstCode}'");
        }
    }

    /// <summary>
    /// Warning level 9999 (every warning wave), warnings as errors, nullable enabled, XML documentation
    /// diagnosed, with and without unsafe code; in the newest C# and in C# 12, the default of a .NET 8 project.
    /// </summary>
    [Theory]
    [InlineData(LanguageVersion.Latest, false)]
    [InlineData(LanguageVersion.Latest, true)]
    [InlineData(LanguageVersion.CSharp12, false)]
    [InlineData(LanguageVersion.CSharp12, true)]
    public void Generated_code_has_no_warning_at_the_highest_level_with_warnings_as_errors(LanguageVersion language, bool allowUnsafe)
    {
        CSharpParseOptions parse = GeneratorHarness.ParseOptions.WithLanguageVersion(language);
        CSharpCompilation compilation = GeneratorHarness.Compile(Models, Unrelated)
            .WithOptions(GeneratorHarness.Compile().Options
                .WithWarningLevel(9999)
                .WithGeneralDiagnosticOption(ReportDiagnostic.Error)
                .WithNullableContextOptions(NullableContextOptions.Enable)
                .WithAllowUnsafe(allowUnsafe));
        compilation = compilation.RemoveAllSyntaxTrees().AddSyntaxTrees(compilation.SyntaxTrees.Select(t => t.WithRootAndOptions(t.GetRoot(), parse)));
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new RnnModelGenerator().AsSourceGenerator()], parseOptions: parse)
            .RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out ImmutableArray<Diagnostic> generatorDiagnostics);

        Assert.Empty(generatorDiagnostics);
        Assert.Equal(ExpectedHintNames.Length, driver.GetRunResult().GeneratedTrees.Length);
        Diagnostic[] problems = output.GetDiagnostics().Where(d => d.Severity != DiagnosticSeverity.Hidden).ToArray();
        Assert.True(problems.Length == 0, string.Join("\n", problems.Select(p => p.ToString())));
    }

    private static string[] HintNames(GeneratorDriverRunResult result)
        => result.Results.Single().GeneratedSources.Select(s => s.HintName).Order(StringComparer.Ordinal).ToArray();

    private static void AssertNothingReran(GeneratorRunResult run)
    {
        Assert.Null(run.Exception);
        Assert.Contains(TrackingNames.Parse, run.TrackedSteps.Keys);
        Assert.Contains(TrackingNames.Models, run.TrackedSteps.Keys);
        var reran = new List<string>();
        foreach ((string step, ImmutableArray<IncrementalGeneratorRunStep> runs) in run.TrackedSteps.Where(s => s.Key.StartsWith("NativeRnn.", StringComparison.Ordinal)))
        {
            reran.AddRange(runs.SelectMany(r => r.Outputs).Where(o => o.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged)).Select(o => $"{step}: {o.Reason}"));
        }

        reran.AddRange(run.TrackedOutputSteps.SelectMany(s => s.Value.SelectMany(r => r.Outputs).Where(o => o.Reason != IncrementalStepRunReason.Cached).Select(o => $"output {s.Key}: {o.Reason}")));
        Assert.True(reran.Count == 0, string.Join("\n", reran));
        Assert.NotEmpty(run.TrackedOutputSteps.SelectMany(s => s.Value));
    }
}
