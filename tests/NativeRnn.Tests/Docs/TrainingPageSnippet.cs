using System;
using NativeRnn;
using NativeRnn.Text;
using NativeRnn.Training;

namespace NativeRnn.Tests.Docs.Training;

// The example of docs/training.md, compiled so that it cannot go stale. It is not run: it is a 5,000-step
// training run; the tests under Training/ run the same calls at test sizes.

[RnnModel]
[Embedding(96, 32)]
[Lstm(256)]
[Dropout(0.2)]
[Dense(96)]
public partial class CharModel;

public static class TrainingPageSnippet
{
    public static void Example(string text)
    {
        var vocabulary = CharacterVocabulary.FromText(text);
        int[] ids = vocabulary.Encode(text);
        int split = ids.Length * 9 / 10;
        var training = new TokenStreams<float>(ids.AsMemory(0, split), streams: 32, steps: 64, seed: 1);
        var validation = new TokenStreams<float>(ids.AsMemory(split), streams: 8, steps: 64);

        var model = new CharModel(seed: 1);
        using var trainer = new Trainer<float>(model, new Adam<float>(CharModel.ParameterCount, 2e-3), maxSteps: 64, batchSize: 32,
            new TrainerOptions { ClipNorm = 5, Schedule = new CosineSchedule(2e-3, totalSteps: 5000, warmupSteps: 100), Threads = 2 });
        trainer.Train(training, steps: 5000,
            onStep: report => Console.Write($"\rstep {report.Step} loss {report.Loss:F3} ‖g‖ {report.GradientNorm:F2} {report.PositionsPerSecond:F0} tokens/s"),
            validation: validation, evaluateEvery: 500,
            onEvaluate: (step, result) => Console.WriteLine($"\nstep {step}: validation {result.Bits:F3} bits per character"));

        var generator = new TextGenerator<float>(model, seed: 7);
        int[] sample = new int[400];
        generator.Generate(vocabulary.Encode("The "), sample, new SamplingOptions(Temperature: 0.8, TopK: 20));
        Console.WriteLine(vocabulary.Decode(sample));
    }
}
