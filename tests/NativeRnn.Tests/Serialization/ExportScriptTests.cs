using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using NativeRnn.Serialization;
using NativeRnn.Tests.Helpers;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests.Serialization;

[RnnModel][Embedding(13, 6)][Lstm(9)][Lstm(9)][Dense(13)] public partial class ExportDemoLstm;
[RnnModel][Embedding(13, 6)][Gru(9, Bidirectional = true)][Dense(13)] public partial class ExportDemoGru;
[RnnModel][Embedding(13, 6)][SimpleRnn(9, Activation = Activation.Relu)][SimpleRnn(9, Activation = Activation.Relu)][Dense(13)] public partial class ExportDemoRnn;
[RnnModel][Embedding(13, 6)][Lstm(9, Bias = false)][Dense(13)] public partial class ExportDemoLstmNoBias;

/// <summary>
/// tools/export_pytorch.py end to end: the file it writes loads with the options it prints into a model of
/// the declaration it prints, which reproduces PyTorch's output; and what NativeRnn saves with the same
/// options loads back into the PyTorch module, strictly, and reproduces it too. Where Python and PyTorch are
/// installed the script runs afresh; elsewhere the test reads the files it wrote, kept in tests/fixtures/export.
/// </summary>
public class ExportScriptTests(ITestOutputHelper output)
{
    private static readonly Lazy<string?> Python = new(FindPython);

    private static string KeptDirectory => Path.Combine(AppContext.BaseDirectory, "fixtures", "export");

    public static IEnumerable<object[]> Demos() => [["lstm"], ["gru"], ["rnn"], ["lstm-nobias"]];

    [Theory]
    [MemberData(nameof(Demos))]
    public void The_exported_model_loads_as_printed_and_reproduces_pytorch(string kind)
    {
        ITokenSequenceModel<float> model = kind switch
        {
            "lstm" => new ExportDemoLstm(),
            "gru" => new ExportDemoGru(),
            "lstm-nobias" => new ExportDemoLstmNoBias(),
            _ => new ExportDemoRnn(),
        };

        string directory = Demo(kind, out string printed);
        string file = Path.Combine(directory, $"demo_{kind}.safetensors");
        SafeTensorsFile reference = SafeTensorsFile.Read(Path.Combine(directory, $"demo_{kind}.reference.safetensors"));

        // The printed declaration is this model's, and the printed call reads the file.
        Assert.Equal(Declaration(model, "Demo"), DeclarationIn(printed));
        SafeTensorsOptions options = OptionsIn(printed);
        model.LoadSafeTensors(file, options);

        int[] tokens = Array.ConvertAll(Int64s(reference["input"]), t => (int)t);
        int steps = reference["input"].Shape[0], batch = reference["input"].Shape[1];
        float[] outputs = new float[steps * batch * 13];
        model.Forward(model.CreateTape(steps, batch), tokens, outputs);
        TensorCheck.Worst worst = TensorCheck.MaxAbsolute(reference["output"].ToArray<double>(), outputs);
        output.WriteLine($"{kind}: worst absolute error against PyTorch {worst.Error:E2}");
        Assert.True(worst.Error <= 1e-5, $"{kind}: {worst}.");

        // Back: NativeRnn writes the same tensors under the same names, which PyTorch loads strictly.
        string saved = Path.Combine(Path.GetTempPath(), $"nativernn-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.SaveSafeTensors(saved, options);
            SafeTensorsFile original = SafeTensorsFile.Read(file), written = SafeTensorsFile.Read(saved);
            Assert.Equal(original.Tensors.Keys.Order(StringComparer.Ordinal), written.Tensors.Keys.Order(StringComparer.Ordinal));
            foreach (SafeTensor tensor in original.Tensors.Values)
            {
                Assert.True(tensor.Data.Span.SequenceEqual(written[tensor.Name].Data.Span), $"{tensor.Name} differs.");
            }

            if (Python.Value is { } python)
            {
                (int code, string text) = Run(python, ["--verify", kind, saved, "--reference", Path.Combine(directory, $"demo_{kind}.reference.safetensors")], directory);
                output.WriteLine($"PyTorch on the file NativeRnn saved: {text.Trim()}");
                Assert.True(code == 0, text);
            }
        }
        finally
        {
            File.Delete(saved);
        }
    }

    [Fact]
    public void A_bias_free_pytorch_layer_is_declared_with_bias_false_and_its_file_has_no_biases()
    {
        string directory = Demo("lstm-nobias", out string printed);
        Assert.Contains("[Lstm(9, Bias = false)]", DeclarationIn(printed), StringComparison.Ordinal);
        using SafeTensorsReader reader = SafeTensorsReader.Open(Path.Combine(directory, "demo_lstm-nobias.safetensors"));
        Assert.DoesNotContain(reader.Tensors, t => t.Name.Contains("bias_", StringComparison.Ordinal));
        Assert.DoesNotContain(ExportDemoLstmNoBias.Layout, t => t.Name.StartsWith("bias_", StringComparison.Ordinal));
    }

    /// <summary>The demo's files and what the script printed: written now when PyTorch is at hand, else the kept ones.</summary>
    private string Demo(string kind, out string printed)
    {
        string kept = File.ReadAllText(Path.Combine(KeptDirectory, $"demo_{kind}.txt"));
        if (Python.Value is not { } python || Script() is not { } script)
        {
            output.WriteLine("PyTorch is not installed here: the files the script wrote, kept in tests/fixtures/export, are checked instead.");
            printed = kept;
            return KeptDirectory;
        }

        string directory = Path.Combine(Path.GetTempPath(), $"nativernn-export-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        (int code, printed) = Run(python, ["--demo", kind, $"demo_{kind}.safetensors", "--reference", $"demo_{kind}.reference.safetensors", "--name", "Demo"], directory, script);
        Assert.True(code == 0, printed);

        // The kept files are the script's current output (the weights may differ between PyTorch versions; the text may not).
        Assert.Equal(kept.ReplaceLineEndings(), printed.ReplaceLineEndings());
        return directory;
    }

    private static (int Code, string Output) Run(string python, string[] arguments, string directory, string? script = null)
    {
        var info = new ProcessStartInfo(python) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script ?? Script()!);
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, text + errors.Result);
    }

    /// <summary>tools/export_pytorch.py of this checkout, found above the test's output folder.</summary>
    private static string? Script()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "tools", "export_pytorch.py");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>A Python that imports torch: $NATIVERNN_PYTHON, else python3 on the path, else the system's.</summary>
    private static string? FindPython()
    {
        string?[] candidates = [Environment.GetEnvironmentVariable("NATIVERNN_PYTHON"), "python3", "/usr/bin/python3", "python"];
        foreach (string? candidate in candidates.Where(c => !string.IsNullOrEmpty(c)).Distinct())
        {
            try
            {
                var info = new ProcessStartInfo(candidate!, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
                using Process process = Process.Start(info)!;
                if (process.WaitForExit(120_000) && process.ExitCode == 0)
                {
                    return candidate;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed.
            }
        }

        return null;
    }

    /// <summary>The declaration that gives this model, written from its description: what the script must print.</summary>
    private static string Declaration<T>(IRecurrentModel<T> model, string name)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        ModelDescription d = model.Description;
        var text = new StringBuilder();
        string element = d.ElementType == typeof(double) ? "ElementType = typeof(double)" : "";
        text.AppendLine(d.HasEmbedding ? (element.Length > 0 ? $"[RnnModel({element})]" : "[RnnModel]") : $"[RnnModel(InputSize = {d.InputSize}{(element.Length > 0 ? ", " + element : "")})]");
        if (d.HasEmbedding)
        {
            text.AppendLine($"[Embedding({d.Vocabulary}, {d.EmbeddingDimension})]");
        }

        for (int k = 0; k < d.Layers.Count; k++)
        {
            LayerDescription layer = d.Layers[k];
            var options = new List<string>();
            if (layer.Kind == LayerKind.SimpleRnn && layer.Activation != Activation.Tanh)
            {
                options.Add($"Activation = Activation.{layer.Activation}");
            }

            if (layer.Bidirectional)
            {
                options.Add("Bidirectional = true");
            }

            if (!model.Layout.TryGetTensor($"bias_ih_l{k}", out _))
            {
                options.Add("Bias = false");
            }

            text.AppendLine($"[{layer.Kind}({layer.Hidden}{string.Concat(options.Select(o => ", " + o))})]");
        }

        if (d.HasHead)
        {
            text.AppendLine($"[Dense({d.HeadOutputs})]");
        }

        return text.Append($"public partial class {name};").ToString();
    }

    private static string DeclarationIn(string printed)
    {
        string[] lines = printed.ReplaceLineEndings("\n").Split('\n');
        return string.Join("\n", lines.SkipWhile(l => !l.StartsWith('[')).TakeWhile(l => l.Length > 0)).ReplaceLineEndings();
    }

    /// <summary>The options of the printed LoadSafeTensors call.</summary>
    private static SafeTensorsOptions OptionsIn(string printed)
    {
        var options = new SafeTensorsOptions();
        Match prefix = Regex.Match(printed, "Prefix = \"([^\"]*)\"");
        if (prefix.Success)
        {
            options.Prefix = prefix.Groups[1].Value;
        }

        foreach (Match entry in Regex.Matches(printed, "\\[\"([^\"]+)\"\\] = \"([^\"]+)\""))
        {
            options.NameMap[entry.Groups[1].Value] = entry.Groups[2].Value;
        }

        return options;
    }

    private static long[] Int64s(SafeTensor tensor)
    {
        Assert.Equal(SafeTensorType.I64, tensor.Type);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(tensor.Data.Span).ToArray();
    }
}
