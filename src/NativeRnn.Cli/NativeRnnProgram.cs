using System;
using System.CommandLine;
using System.IO;
using NativeRnn.Cli.Commands;
using NativeRnn.Serialization;
using Spectre.Console;

namespace NativeRnn.Cli;

/// <summary>
/// <c>nativernn</c>: recurrent networks trained and run with NativeRnn on built-in tasks or a user's text. With no task it
/// trains the default character model on text it generates itself, saves it and writes a sample from it. Errors are one
/// line and a non-zero exit code, never a stack trace.
/// </summary>
internal static class NativeRnnProgram
{
    /// <summary>Exit code of a run that failed on its input (a file, an option's value).</summary>
    public const int Failed = 1;

    /// <summary>Exit code of a command line that does not parse.</summary>
    public const int Usage = 2;

    public static int Run(string[] args, IAnsiConsole console, TextWriter? errors = null)
    {
        errors ??= System.Console.Error;
        var output = new Output(console);
        RootCommand root = Build(output);
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // One line for the first error: the message and where to look, never a page of help.
            errors.WriteLine($"nativernn: {OneLine(parsed.Errors[0].Message)} (see 'nativernn --help')");
            return Usage;
        }

        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = new AnsiTextWriter(console), Error = new AnsiTextWriter(console) });
        }
        catch (Exception error) when (error is ArgumentException or IOException or UnauthorizedAccessException or InvalidOperationException or WeightFileException or InvalidDataException or NotSupportedException or OperationCanceledException)
        {
            errors.WriteLine($"nativernn: {OneLine(error.Message)}");
            return Failed;
        }
    }

    private static RootCommand Build(Output output)
    {
        var root = new RootCommand("nativernn: recurrent networks compiled to fixed-size, allocation-free .NET code, trained and run on built-in tasks or your text. Without a task: train the default character model on generated text, save it and write a sample.");
        TextCommand text = TextCommand.Create(output);
        root.Subcommands.Add(text.Command);
        root.Subcommands.Add(GenerateCommand.Create(output));
        root.Subcommands.Add(TranslateCommand.Create(output));
        root.Subcommands.Add(AddingCommand.Create(output));
        root.Subcommands.Add(ForecastCommand.Create(output));
        root.Subcommands.Add(GradientFlowCommand.Create(output));
        root.Subcommands.Add(InspectCommand.Create(output));
        root.Subcommands.Add(CheckCommand.Create(output));
        root.SetAction(_ => text.RunDefault());
        return root;
    }

    private static string OneLine(string message)
        => System.Text.RegularExpressions.Regex.Replace(message.ReplaceLineEndings(" "), @"\s+", " ").Trim();

    /// <summary>System.CommandLine's own output (help, version) through the same console.</summary>
    private sealed class AnsiTextWriter(IAnsiConsole console) : TextWriter
    {
        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value) => console.Write(value.ToString());

        public override void Write(string? value) => console.Write(new Spectre.Console.Text(value ?? string.Empty));

        public override void WriteLine(string? value) => console.WriteLine(value ?? string.Empty);
    }
}
