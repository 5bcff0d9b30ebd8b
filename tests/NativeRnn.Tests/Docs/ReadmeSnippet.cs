using System;
using System.IO;
using NativeRnn;
using NativeRnn.Text;
using NativeRnn.Training;

namespace NativeRnn.Tests.Docs.Readme;

// The README's example, compiled so that it cannot go stale. It is not run: it trains a 256-wide LSTM on a book
// for 2,000 steps. GettingStartedSnippets and TrainerTests run the same calls at test sizes.

[RnnModel]
[Embedding(256, 64)]        // byte ids in, 64-wide vectors
[Lstm(256)]                 // PyTorch nn.LSTM: gates i, f, g, o
[Dropout(0.1)]              // on the head's input, in training passes only
[Dense(256)]                // logits over the next byte
public partial class ByteModel;

public static class ReadmeSnippet
{
    public static void Example()
    {
        var model = new ByteModel(seed: 1);
        int[] ids = ByteVocabulary.Encode(File.ReadAllText("book.txt"));
        var data = new TokenStreams<float>(ids, streams: 32, steps: 64, seed: 1);   // char-rnn batches, truncated BPTT
        using var trainer = new Trainer<float>(model, new Adam<float>(ByteModel.ParameterCount, 3e-3), maxSteps: 64, batchSize: 32,
            new TrainerOptions { ClipNorm = 5, Schedule = new CosineSchedule(3e-3, totalSteps: 2000, warmupSteps: 100), Threads = 2 });
        trainer.Train(data, steps: 2000, onStep: r => Console.Write($"\r{r.Step} {r.Loss:F3} {r.PositionsPerSecond:N0} tokens/s"));

        model.SaveSafeTensors("byte-model.safetensors");                            // PyTorch state_dict names
        var generator = new TextGenerator<float>(model, seed: 7);                    // Step and State: no allocation per token
        int[] sample = new int[300];
        generator.Generate(ByteVocabulary.Encode("Once upon a time"), sample, new SamplingOptions(Temperature: 0.8, TopK: 20));
        Console.WriteLine(ByteVocabulary.Decode(sample));
    }
}
