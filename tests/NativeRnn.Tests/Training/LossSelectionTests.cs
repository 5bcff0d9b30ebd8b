using System;
using System.Linq;
using NativeRnn.Tests.Helpers;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests.Training;

/// <summary>Losses over chosen steps and masks are the mean over the counted positions, with zero gradient elsewhere.</summary>
public class LossSelectionTests
{
    private const int Steps = 4, Batch = 3, Classes = 5, Rows = Steps * Batch;

    /// <summary>The plain reference: cross-entropy of one row, and its gradient before the 1/N factor.</summary>
    private static (double Loss, double[] Gradient) Row(double[] logits, int target)
    {
        double max = logits.Max();
        double sum = logits.Sum(z => Math.Exp(z - max));
        double[] gradient = logits.Select(z => Math.Exp(z - max) / sum).ToArray();
        gradient[target] -= 1;
        return (Math.Log(sum) + max - logits[target], gradient);
    }

    private static void Matches(LossSteps steps, bool[]? mask)
    {
        double[] logits = ModelTools.Uniform(3, 1, Rows * Classes, 4);
        int[] targets = Enumerable.Range(0, Rows).Select(i => (i * 7) % Classes).ToArray();
        double[] gradient = new double[logits.Length];
        double loss = Losses.SoftmaxCrossEntropy<double>(logits, targets, gradient, Steps, steps, mask);

        var counted = Enumerable.Range(0, Rows).Where(r => steps.Includes(r / Batch, Steps) && (mask is null || mask[r])).ToArray();
        double expected = counted.Sum(r => Row(logits[(r * Classes)..((r + 1) * Classes)], targets[r]).Loss) / counted.Length;
        Assert.Equal(expected, loss, 1e-13);
        for (int r = 0; r < Rows; r++)
        {
            double[] g = counted.Contains(r) ? Row(logits[(r * Classes)..((r + 1) * Classes)], targets[r]).Gradient : new double[Classes];
            for (int j = 0; j < Classes; j++)
            {
                Assert.Equal(g[j] / (counted.Contains(r) ? counted.Length : 1), gradient[(r * Classes) + j], 1e-15);
            }
        }
    }

    [Fact]
    public void Cross_entropy_counts_every_step_the_last_step_steps_after_a_lag_or_a_mask()
    {
        Matches(LossSteps.All, null);
        Matches(LossSteps.Last, null);
        Matches(LossSteps.From(2), null);
        bool[] mask = Enumerable.Range(0, Rows).Select(r => r % 4 != 1).ToArray();
        Matches(LossSteps.All, mask);
        Matches(LossSteps.From(1), mask);
    }

    [Fact]
    public void Uncounted_targets_are_not_checked_but_counted_ones_are()
    {
        double[] logits = new double[Rows * Classes];
        int[] targets = new int[Rows];
        targets[0] = -100; // padding, as PyTorch's ignore_index: not counted by the last-step selection
        double[] gradient = new double[logits.Length];
        Losses.SoftmaxCrossEntropy<double>(logits, targets, gradient, Steps, LossSteps.Last);
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.SoftmaxCrossEntropy<double>(logits, targets, gradient, Steps, LossSteps.All));
        Assert.Throws<ArgumentException>(() => Losses.SoftmaxCrossEntropy<double>(logits, targets, gradient, Steps, LossSteps.From(Steps)));
    }

    [Fact]
    public void Mean_squared_error_averages_over_the_elements_of_counted_positions()
    {
        const int width = 2;
        double[] predictions = ModelTools.Uniform(4, 1, Rows * width);
        double[] targets = ModelTools.Uniform(4, 2, Rows * width);
        double[] gradient = new double[predictions.Length];
        double loss = Losses.MeanSquaredError<double>(predictions, targets, gradient, Steps, LossSteps.Last, width);
        int[] counted = Enumerable.Range((Steps - 1) * Batch, Batch).ToArray();
        double expected = counted.SelectMany(r => Enumerable.Range(0, width).Select(j => Math.Pow(predictions[(r * width) + j] - targets[(r * width) + j], 2))).Sum() / (counted.Length * width);
        Assert.Equal(expected, loss, 1e-15);
        for (int i = 0; i < predictions.Length; i++)
        {
            double g = counted.Contains(i / width) ? 2 * (predictions[i] - targets[i]) / (counted.Length * width) : 0;
            Assert.Equal(g, gradient[i], 1e-15);
        }
    }

    [Fact]
    public void Mean_squared_error_of_huge_finite_floats_is_refused_not_infinite()
    {
        float[] predictions = [3e38f, 1];
        float[] targets = [-3e38f, 1];
        float[] gradient = [7, 7];
        ArgumentException e = Assert.Throws<ArgumentException>(() => Losses.MeanSquaredError<float>(predictions, targets, gradient));
        Assert.Contains("overflows Single", e.Message, StringComparison.Ordinal);

        // In double the same values are an ordinary loss, computed without overflow.
        double[] gradient64 = new double[2];
        Assert.Equal(Math.Pow(6e38, 2) / 2, Losses.MeanSquaredError<double>([3e38, 1], [-3e38, 1], gradient64), 1e62);
    }
}
