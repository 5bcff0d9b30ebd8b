using System;
using System.IO;
using System.Linq;
using NativeRnn;
using NativeRnn.Serialization;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests.Docs.GettingStarted;

// The declaration and snippets of docs/getting-started.md, run in order by the test below.

[RnnModel(InputSize = 1)]   // one value per time step
[Gru(32)]                   // PyTorch's nn.GRU: gates r, z, n
[Dense(1)]                  // y_t = W h_t + b: the next value
public partial class Forecaster;

public sealed class GettingStartedSnippets : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("nativernn-docs-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Declare_train_save_load_and_stream_as_the_page_says()
    {
        string directory = _directory;

        // Train
        float[] series = new float[2000];
        for (int t = 0; t < series.Length; t++)
        {
            series[t] = MathF.Sin(t * 0.1f) + (0.5f * MathF.Sin(t * 0.37f));
        }

        (ReadOnlyMemory<float> past, ReadOnlyMemory<float> recent) = DataSplit.ByTime<float>(series, features: 1, validationFraction: 0.2);
        var training = new SeriesWindows<float>(past, features: 1, window: 32, batchSize: 16, seed: 1);
        var validation = new SeriesWindows<float>(recent, features: 1, window: 32, batchSize: 16);

        var model = new Forecaster(seed: 1);
        var optimizer = new Adam<float>(Forecaster.ParameterCount, learningRate: 1e-2);
        using var trainer = new Trainer<float>(model, optimizer, maxSteps: 32, batchSize: 16, new TrainerOptions { ClipNorm = 1 });
        TrainingSummary summary = trainer.Train(training, steps: 300);
        EvaluationReport held = trainer.Evaluate(validation);
        Console.WriteLine($"training loss {summary.LastLoss:F4}, validation loss {held.Loss:F4}");

        float[] heldValues = recent.ToArray();
        double mean = heldValues.Average(v => (double)v);
        double variance = heldValues.Average(v => (v - mean) * (v - mean));
        Assert.Equal(300, summary.Steps);
        Assert.True(held.Loss < 0.05 * variance, $"validation MSE {held.Loss} against the series' variance {variance}");

        // Save and load
        string path = Path.Combine(directory, "forecaster.safetensors");
        model.SaveSafeTensors(path);                    // PyTorch names: weight_ih_l0, …, head.weight, head.bias

        var loaded = new Forecaster();
        loaded.LoadSafeTensors(path);                   // all or nothing: a file that does not fit throws WeightFileException

        Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..100]);
        Assert.Throws<WeightFileException>(() => loaded.LoadSafeTensors(path));
        Assert.Equal(model.Parameters.ToArray(), loaded.Parameters.ToArray());

        // Stream
        var state = new Forecaster.State();
        float[] next = new float[Forecaster.OutputSize];
        foreach (float value in series.AsSpan(1900, 100))
        {
            loaded.Step(ref state, [value], next);      // next[0]: the forecast of the value after this one
        }

        float forecast = next[0];
        float truth = MathF.Sin(2000 * 0.1f) + (0.5f * MathF.Sin(2000 * 0.37f));
        Assert.True(MathF.Abs(forecast - truth) < 0.2f, $"forecast {forecast}, truth {truth}");

        // Many streams
        const int sensors = 64;
        var states = new Forecaster.State[sensors];     // one state per sensor
        float[] readings = new float[sensors];          // [sensors, InputSize]: this step's reading of each sensor
        float[] forecasts = new float[sensors];         // [sensors, OutputSize]
        for (int t = 0; t < 100; t++)
        {
            for (int s = 0; s < sensors; s++)
            {
                readings[s] = series[1900 + t] * (1 + (0.01f * s));
            }

            loaded.Step(states, readings, forecasts);   // all 64 sensors by one step, the weights read once
        }

        var sensor0 = new Forecaster.State();
        for (int t = 0; t < 100; t++)
        {
            loaded.Step(ref sensor0, [series[1900 + t]], next);
        }

        Assert.Equal(next[0], forecasts[0], 1e-5f);
        Assert.Equal(forecast, forecasts[0], 1e-5f);
    }

    [Fact]
    public void Resume_from_a_checkpoint_as_the_page_says()
    {
        string directory = _directory;
        float[] series = Enumerable.Range(0, 600).Select(t => MathF.Sin(t * 0.1f)).ToArray();
        var training = new SeriesWindows<float>(series, features: 1, window: 32, batchSize: 16, seed: 1);
        var model = new Forecaster(seed: 1);
        using var trainer = new Trainer<float>(model, new Adam<float>(Forecaster.ParameterCount, learningRate: 1e-2), maxSteps: 32, batchSize: 16);
        trainer.Train(training, steps: 20);

        string checkpointPath = Path.Combine(directory, "run.checkpoint");
        trainer.CreateCheckpoint(training).Save(checkpointPath);         // parameters, optimiser moments, data position
        trainer.Train(training, steps: 20);

        var again = new Forecaster();
        var againData = new SeriesWindows<float>(series, features: 1, window: 32, batchSize: 16, seed: 1);
        using var resumed = new Trainer<float>(again, new Adam<float>(Forecaster.ParameterCount, learningRate: 1e-2), maxSteps: 32, batchSize: 16);
        resumed.RestoreCheckpoint(Checkpoint.Load(checkpointPath), againData);
        resumed.Train(againData, steps: 20);                            // continues exactly where the run stopped

        Assert.Equal(model.Parameters.ToArray(), again.Parameters.ToArray());
    }
}
