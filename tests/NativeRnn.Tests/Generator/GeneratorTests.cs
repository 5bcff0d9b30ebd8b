using System;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NativeRnn.Generators;
using Xunit;

namespace NativeRnn.Tests.Generator;

public class GeneratorTests
{
    private const string Valid = """
        using NativeRnn;

        namespace User.Models
        {
            /// <summary>A documented model.</summary>
            [RnnModel(InputSize = 3)]
            [SimpleRnn(8)]
            [SimpleRnn(5, Activation = Activation.Relu)]
            [Dense(2)]
            public partial class Demo;

            /// <summary>Nested in a partial type, as a struct, in double precision, without a head.</summary>
            public static partial class Outer
            {
                /// <summary>Inner model.</summary>
                [RnnModel(InputSize = 1, ElementType = typeof(double))]
                [SimpleRnn(4, Activation = Activation.Sigmoid)]
                internal partial struct Inner;
            }
        }

        /// <summary>In the global namespace, as a record.</summary>
        [RnnModel(InputSize = 2)]
        [SimpleRnn(3)]
        [Dense(1)]
        public partial record GlobalModel;
        """;

    [Fact]
    public void Valid_models_generate_code_that_compiles_without_any_warning()
    {
        GeneratorHarness.Outcome outcome = GeneratorHarness.Run(Valid);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Equal(3, outcome.Result.GeneratedTrees.Length);
        Assert.Empty(outcome.CompilationProblems);
    }

    /// <summary>
    /// The step kernels take register tiles while the weights are one panel or fit in L1, and stream panels
    /// otherwise; streamed layers that may exceed a 32 KiB L1d carry the alternating sweep. The shapes are named in
    /// the generated file.
    /// </summary>
    [Theory]
    [InlineData("[RnnModel(InputSize = 16)] [Lstm(16)]", "512-bit: one register tile of 16 units", "256-bit: one register tile of 16 units", "128-bit: each weight panel streamed", false)]
    [InlineData("[RnnModel(InputSize = 32)] [Lstm(32)]", "512-bit: one register tile of 32 units", "256-bit: each weight panel streamed", "128-bit: each weight panel streamed", true)]
    [InlineData("[RnnModel(InputSize = 1)] [Gru(16)]", "512-bit: one register tile of 16 units", "256-bit: one register tile of 16 units", "128-bit: each weight panel streamed", false)]
    [InlineData("[RnnModel(InputSize = 3)] [Lstm(8)]", "512-bit: one register tile of 8 units, 8 accumulators in 2 row set(s) of 256-bit vectors", "256-bit: one register tile of 8 units", "128-bit: one register tile of 8 units", false)]
    [InlineData("[RnnModel(InputSize = 64)] [SimpleRnn(64)]", "512-bit: one register tile of 64 units", "256-bit: one register tile of 64 units", "128-bit: each weight panel streamed", true)]
    [InlineData("[RnnModel(InputSize = 64)] [Lstm(64)]", "512-bit: each weight panel streamed", "256-bit: each weight panel streamed", "128-bit: each weight panel streamed", true)]
    [InlineData("[RnnModel(InputSize = 3)] [Lstm(13)]", "512-bit: each weight panel streamed", "256-bit: each weight panel streamed", "128-bit: each weight panel streamed", false)]
    public void Step_kernels_take_the_shape_that_suits_the_layer(string declaration, string at512, string at256, string at128, bool sweeps)
    {
        GeneratorHarness.Outcome outcome = GeneratorHarness.Run($"using NativeRnn;\n/// <summary>M.</summary>\n{declaration}\npublic partial class M;");
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.CompilationProblems);
        string text = outcome.GeneratedText;
        Assert.Contains("//   " + at512, text, StringComparison.Ordinal);
        Assert.Contains("//   " + at256, text, StringComparison.Ordinal);
        Assert.Contains("//   " + at128, text, StringComparison.Ordinal);
        Assert.Equal(sweeps, text.Contains("t_layer0Sweep", StringComparison.Ordinal));
    }

    [Fact]
    public void Step_kernels_of_layers_larger_than_L1_alternate_their_sweep()
    {
        GeneratorHarness.Outcome outcome = GeneratorHarness.Run("using NativeRnn;\n/// <summary>M.</summary>\n[RnnModel(InputSize = 40)] [Gru(192)]\npublic partial class M;");
        Assert.Empty(outcome.CompilationProblems);

        // 3·192·(40 + 192) floats of weights, then 3·3·192 + 40 + 4·192 more (biases, buffer, x, h, c, new h).
        Assert.Contains("private static readonly bool s_layer0Alternates = global::NativeRnn.Kernels.CacheGeometry.Current.L1DataBytes < 544672;", outcome.GeneratedText, StringComparison.Ordinal);
        Assert.Matches(@"\[global::System\.ThreadStatic\]\s+private static int t_layer0Sweep;", outcome.GeneratedText);
        Assert.Contains("int sweep = s_layer0Alternates ? (t_layer0Sweep ^= 1) : 0;", outcome.GeneratedText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("NRNN0001", "[RnnModel(InputSize = 3)]\n[SimpleRnn(8)]\npublic class M;", "RnnModel(InputSize = 3)")]
    [InlineData("NRNN0001", "public class Outer\n{\n    [RnnModel(InputSize = 3)]\n    [SimpleRnn(8)]\n    public partial class M;\n}", "RnnModel(InputSize = 3)")]
    [InlineData("NRNN0002", "[RnnModel(InputSize = 3)]\n[Dense(2)]\npublic partial class M;", "RnnModel(InputSize = 3)")]
    [InlineData("NRNN0002", "[RnnModel(InputSize = 3)]\npublic partial class M;", "RnnModel(InputSize = 3)")]
    [InlineData("NRNN0003", "[RnnModel(InputSize = 3)]\n[SimpleRnn(0)]\npublic partial class M;", "SimpleRnn(0)")]
    [InlineData("NRNN0003", "[RnnModel(InputSize = 3)]\n[SimpleRnn(-4)]\npublic partial class M;", "SimpleRnn(-4)")]
    [InlineData("NRNN0003", "[RnnModel(InputSize = 3)]\n[SimpleRnn(8)]\n[Dense(0)]\npublic partial class M;", "Dense(0)")]
    [InlineData("NRNN0003", "[RnnModel(InputSize = 0)]\n[SimpleRnn(8)]\npublic partial class M;", "RnnModel(InputSize = 0)")]
    [InlineData("NRNN0004", "[RnnModel(InputSize = 3)]\n[SimpleRnn(8, Activation = (Activation)7)]\npublic partial class M;", "SimpleRnn(8, Activation = (Activation)7)")]
    [InlineData("NRNN0005", "[RnnModel(InputSize = 3, ElementType = typeof(int))]\n[SimpleRnn(8)]\npublic partial class M;", "RnnModel(InputSize = 3, ElementType = typeof(int))")]
    [InlineData("NRNN0006", "[RnnModel]\n[SimpleRnn(8)]\npublic partial class M;", "RnnModel")]
    [InlineData("NRNN0007", "[RnnModel(InputSize = 3)]\n[Dense(2)]\n[SimpleRnn(8)]\npublic partial class M;", "SimpleRnn(8)")]
    [InlineData("NRNN0007", "[RnnModel(InputSize = 3)]\n[SimpleRnn(8)]\n[Dense(2)]\n[Dense(3)]\npublic partial class M;", "Dense(3)")]
    [InlineData("NRNN0008", "[RnnModel(InputSize = 3)]\n[SimpleRnn(8)]\npublic partial class M<T>;", "RnnModel(InputSize = 3)")]
    [InlineData("NRNN0009", "[RnnModel(InputSize = 3)]\n[SimpleRnn(8)]\npublic static partial class M;", "RnnModel(InputSize = 3)")]
    [InlineData("NRNN0009", "[RnnModel(InputSize = 3)]\n[SimpleRnn(8)]\npublic ref partial struct M;", "RnnModel(InputSize = 3)")]
    [InlineData("NRNN0010", "[RnnModel(InputSize = 3)]\n[SimpleRnn(8)]\npublic partial class M;\n[SimpleRnn(4)]\npublic partial class M;", "RnnModel(InputSize = 3)")]
    [InlineData("NRNN0003", "[RnnModel(InputSize = 3)]\n[Lstm(0)]\npublic partial class M;", "Lstm(0)")]
    [InlineData("NRNN0003", "[RnnModel(InputSize = 3)]\n[Gru(-1, ResetAfter = false)]\npublic partial class M;", "Gru(-1, ResetAfter = false)")]
    [InlineData("NRNN0003", "[RnnModel]\n[Embedding(0, 4)]\n[Gru(3)]\npublic partial class M;", "Embedding(0, 4)")]
    [InlineData("NRNN0003", "[RnnModel]\n[Embedding(10, -4)]\n[Gru(3)]\npublic partial class M;", "Embedding(10, -4)")]
    [InlineData("NRNN0011", "[RnnModel(InputSize = 3)]\n[Lstm(4)]\n[Embedding(10, 4)]\npublic partial class M;", "Embedding(10, 4)")]
    [InlineData("NRNN0011", "[RnnModel]\n[Embedding(10, 4)]\n[Embedding(10, 4)]\n[Lstm(4)]\npublic partial class M;", "Embedding(10, 4)]\n[Lstm(4)")]
    [InlineData("NRNN0012", "[RnnModel(InputSize = 3, Streaming = true)]\n[Lstm(4)]\n[Gru(5, Bidirectional = true)]\npublic partial class M;", "Gru(5, Bidirectional = true)")]
    [InlineData("NRNN0013", "[RnnModel(InputSize = 3)]\n[Embedding(10, 4)]\n[Lstm(4)]\npublic partial class M;", "RnnModel(InputSize = 3)")]
    [InlineData("NRNN0015", "[RnnModel(InputSize = 3)]\n[Dropout(1.0)]\n[Lstm(4)]\npublic partial class M;", "Dropout(1.0)")]
    [InlineData("NRNN0015", "[RnnModel(InputSize = 3)]\n[Dropout(-0.1)]\n[Lstm(4)]\npublic partial class M;", "Dropout(-0.1)")]
    [InlineData("NRNN0015", "[RnnModel(InputSize = 3)]\n[Dropout(double.NaN)]\n[Lstm(4)]\npublic partial class M;", "Dropout(double.NaN)")]
    [InlineData("NRNN0016", "[RnnModel(InputSize = 3)]\n[Lstm(4)]\n[Dropout(0.2)]\npublic partial class M;", "Dropout(0.2)")]
    [InlineData("NRNN0016", "[RnnModel(InputSize = 3)]\n[Lstm(4)]\n[Dense(2)]\n[Dropout(0.2)]\npublic partial class M;", "Dropout(0.2)")]
    [InlineData("NRNN0016", "[RnnModel]\n[Dropout(0.2)]\n[Embedding(10, 4)]\n[Lstm(4)]\npublic partial class M;", "Dropout(0.2)")]
    [InlineData("NRNN0016", "[RnnModel(InputSize = 3)]\n[Dropout(0.2)]\n[Dropout(0.3)]\n[Lstm(4)]\npublic partial class M;", "Dropout(0.3)")]
    [InlineData("NRNN0017", "[RnnModel(InputSize = 3)]\n[Lstm(4, RecurrentWeights = (WeightInitializer)99)]\npublic partial class M;", "Lstm(4, RecurrentWeights = (WeightInitializer)99)")]
    [InlineData("NRNN0017", "[RnnModel(InputSize = 3)]\n[Lstm(4, ForgetGateBias = double.PositiveInfinity)]\npublic partial class M;", "Lstm(4, ForgetGateBias = double.PositiveInfinity)")]
    [InlineData("NRNN0017", "[RnnModel(InputSize = 3)]\n[Gru(4)]\n[Dense(2, Weights = (WeightInitializer)(-1))]\npublic partial class M;", "Dense(2, Weights = (WeightInitializer)(-1))")]
    public void Invalid_declarations_get_a_diagnostic_at_the_attribute(string id, string declaration, string attribute)
    {
        string source = "using NativeRnn;\n" + declaration;
        GeneratorHarness.Outcome outcome = GeneratorHarness.Run(source);
        Diagnostic diagnostic = Assert.Single(outcome.GeneratorDiagnostics, d => d.Id.StartsWith("NRNN", StringComparison.Ordinal));
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        // The marker may continue past the attribute to tell two identical attributes apart.
        int start = source.IndexOf(attribute + "]", StringComparison.Ordinal);
        Assert.True(start >= 0);
        int length = attribute.Contains(']', StringComparison.Ordinal) ? attribute.IndexOf(']', StringComparison.Ordinal) : attribute.Length;
        Assert.Equal(start, diagnostic.Location.SourceSpan.Start);
        Assert.Equal(length, diagnostic.Location.SourceSpan.Length);
        Assert.Equal("Source0.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Empty(outcome.Result.GeneratedTrees);
    }

    [Theory]
    [InlineData("[RnnModel(InputSize = 3)]\n[SimpleRnn(\"eight\")]\npublic partial class M;")]
    [InlineData("[RnnModel(InputSize = 3)]\n[SimpleRnn]\npublic partial class M;")]
    [InlineData("[RnnModel(InputSize = \"x\")]\n[SimpleRnn(8)]\npublic partial class M;")]
    [InlineData("[RnnModel(InputSize = 3)]\n[RnnModel(InputSize = 3)]\n[SimpleRnn(8)]\npublic partial class M;")]
    [InlineData("[RnnModel(InputSize = 3)]\n[SimpleRnn(8)]\npublic partial class M;\n[RnnModel(InputSize = 3)]\npublic partial class M;")]
    [InlineData("[RnnModel(InputSize = 3)]\n[SimpleRnn(8)]\npublic partial interface M;")]
    [InlineData("[RnnModel(InputSize = 3)]\n[SimpleRnn(8)]\npublic partial class")]
    public void Broken_code_never_makes_the_generator_throw(string declaration)
    {
        // The compiler reports these itself; the generator must neither throw nor add a second error source.
        GeneratorHarness.Outcome outcome = GeneratorHarness.Run("using NativeRnn;\n" + declaration);
        Assert.True(outcome.Result.GeneratedTrees.Length <= 1);
    }

    [Fact]
    public void Streaming_use_of_a_bidirectional_model_is_a_compile_error_NRNN0014_at_the_use()
    {
        const string source = """
            using NativeRnn;

            [RnnModel(InputSize = 2)]
            [Lstm(4, Bidirectional = true)]
            public partial class Bi;

            public static class User
            {
                public static void Use(Bi model, float[] x, float[] y)
                {
                    var state = new Bi.State();
                    model.Step(ref state, x, y);
                }
            }
            """;
        GeneratorHarness.Outcome outcome = GeneratorHarness.Run(source);
        Assert.Empty(outcome.GeneratorDiagnostics);
        var errors = outcome.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal("NRNN0014", e.Id));
        Assert.Contains(errors, e => e.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("bidirectional layer", StringComparison.Ordinal));
        int use = source.IndexOf("model.Step", StringComparison.Ordinal);
        Assert.Contains(errors, e => e.Location.SourceSpan.Start >= use && e.Location.SourceSpan.Start < use + 10);
        int state = source.IndexOf("Bi.State", StringComparison.Ordinal);
        Assert.Contains(errors, e => e.Location.SourceSpan.Start >= state - 4 && e.Location.SourceSpan.Start <= state + 3);
    }

    [Fact]
    public void Gated_token_and_bidirectional_models_compile_without_any_warning()
    {
        const string source = """
            using NativeRnn;

            /// <summary>Characters.</summary>
            [RnnModel]
            [Embedding(65, 16)]
            [Lstm(32)]
            [Gru(8, ResetAfter = false)]
            [Dense(65)]
            public partial class CharModel;

            /// <summary>Bidirectional, doubles.</summary>
            [RnnModel(InputSize = 4, ElementType = typeof(double))]
            [SimpleRnn(3, Bidirectional = true, Activation = Activation.Relu)]
            [Gru(5, Bidirectional = true)]
            [Lstm(2)]
            public partial struct Tagger;

            /// <summary>Explicit streaming.</summary>
            [RnnModel(InputSize = 1, Streaming = true)]
            [Gru(6)]
            [Dense(1)]
            public partial class Sensor;
            """;
        GeneratorHarness.Outcome outcome = GeneratorHarness.Run(source);
        Assert.Empty(outcome.GeneratorDiagnostics);
        Assert.Empty(outcome.CompilationProblems);
    }

    [Fact]
    public void A_comment_only_edit_leaves_every_step_cached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Valid);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);

        SyntaxTree original = compilation.SyntaxTrees.Single();
        SyntaxTree edited = original.WithChangedText(original.GetText().Replace(0, 0, "// a comment that changes nothing\n"));
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(original, edited));

        GeneratorRunResult run = driver.GetRunResult().Results.Single();
        Assert.Contains(TrackingNames.Parse, run.TrackedSteps.Keys);
        Assert.Contains(TrackingNames.Models, run.TrackedSteps.Keys);
        foreach (string step in run.TrackedSteps.Keys.Where(k => k.StartsWith("NativeRnn.", StringComparison.Ordinal)))
        {
            Assert.All(
                run.TrackedSteps[step].SelectMany(s => s.Outputs),
                output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {output.Reason}"));
        }

        Assert.All(
            run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void Changing_a_size_reruns_emission()
    {
        CSharpCompilation compilation = GeneratorHarness.Compile(Valid);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(compilation);
        SyntaxTree original = compilation.SyntaxTrees.Single();
        SyntaxTree edited = CSharpSyntaxTree.ParseText(Valid.Replace("[SimpleRnn(8)]", "[SimpleRnn(9)]", StringComparison.Ordinal), GeneratorHarness.ParseOptions, path: original.FilePath);
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(original, edited));
        GeneratorRunResult run = driver.GetRunResult().Results.Single();
        Assert.Contains(run.TrackedSteps[TrackingNames.Models].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("InputSize = 3", run.GeneratedSources.Single(s => s.HintName == "User.Models.Demo.g.cs").SourceText.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// The generated source of one model, compared with a golden file. Set NATIVERNN_UPDATE_GOLDEN=1 to
    /// rewrite the file after an intended change, then review the diff.
    /// </summary>
    [Fact]
    public void Generated_source_matches_the_golden_file()
    {
        GeneratorHarness.Outcome outcome = GeneratorHarness.Run(Valid);
        string actual = outcome.Result.Results.Single().GeneratedSources.Single(s => s.HintName == "User.Models.Demo.g.cs").SourceText.ToString();
        string path = Path.Combine(GoldenDirectory(), "User.Models.Demo.g.cs");
        if (Environment.GetEnvironmentVariable("NATIVERNN_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"No golden file at {path}; run with NATIVERNN_UPDATE_GOLDEN=1 to create it.");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual.ReplaceLineEndings("\n"));
    }

    private static string GoldenDirectory([System.Runtime.CompilerServices.CallerFilePath] string here = "")
        => Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(here))!, "Golden");
}
