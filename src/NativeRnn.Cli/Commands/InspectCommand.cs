using System;
using System.CommandLine;
using System.IO;
using System.Linq;
using NativeRnn.Cli.Models;
using NativeRnn.Serialization;
using Spectre.Console;

namespace NativeRnn.Cli.Commands;

/// <summary><c>nativernn inspect</c>: what a weight file or checkpoint holds, and whether it fits a declared model.</summary>
internal static class InspectCommand
{
    public static Command Create(Output output)
    {
        var file = new Argument<FileInfo>("file") { Description = "A .safetensors weight file or a NativeRnn checkpoint." };
        var model = new Option<string?>("--model") { Description = $"Check the file against this declared model: {string.Join(", ", TextModels.Names())}. Without it, the model the file names, if any." };
        var command = new Command("inspect", "Show what a weight file or checkpoint holds and whether it fits a declared model.") { file, model };
        command.SetAction(parsed => Run(output, parsed.GetValue(file)!, parsed.GetValue(model)));
        return command;
    }

    private static int Run(Output output, FileInfo file, string? modelName)
    {
        if (!file.Exists)
        {
            throw new FileNotFoundException($"There is no file '{file.FullName}'.");
        }

        using SafeTensorsReader reader = SafeTensorsReader.Open(file.FullName);
        bool checkpoint = reader.Metadata.ContainsKey(Checkpoint.FormatKey);
        output.Heading($"{file.Name}: {(checkpoint ? "a NativeRnn checkpoint" : "a safetensors file")}, {file.Length:N0} bytes, {reader.Tensors.Count} tensors");
        Table tensors = Output.Table("tensor", "type", "shape", "bytes");
        foreach (SafeTensorEntry tensor in reader.Tensors.Take(40))
        {
            tensors.AddRow(Spectre.Console.Markup.Escape(Shown(tensor.Name)), tensor.Type.ToString(), Markup.Escape("[" + string.Join(", ", tensor.Shape.ToArray()) + "]"), tensor.ByteLength.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        }

        if (reader.Tensors.Count > 40)
        {
            tensors.AddRow($"… {reader.Tensors.Count - 40} more", string.Empty, string.Empty, string.Empty);
        }

        output.Write(tensors);
        if (reader.Metadata.Count > 0)
        {
            Table metadata = Output.Table("metadata", "value");
            foreach ((string key, string value) in reader.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                metadata.AddRow(Spectre.Console.Markup.Escape(Shown(key)), Spectre.Console.Markup.Escape(Shown(value, 80)));
            }

            output.Write(metadata);
        }

        modelName ??= reader.Metadata.TryGetValue("nativernn.model", out string? named) ? named : null;
        if (modelName is null)
        {
            output.Line("The file names no model of this program; give --model to check it against one.");
            return 0;
        }

        if (checkpoint)
        {
            output.Line("A checkpoint is checked when a run resumes from it (its architecture signature and checksum).");
            return 0;
        }

        // Loading validates the whole file before writing a parameter: a fresh model is enough to check the fit.
        ITokenStreamingModel<float> model = TextModels.FromName(modelName);
        reader.Dispose();
        model.LoadSafeTensors(file.FullName);
        output.Line($"It fits {modelName} ({model.Description}, {model.Parameters.Length:N0} parameters): every tensor present, every shape, type and value right.");
        return 0;
    }

    /// <summary>A name or value from a file as it may be shown: control characters escaped, at most <paramref name="max"/> characters.</summary>
    private static string Shown(string text, int max = 60)
    {
        var shown = new System.Text.StringBuilder();
        foreach (char c in text)
        {
            if (shown.Length >= max)
            {
                return shown.Append('…').ToString();
            }

            shown.Append(char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString());
        }

        return shown.ToString();
    }
}
