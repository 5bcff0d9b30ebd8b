using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace NativeRnn.Generators.Benchmarks;

/// <summary>
/// The generator's time on a project that declares 50 models (every layer kind and option, sizes from 8
/// to 256, spread over 10 files), driven by <see cref="CSharpGeneratorDriver"/> as the compiler drives it:
/// a full run on a fresh compilation (what a build pays), and the incremental runs an IDE makes after an
/// edit that touches no model, and after an edit that resizes one model.
/// </summary>
[MemoryDiagnoser]
public class GeneratorTime
{
    public const int ModelCount = 50;

    private const int FileCount = 10;

    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private SyntaxTree[] _trees = [];
    private ImmutableArray<MetadataReference> _references;
    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _commentEdited = null!;
    private CSharpCompilation _modelEdited = null!;
    private GeneratorDriver _warm = null!;

    [GlobalSetup]
    public void Setup()
    {
        _trees = Enumerable.Range(0, FileCount).Select(f => CSharpSyntaxTree.ParseText(Source(f), ParseOptions, path: $"Models{f}.cs")).ToArray();
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        _references = platform.Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(RnnModelAttribute).Assembly.Location))
            .ToImmutableArray();
        _compilation = Compile(_trees);
        _commentEdited = _compilation.ReplaceSyntaxTree(_trees[3], _trees[3].WithChangedText(_trees[3].GetText().Replace(0, 0, "// an edit that changes no model\n")));
        SyntaxTree resized = CSharpSyntaxTree.ParseText(Source(3).Replace("[Lstm(8)]", "[Lstm(9)]", StringComparison.Ordinal), ParseOptions, path: _trees[3].FilePath);
        _modelEdited = _compilation.ReplaceSyntaxTree(_trees[3], resized);
        _warm = CreateDriver().RunGenerators(_compilation);

        GeneratorDriverRunResult result = _warm.GetRunResult();
        if (result.Diagnostics.Length > 0 || result.GeneratedTrees.Length != ModelCount || result.Results.Any(r => r.Exception is not null))
        {
            throw new InvalidOperationException($"The benchmark project does not generate cleanly: {result.GeneratedTrees.Length} files, {string.Join("; ", result.Diagnostics)}");
        }
    }

    /// <summary>Every model parsed and emitted, on a compilation that has bound nothing yet.</summary>
    [Benchmark(Baseline = true)]
    public GeneratorDriver FullRun() => CreateDriver().RunGenerators(Compile(_trees));

    /// <summary>An IDE keystroke outside every model: every step cached.</summary>
    [Benchmark]
    public GeneratorDriver AfterUnrelatedEdit() => _warm.RunGenerators(_commentEdited);

    /// <summary>One model's hidden size changed: that model is emitted again.</summary>
    [Benchmark]
    public GeneratorDriver AfterOneModelChanged() => _warm.RunGenerators(_modelEdited);

    /// <summary>The size of what the generator writes for the 50 models.</summary>
    public static long GeneratedCharacters()
    {
        var benchmark = new GeneratorTime();
        benchmark.Setup();
        return benchmark._warm.GetRunResult().GeneratedTrees.Sum(t => (long)t.Length);
    }

    private static CSharpGeneratorDriver CreateDriver()
        => CSharpGeneratorDriver.Create([new RnnModelGenerator().AsSourceGenerator()], parseOptions: ParseOptions);

    private CSharpCompilation Compile(SyntaxTree[] trees)
        => CSharpCompilation.Create("Project", trees, _references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>Five models per file, cycling through the kinds and options.</summary>
    private static string Source(int file)
    {
        var text = new StringBuilder("using NativeRnn;\n\nnamespace Project.Models").Append(file).Append("\n{\n");
        for (int i = 0; i < ModelCount / FileCount; i++)
        {
            int n = (file * (ModelCount / FileCount)) + i;
            int hidden = 8 << (n % 6); // 8 … 256
            string declaration = (n % 5) switch
            {
                0 => $"[RnnModel(InputSize = {1 + (n % 7)})]\n    [Lstm({hidden})]\n    [Dense(1)]",
                1 => $"[RnnModel]\n    [Embedding(65, 16)]\n    [Gru({hidden})]\n    [Dense(65)]",
                2 => $"[RnnModel(InputSize = 3, ElementType = typeof(double))]\n    [SimpleRnn({hidden}, Activation = Activation.Relu)]\n    [Lstm(8)]",
                3 => $"[RnnModel(InputSize = 4)]\n    [Gru({hidden}, Bidirectional = true)]\n    [Lstm(16, Bidirectional = true)]\n    [Dense(2)]",
                _ => $"[RnnModel(InputSize = 2)]\n    [Gru({hidden}, ResetAfter = false)]\n    [Gru({hidden})]\n    [Dense(3)]",
            };
            text.Append("    ").Append(declaration).Append("\n    public partial class Model").Append(n).Append(";\n\n");
        }

        return text.Append("}\n").ToString();
    }
}
