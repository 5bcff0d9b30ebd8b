using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using Xunit;

namespace NativeRnn.Cli.Tests;

/// <summary>The program's tasks, run as a user runs them (with short budgets): their tables, files and charts.</summary>
public class CommandTests
{
    /// <summary>The series of an SVG chart the program wrote: name and points, read back as XML.</summary>
    private static (string Name, (double X, double Y)[] Points)[] Series(string path)
    {
        XDocument svg = XDocument.Load(path);
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", svg.Root!.Name);
        return svg.Descendants(ns + "g")
            .Where(g => (string?)g.Attribute("class") == "series")
            .Select(g => ((string)g.Attribute("data-name")!, ((string)g.Attribute("data-points")!)
                .Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split(','))
                .Select(p => (double.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture)))
                .ToArray()))
            .ToArray();
    }

    [Fact]
    public void Adding_compares_three_cells_with_the_mean_and_charts_their_losses()
    {
        using var run = new ProgramRun();
        (int code, string output) = ProgramRun.Run("adding", "--length", "12", "--steps", "60", "--chart", run.PathOf("adding.svg"));
        Assert.Equal(0, code);
        foreach (string model in new[] { "tanh RNN (64)", "LSTM (64)", "GRU (64)" })
        {
            Assert.Contains(model, output, StringComparison.Ordinal);
        }

        var series = Series(run.PathOf("adding.svg"));
        Assert.Equal(["tanh RNN (64)", "LSTM (64)", "GRU (64)", "predict the mean"], series.Select(s => s.Name));
        Assert.All(series.Take(3), s => Assert.True(s.Points.Length > 10 && s.Points.All(p => p.Y >= 0 && double.IsFinite(p.Y))));
        Assert.All(series[3].Points, p => Assert.Equal(1.0 / 6, p.Y, 12));
    }

    [Fact]
    public void Gradient_flow_charts_a_norm_per_step_for_each_cell_on_a_log_axis()
    {
        using var run = new ProgramRun();
        (int code, string output) = ProgramRun.Run("gradflow", "--length", "20", "--train", "0", "--chart", run.PathOf("flow.svg"));
        Assert.Equal(0, code);
        Assert.Contains("first / last", output, StringComparison.Ordinal);
        var series = Series(run.PathOf("flow.svg"));
        Assert.Equal(["tanh RNN", "LSTM", "GRU"], series.Select(s => s.Name));
        Assert.All(series, s =>
        {
            Assert.Equal(Enumerable.Range(0, 20).Select(k => (double)k), s.Points.Select(p => p.X));
            Assert.All(s.Points, p => Assert.True(p.Y > 0));
        });
    }

    [Fact]
    public void Forecast_reports_its_baselines_and_charts_truth_and_forecasts()
    {
        using var run = new ProgramRun();
        (int code, string output) = ProgramRun.Run("forecast", "--series", "seasonal", "--steps", "40", "--chart", run.PathOf("forecast.svg"));
        Assert.Equal(0, code);
        Assert.Contains("persistence", output, StringComparison.Ordinal);
        var series = Series(run.PathOf("forecast.svg"));
        Assert.Equal(["truth", "one step ahead", "free-running (60 steps)"], series.Select(s => s.Name));
        Assert.Equal(300, series[0].Points.Length);
        Assert.Equal(60, series[2].Points.Length);
    }

    [Fact]
    public void Generated_text_keeps_line_breaks_and_tabs_and_replaces_other_control_characters()
    {
        Assert.Equal("a\uFFFDb\uFFFD[31m\r\n\tc é", NativeRnn.Cli.Output.Printable("a\0b\u001b[31m\r\n\tc é"));
    }

    [Fact]
    public void A_byte_model_trained_on_control_characters_writes_none_of_them()
    {
        using var run = new ProgramRun();
        File.WriteAllText(run.PathOf("control.txt"), string.Concat(Enumerable.Repeat("ab\0\u001b[31mcd\u0007 ", 400)));
        string model = run.PathOf("control.safetensors");
        (int code, string output) = ProgramRun.Run("text", "--file", run.PathOf("control.txt"), "--size", "small", "--steps", "30", "--batch", "8", "--chunk", "32", "--threads", "1",
            "-o", model, "--chart", run.PathOf("loss.svg"), "--sample", "200");
        Assert.True(code == 0, output);
        (int generated, string text) = ProgramRun.Run("generate", "--model", model, "--prompt", "ab", "--length", "200", "--seed", "3");
        Assert.True(generated == 0, text);
        foreach (string written in new[] { output, text })
        {
            Assert.DoesNotContain(written, c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'));
            Assert.Contains('\uFFFD', written); // the model did draw control characters, and they were replaced
        }
    }

    [Fact]
    public void Text_trains_saves_a_model_that_generate_and_inspect_read_back()
    {
        using var run = new ProgramRun();
        File.WriteAllText(run.PathOf("story.txt"), string.Concat(Enumerable.Repeat("the quick brown fox jumps over the lazy dog. ", 300)));
        string model = run.PathOf("fox.safetensors");
        (int code, string output) = ProgramRun.Run("text", "--file", run.PathOf("story.txt"), "--size", "small", "--steps", "40", "--batch", "8", "--chunk", "32", "--threads", "1",
            "-o", model, "--chart", run.PathOf("loss.svg"), "--sample", "40", "--checkpoint", run.PathOf("fox.ckpt"));
        Assert.True(code == 0, output);
        Assert.Contains("bits per byte", output, StringComparison.Ordinal);
        Assert.True(File.Exists(model));
        Assert.Equal(["training", "validation"], Series(run.PathOf("loss.svg")).Select(s => s.Name));

        // Generation from the saved model is reproducible for a seed.
        (int first, string a) = ProgramRun.Run("generate", "--model", model, "--prompt", "the ", "--length", "60", "--seed", "3");
        (int second, string b) = ProgramRun.Run("generate", "--model", model, "--prompt", "the ", "--length", "60", "--seed", "3");
        Assert.True(first == 0, a);
        Assert.True(second == 0, b);
        Assert.StartsWith("the ", a, StringComparison.Ordinal);
        Assert.Equal(a, b);

        (int inspected, string inspection) = ProgramRun.Run("inspect", model);
        Assert.True(inspected == 0, inspection);
        Assert.Contains("It fits text-lstm-small", inspection, StringComparison.Ordinal);
        Assert.Contains("weight_hh_l0", inspection, StringComparison.Ordinal);
        (int checkpointCode, string checkpoint) = ProgramRun.Run("inspect", run.PathOf("fox.ckpt"));
        Assert.True(checkpointCode == 0, checkpoint);
        Assert.Contains("a NativeRnn checkpoint", checkpoint, StringComparison.Ordinal);

        // Resuming continues the same run to more steps.
        (int resumed, string resumedOutput) = ProgramRun.Run("text", "--file", run.PathOf("story.txt"), "--size", "small", "--steps", "50", "--batch", "8", "--chunk", "32", "--threads", "1",
            "-o", model, "--chart", run.PathOf("loss2.svg"), "--sample", "10", "--resume", run.PathOf("fox.ckpt"));
        Assert.True(resumed == 0, resumedOutput);
        Assert.Contains("Resumed from", resumedOutput, StringComparison.Ordinal);
        Assert.Contains("at step 40", resumedOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Translate_writes_numbers_as_words_and_reports_accuracy_on_unseen_ones()
    {
        using var run = new ProgramRun();
        (int code, string output) = ProgramRun.Run("translate", "--steps", "30", "--below", "1000");
        Assert.Equal(0, code);
        Assert.Contains("Exact match on 500 numbers it never saw", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("generate --model missing.safetensors", 1, "There is no model")]
    [InlineData("text --cell transformer", 2, "transformer")]
    [InlineData("adding --steps 0", 2, "--steps must be at least 1")]
    [InlineData("inspect not-a-file.bin", 1, "There is no file")]
    [InlineData("no-such-task", 2, "no-such-task")]
    public void Errors_are_one_line_and_a_non_zero_exit_code(string commandLine, int exitCode, string message)
    {
        using var run = new ProgramRun();
        (int code, string output) = ProgramRun.Run(commandLine.Split(' '));
        Assert.Equal(exitCode, code);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("nativernn:", lines[0], StringComparison.Ordinal);
        Assert.Contains(message, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_model_file_is_one_line_too()
    {
        using var run = new ProgramRun();
        File.WriteAllBytes(run.PathOf("broken.safetensors"), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        (int code, string output) = ProgramRun.Run("generate", "--model", run.PathOf("broken.safetensors"));
        Assert.Equal(1, code);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
