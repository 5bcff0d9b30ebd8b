using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;

namespace NativeRnn.PackageTests;

/// <summary>Runs the dotnet CLI as a user would, in a clean environment, and keeps what it printed.</summary>
public static class DotNet
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>The host that runs these tests, so the children use the same SDK.</summary>
    public static string Host => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public sealed record Result(string Command, int ExitCode, string Output, TimeSpan Elapsed)
    {
        public override string ToString() => $"$ {Command}\n(exit {ExitCode}, {Elapsed.TotalSeconds:F1} s)\n{Output}";
    }

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/>.</summary>
    public static Result Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
        => Start(Host, workingDirectory, environment, arguments);

    /// <summary>Runs a program (a consumer's apphost or native binary).</summary>
    public static Result Start(string program, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // What the test host's own build left in the environment must not steer the user's builds.
        foreach (string name in info.Environment.Keys.Where(IsInheritedBuildVariable).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        info.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
        // No build server or compiler server outlives the test.
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        info.Environment["UseSharedCompilation"] = "false";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var output = new StringBuilder();
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Append(output, $"(killed after {Timeout.TotalMinutes} minutes)");
        }

        process.WaitForExit(); // drains the asynchronous readers
        string command = Path.GetFileName(program) + " " + string.Join(" ", arguments);
        lock (output)
        {
            return new Result(command, process.HasExited ? process.ExitCode : -1, output.ToString(), stopwatch.Elapsed);
        }
    }

    private static bool IsInheritedBuildVariable(string name)
        => name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
           || name.StartsWith("VSTEST_", StringComparison.OrdinalIgnoreCase);

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
