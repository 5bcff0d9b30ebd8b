using System;
using NativeRnn.Tests.Helpers;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests;

public class LossTests
{
    [Fact]
    public void Softmax_cross_entropy_matches_its_definition_and_its_gradient_matches_finite_differences()
    {
        const int rows = 5, classes = 7;
        double[] logits = ModelTools.Uniform(3, 0, rows * classes, 4);
        int[] targets = [0, 6, 3, 3, 1];
        double[] gradient = new double[logits.Length];
        double loss = Losses.SoftmaxCrossEntropy<double>(logits, targets, gradient);

        double expected = 0;
        for (int n = 0; n < rows; n++)
        {
            double sum = 0;
            for (int j = 0; j < classes; j++)
            {
                sum += Math.Exp(logits[(n * classes) + j]);
            }

            expected += Math.Log(sum) - logits[(n * classes) + targets[n]];
        }

        Assert.Equal(expected / rows, loss, 1e-13);

        const double h = 1e-6;
        double[] scratch = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            double saved = logits[i];
            logits[i] = saved + h;
            double plus = Losses.SoftmaxCrossEntropy<double>(logits, targets, scratch);
            logits[i] = saved - h;
            double minus = Losses.SoftmaxCrossEntropy<double>(logits, targets, scratch);
            logits[i] = saved;
            Assert.Equal((plus - minus) / (2 * h), gradient[i], 1e-8);
        }
    }

    [Fact]
    public void Softmax_cross_entropy_is_stable_for_huge_logits()
    {
        float[] logits = [1000f, 0f, -1000f, 80f, 90f, 100f];
        float[] gradient = new float[6];
        double loss = Losses.SoftmaxCrossEntropy<float>(logits, [1, 2], gradient);
        Assert.True(double.IsFinite(loss));
        Assert.Equal((1000 + (Math.Log(1 + Math.Exp(-10) + Math.Exp(-20)) + 0)) / 2, loss, 1e-4);
        Assert.All(gradient, g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void Softmax_cross_entropy_rejects_bad_targets_and_shapes()
    {
        float[] gradient = new float[6];
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => Losses.SoftmaxCrossEntropy<float>(new float[6], [0, 3], gradient));
        Assert.Contains("0 to 2", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.SoftmaxCrossEntropy<float>(new float[6], [-1, 0], gradient));
        Assert.Throws<ArgumentException>(() => Losses.SoftmaxCrossEntropy<float>(new float[7], [0, 0], gradient));
        Assert.Throws<ArgumentException>(() => Losses.SoftmaxCrossEntropy<float>([0, 0, float.NaN, 0, 0, 0], [0, 0], gradient));
    }

    [Fact]
    public void Mean_squared_error_matches_its_definition()
    {
        double[] predictions = [1, 2, 3, 4];
        double[] targets = [1.5, 2, 2, 8];
        double[] gradient = new double[4];
        double loss = Losses.MeanSquaredError<double>(predictions, targets, gradient);
        Assert.Equal((0.25 + 0 + 1 + 16) / 4, loss, 1e-15);
        Assert.Equal([2 * -0.5 / 4, 0, 2 * 1.0 / 4, 2 * -4.0 / 4], gradient);
        Assert.Throws<ArgumentException>(() => Losses.MeanSquaredError<double>(predictions, new double[3], gradient));
    }

    [Fact]
    public void Sgd_steps_against_the_gradient_and_refuses_an_update_that_overflows()
    {
        float[] parameters = [1, 2, 3];
        new Sgd<float>(3, 0.5).Step(parameters, [2, -2, 0]);
        Assert.Equal([0, 3, 3], parameters);

        float[] before = (float[])parameters.Clone();
        ArgumentException e = Assert.Throws<ArgumentException>(() => new Sgd<float>(3, 1e30).Step(parameters, [1e30f, 0, 0]));
        Assert.Contains("nothing was changed", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, parameters);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<float>(3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd<float>(3, double.NaN));
    }
}
