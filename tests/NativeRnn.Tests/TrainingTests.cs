using System;
using NativeRnn.Training;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests;

[RnnModel(InputSize = 1)]
[SimpleRnn(24)]
[Dense(1)]
public partial class SineForecaster;

[RnnModel(InputSize = 2)]
[SimpleRnn(16)]
[SimpleRnn(16)]
[Dense(1)]
public partial class DelayedCopy;

/// <summary>Small deterministic training runs: the loss must fall at least tenfold, and repeat bit for bit.</summary>
public class TrainingTests(ITestOutputHelper output)
{
    /// <summary>Predicts the next value of sine waves of random phase and frequency from the values so far.</summary>
    internal static (double First, double Last, float[] Parameters) TrainSine(ulong seed, int iterations)
    {
        const int steps = 32, batch = 16;
        var model = new SineForecaster(seed);
        var tape = new SineForecaster.Tape(steps, batch);
        var sgd = new Sgd<float>(SineForecaster.ParameterCount, 0.1);
        float[] inputs = new float[steps * batch];
        float[] targets = new float[steps * batch];
        float[] predictions = new float[steps * batch];
        float[] dPredictions = new float[steps * batch];
        float[] gradients = new float[SineForecaster.ParameterCount];
        var random = new Initialization.DeterministicRandom(seed, 99);
        double first = 0, last = 0;
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            for (int b = 0; b < batch; b++)
            {
                double phase = random.NextUniform(0, 2 * Math.PI), frequency = random.NextUniform(0.15, 0.35);
                for (int t = 0; t < steps; t++)
                {
                    inputs[(t * batch) + b] = (float)Math.Sin(phase + (frequency * t));
                    targets[(t * batch) + b] = (float)Math.Sin(phase + (frequency * (t + 1)));
                }
            }

            model.Forward(tape, inputs, predictions);
            double loss = Losses.MeanSquaredError<float>(predictions, targets, dPredictions);
            Array.Clear(gradients);
            model.Backward(tape, dPredictions, gradients);
            GradientClipping.ClipByGlobalNorm<float>(gradients, 1.0);
            sgd.Step(model.Parameters, gradients);
            if (iteration < 10)
            {
                first += loss / 10;
            }

            if (iteration >= iterations - 10)
            {
                last += loss / 10;
            }
        }

        return (first, last, model.Parameters.ToArray());
    }

    [Fact]
    public void Sine_forecaster_loss_falls_tenfold_and_repeats_bit_for_bit()
    {
        (double first, double last, float[] parameters) = TrainSine(seed: 7, iterations: 400);
        output.WriteLine($"mean squared error: first 10 iterations {first:F5}, last 10 {last:F6} ({first / last:F0}× lower)");
        Assert.True(last * 10 <= first, $"The loss fell only from {first} to {last}.");

        (double first2, double last2, float[] parameters2) = TrainSine(seed: 7, iterations: 400);
        Assert.Equal(first, first2);
        Assert.Equal(last, last2);
        Assert.Equal(parameters, parameters2);
    }

    [Fact]
    public void Stacked_model_learns_a_delayed_copy_with_truncated_bptt()
    {
        // Input channel 0 is a random ±1 stream; the target is that stream 3 steps earlier.
        // Chunks of 12 steps carry their state forward, so the delay crosses chunk edges.
        const int steps = 12, batch = 8, delay = 3;
        var model = new DelayedCopy(3);
        var tape = new DelayedCopy.Tape(steps, batch);
        var sgd = new Sgd<float>(DelayedCopy.ParameterCount, 0.05);
        var random = new Initialization.DeterministicRandom(3, 5);
        float[] inputs = new float[steps * batch * 2];
        float[] targets = new float[steps * batch];
        float[] outputs = new float[steps * batch];
        float[] dOutputs = new float[steps * batch];
        float[] gradients = new float[DelayedCopy.ParameterCount];
        float[][] history = new float[batch][];
        for (int b = 0; b < batch; b++)
        {
            history[b] = new float[delay];
        }

        double first = 0, last = 0;
        const int iterations = 1500;
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            for (int t = 0; t < steps; t++)
            {
                for (int b = 0; b < batch; b++)
                {
                    float bit = random.NextDouble() < 0.5 ? -1f : 1f;
                    inputs[(((t * batch) + b) * 2) + 0] = bit;
                    inputs[(((t * batch) + b) * 2) + 1] = 1f;
                    targets[(t * batch) + b] = history[b][0];
                    Array.Copy(history[b], 1, history[b], 0, delay - 1);
                    history[b][delay - 1] = bit;
                }
            }

            tape.CarryState();
            model.Forward(tape, inputs, outputs);
            double loss = Losses.MeanSquaredError<float>(outputs, targets, dOutputs);
            Array.Clear(gradients);
            model.Backward(tape, dOutputs, gradients);
            GradientClipping.ClipByGlobalNorm<float>(gradients, 1.0);
            sgd.Step(model.Parameters, gradients);
            if (iteration < 20)
            {
                first += loss / 20;
            }

            if (iteration >= iterations - 20)
            {
                last += loss / 20;
            }
        }

        output.WriteLine($"mean squared error: first 20 iterations {first:F4}, last 20 {last:F5} ({first / last:F0}× lower)");
        Assert.True(last * 10 <= first, $"The loss fell only from {first} to {last}.");
    }
}
