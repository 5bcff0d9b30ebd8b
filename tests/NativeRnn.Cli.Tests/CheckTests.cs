using System;
using System.IO;
using System.Runtime.Intrinsics;
using System.Text.RegularExpressions;
using Xunit;

namespace NativeRnn.Cli.Tests;

/// <summary><c>nativernn check</c>: the vector path it reports is the one this process runs, and the fixtures pass.</summary>
public class CheckTests
{
    /// <summary>tests/fixtures/pytorch, found by walking up from the test's folder to the repository.</summary>
    private static string Fixtures()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            string candidate = Path.Combine(folder.FullName, "tests", "fixtures", "pytorch");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/fixtures/pytorch is not above the test's folder.");
    }

    [Fact]
    public void Check_reports_the_vector_path_and_matches_every_fixture()
    {
        (int code, string output) = ProgramRun.Run("check", "--fixtures", Fixtures());
        Assert.Equal(0, code);
        int bits = Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : Vector128.IsHardwareAccelerated ? 128 : 0;
        Assert.Contains(bits == 0 ? "Vector path: scalar" : $"Vector path: {bits}-bit", output, StringComparison.Ordinal);
        Assert.Contains(", JIT,", output, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"all 36 fixtures match PyTorch"), output);
        Assert.DoesNotContain("FAILED", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_fails_in_one_line_when_the_vector_width_is_not_the_expected_one()
    {
        (int code, string output) = ProgramRun.Run("check", "--expect-vector", "64");
        Assert.Equal(1, code);
        Assert.Contains("not the 64-bit one asked for", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_scores_its_prompt_without_sampling()
    {
        using var run = new ProgramRun();
        string model = run.PathOf("m.safetensors");
        (int code, _) = ProgramRun.Run("text", "--size", "small", "--steps", "3", "--batch", "4", "--chunk", "16", "--sample", "5", "-o", model, "--chart", run.PathOf("c.svg"));
        Assert.Equal(0, code);
        (int first, string a) = ProgramRun.Run("generate", "-m", model, "-p", "Once upon a time", "--length", "10", "--temperature", "0", "--score");
        (int second, string b) = ProgramRun.Run("generate", "-m", model, "-p", "Once upon a time", "--length", "10", "--seed", "7", "--score");
        Assert.Equal(0, first);
        Assert.Equal(0, second);
        Match score = Regex.Match(a, @"prompt cross-entropy: ([0-9.]+) nats per token, 15 tokens predicted");
        Assert.True(score.Success, a);
        double nats = double.Parse(score.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(nats, 0, 20);

        // The score does not depend on how the continuation is drawn.
        Assert.Contains(score.Value, b, StringComparison.Ordinal);
    }
}
