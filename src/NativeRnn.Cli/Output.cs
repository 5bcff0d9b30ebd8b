using System;
using System.Diagnostics;
using NativeRnn.Training;
using Spectre.Console;

namespace NativeRnn.Cli;

/// <summary>
/// Where a command writes: result tables and lines to the console, and a live progress display of training (step, loss,
/// gradient norm, speed, time left) when the console is a terminal; one line per tenth of the run when it is not (a log,
/// a pipe, a test).
/// </summary>
internal sealed class Output(IAnsiConsole console)
{
    public IAnsiConsole Console { get; } = console;

    public void Line(string text = "") => Console.WriteLine(text);

    /// <summary>
    /// Writes generated text as it is, except control characters other than line breaks and tabs, which become
    /// U+FFFD: a byte model can draw any byte, and a NUL or an escape sequence must not reach the terminal or a log.
    /// </summary>
    public void Generated(ReadOnlySpan<char> text) => Console.Write(new Spectre.Console.Text(Printable(text)));

    /// <summary><paramref name="text"/> with every control character but <c>\n</c>, <c>\r</c> and <c>\t</c> replaced by U+FFFD.</summary>
    public static string Printable(ReadOnlySpan<char> text)
    {
        var printable = new System.Text.StringBuilder(text.Length);
        foreach (char c in text)
        {
            printable.Append(char.IsControl(c) && c is not ('\n' or '\r' or '\t') ? '\uFFFD' : c);
        }

        return printable.ToString();
    }

    public void Heading(string text) => Console.Write(new Rule($"[bold]{Markup.Escape(text)}[/]").LeftJustified());

    public void Write(Table table) => Console.Write(table);

    /// <summary>A table with a header row.</summary>
    public static Table Table(params string[] columns)
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (string column in columns)
        {
            table.AddColumn(new TableColumn(Markup.Escape(column)));
        }

        return table;
    }

    /// <summary>
    /// Runs <paramref name="train"/> under a progress display. It gets a callback to report each step; the display shows
    /// step, loss, gradient norm, speed in <paramref name="unit"/> per second, and the time left. Returns what it returns.
    /// </summary>
    public TResult Train<TResult>(string what, long steps, string unit, Func<Action<TrainingReport>, TResult> train)
    {
        var clock = Stopwatch.StartNew();
        string Describe(in TrainingReport r, double rate)
            => $"{what}: step {r.Step}/{steps} · loss {r.Loss:F4} · ‖g‖ {r.GradientNorm:F2}{(r.Applied ? string.Empty : " · skipped")} · {rate:N0} {unit}/s";

        if (!Console.Profile.Capabilities.Interactive)
        {
            long every = Math.Max(1, steps / 10);
            double positions = 0;
            return train(report =>
            {
                positions += report.Positions;
                if (report.Step % every == 0 || report.Step == 1 || report.Step == steps)
                {
                    Console.WriteLine(Describe(report, positions / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
                }
            });
        }

        TResult result = default!;
        Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask(what, maxValue: steps);
                double positions = 0;
                result = train(report =>
                {
                    positions += report.Positions;
                    task.Value = report.Step;
                    if (report.Step % 10 == 0 || report.Step == steps)
                    {
                        task.Description = Markup.Escape(Describe(report, positions / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
                    }
                });
                task.Value = task.MaxValue;
            });
        return result;
    }
}
