using System;
using System.IO;
using NativeRnn.Cli;
using Spectre.Console;

namespace NativeRnn.Cli.Tests;

/// <summary>Runs the program in this process, its console captured, in a folder of its own.</summary>
internal sealed class ProgramRun : IDisposable
{
    public ProgramRun()
    {
        Folder = Directory.CreateTempSubdirectory("nativernn-cli-").FullName;
    }

    public string Folder { get; }

    public string PathOf(string name) => Path.Combine(Folder, name);

    /// <summary>Runs the program with <paramref name="args"/>; relative paths resolve in the process's folder, so tests pass paths in <see cref="Folder"/>.</summary>
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 200;
        var errors = new StringWriter();
        int code = NativeRnnProgram.Run(args, console, errors);
        return (code, writer.ToString() + errors.ToString());
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
