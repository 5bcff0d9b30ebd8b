using System;
using System.Diagnostics;
using System.IO;
using NativeRnn.Training;

namespace NativeRnn.Cli;

/// <summary>One-step-ahead forecasting of sine waves of random phase and frequency.</summary>
[RnnModel(InputSize = 1)]
[SimpleRnn(32)]
[Dense(1)]
internal sealed partial class SineForecaster;

/// <summary>Trains <see cref="SineForecaster"/> with BPTT, then lets it run free on its own predictions.</summary>
internal static class SineTask
{
    private const int Steps = 48, Batch = 32;

    public static int Run(int iterations, ulong seed, TextWriter output)
    {
        if (iterations < 1)
        {
            output.WriteLine("--iterations must be positive.");
            return 2;
        }

        var model = new SineForecaster(seed);
        var tape = new SineForecaster.Tape(Steps, Batch);
        var sgd = new Sgd<float>(SineForecaster.ParameterCount, 0.1);
        var random = new Initialization.DeterministicRandom(seed, 1);
        float[] inputs = new float[Steps * Batch], targets = new float[Steps * Batch];
        float[] predictions = new float[Steps * Batch], dPredictions = new float[Steps * Batch];
        float[] gradients = new float[SineForecaster.ParameterCount];

        output.WriteLine($"Task: forecast the next value of a sine wave. Model: {SineForecaster.Description}, {SineForecaster.ParameterCount} parameters.");
        output.WriteLine($"Training: {iterations} iterations of {Batch} sequences × {Steps} steps, mean squared error, clip ‖g‖ ≤ 1, SGD η = {sgd.LearningRate}.");
        output.WriteLine();
        output.WriteLine("iteration        loss     ‖g‖");
        var clock = Stopwatch.StartNew();
        int reportEvery = Math.Max(1, iterations / 10);
        for (int iteration = 1; iteration <= iterations; iteration++)
        {
            for (int b = 0; b < Batch; b++)
            {
                double phase = random.NextUniform(0, 2 * Math.PI), frequency = random.NextUniform(0.1, 0.4);
                for (int t = 0; t < Steps; t++)
                {
                    inputs[(t * Batch) + b] = (float)Math.Sin(phase + (frequency * t));
                    targets[(t * Batch) + b] = (float)Math.Sin(phase + (frequency * (t + 1)));
                }
            }

            model.Forward(tape, inputs, predictions);
            double loss = Losses.MeanSquaredError<float>(predictions, targets, dPredictions);
            Array.Clear(gradients);
            model.Backward(tape, dPredictions, gradients);
            ClipResult clip = GradientClipping.ClipByGlobalNorm<float>(gradients, 1.0);
            sgd.Step(model.Parameters, gradients);
            if (iteration % reportEvery == 0 || iteration == 1)
            {
                output.WriteLine($"{iteration,9} {loss,11:F6} {clip.Norm,7:F3}");
            }
        }

        double seconds = clock.Elapsed.TotalSeconds;
        output.WriteLine();
        output.WriteLine($"Trained in {seconds:F2} s ({seconds * 1000 / iterations:F2} ms per iteration of forward, BPTT, clipping and SGD).");

        // Warm up on 24 true values, then feed the model its own predictions.
        const double frequencyTest = 0.25;
        var state = new SineForecaster.State();
        float[] y = new float[1];
        for (int t = 0; t < 24; t++)
        {
            model.Step(ref state, [(float)Math.Sin(frequencyTest * t)], y);
        }

        output.WriteLine();
        output.WriteLine("Free-running forecast (the model reads its own output), frequency 0.25:");
        output.WriteLine("step   forecast      truth");
        double worst = 0;
        for (int t = 24; t < 36; t++)
        {
            float forecast = y[0];
            double truth = Math.Sin(frequencyTest * t);
            worst = Math.Max(worst, Math.Abs(forecast - truth));
            output.WriteLine($"{t,4} {forecast,10:F4} {truth,10:F4}");
            model.Step(ref state, [forecast], y);
        }

        output.WriteLine($"Largest forecast error over 12 free-running steps: {worst:F4}.");
        return 0;
    }
}
