using System;
using System.IO;
using NativeRnn;
using NativeRnn.Serialization;
using Xunit;
using DeterministicRandom = NativeRnn.Initialization.DeterministicRandom;

namespace NativeRnn.Tests.Docs.Weights;

// The snippets of docs/weights.md, run.

[RnnModel]
[Embedding(65, 64)]
[Lstm(128)]
[Lstm(128)]
[Dense(65)]
public partial class CharModel;

public sealed class WeightsPageSnippets : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("nativernn-weights-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_model_loads_and_saves_whole_files()
    {
        string folder = _folder;
        var trained = new CharModel(seed: 5);
        trained.SaveSafeTensors(Path.Combine(folder, "char.safetensors"));

        var model = new CharModel();
        model.LoadSafeTensors(Path.Combine(folder, "char.safetensors"));           // all or nothing
        model.SaveSafeTensors(Path.Combine(folder, "char-finetuned.safetensors")); // atomic: the old file or the whole new one

        Assert.Equal(trained.Parameters.ToArray(), model.Parameters.ToArray());
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "char.safetensors")), File.ReadAllBytes(Path.Combine(folder, "char-finetuned.safetensors")));
    }

    [Fact]
    public void A_checkpoint_keeps_every_block_integer_random_state_and_string()
    {
        string path = Path.Combine(_folder, "run.ckpt.safetensors");
        var model = new CharModel(seed: 5);
        float[] optimizerState = [1.5f, -0.0f, float.Epsilon];
        var random = new DeterministicRandom(3, 1);
        random.NextUInt64();
        Save(model, optimizerState, step: 1234, random, ["a", "b"], path);
        ulong expectedNext = random.NextUInt64();

        var other = new CharModel(seed: 6);
        float[] restoredState = new float[3];
        (long step, DeterministicRandom restored) = Load(other, restoredState, path);

        Assert.Equal(model.Parameters.ToArray(), other.Parameters.ToArray());
        Assert.Equal(optimizerState, restoredState);
        Assert.Equal(1234, step);
        Assert.Equal(expectedNext, restored.NextUInt64());
        Assert.Equal(["a", "b"], Checkpoint.Load(path).Vocabulary);
    }

    private static void Save(CharModel model, float[] optimizerState, long step, DeterministicRandom random, string[] tokens, string path)
    {
        Checkpoint checkpoint = Checkpoint.Create(model);     // architecture + a copy of the parameters
        checkpoint.SetBlock<float>("adam", optimizerState);   // any number of float or double blocks
        checkpoint.Integers["step"] = step;                   // step, schedule position, data position, epoch…
        checkpoint.SetRandom("shuffle", random);              // DeterministicRandom's 256-bit state
        checkpoint.Vocabulary = tokens;                       // any strings
        checkpoint.Metadata["run"] = "baseline";
        checkpoint.Save(path);                                // atomic, checksummed
    }

    private static (long Step, DeterministicRandom Random) Load(CharModel model, float[] optimizerState, string path)
    {
        Checkpoint resumed = Checkpoint.Load(path);           // verifies, applies nothing
        resumed.RestoreParameters(model);                     // refuses another architecture by name
        resumed.CopyBlockTo<float>("adam", optimizerState);
        long step = resumed.Integers["step"];
        DeterministicRandom random = resumed.GetRandom("shuffle");
        return (step, random);
    }
}
