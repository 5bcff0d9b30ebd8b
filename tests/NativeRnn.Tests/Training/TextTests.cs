using System;
using System.Linq;
using System.Text;
using NativeRnn.Tests.Helpers;
using NativeRnn.Text;
using NativeRnn.Training;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests.Training;

/// <summary>A character model learns generated text, and sampling from it is reproducible and allocation-free.</summary>
public class TextTests(ITestOutputHelper output)
{
    /// <summary>Sentences from a small grammar: enough structure to learn, nothing copied from outside.</summary>
    internal static string Grammar(int sentences, ulong seed)
    {
        string[] subjects = ["the cat", "a dog", "my friend", "the old man", "every child", "a small bird"];
        string[] verbs = ["sees", "likes", "finds", "follows", "hears", "watches"];
        string[] objects = ["the moon", "a red ball", "the river", "some bread", "the tall tree", "a quiet song"];
        string[] endings = [".", " today.", " again.", " at night."];
        var random = new Initialization.DeterministicRandom(seed, 0);
        var text = new StringBuilder();
        for (int i = 0; i < sentences; i++)
        {
            text.Append(subjects[random.NextInt(subjects.Length)]).Append(' ')
                .Append(verbs[random.NextInt(verbs.Length)]).Append(' ')
                .Append(objects[random.NextInt(objects.Length)])
                .Append(endings[random.NextInt(endings.Length)])
                .Append(i % 4 == 3 ? '\n' : ' ');
        }

        return text.ToString();
    }

    [Fact]
    public void A_character_model_learns_generated_text_well_below_the_uniform_loss()
    {
        string text = Grammar(3000, seed: 1);
        var vocabulary = CharacterVocabulary.FromText(text);
        Assert.True(vocabulary.Count <= CharLstm.Vocabulary);
        int[] ids = vocabulary.Encode(text);
        int split = ids.Length * 9 / 10;
        var training = new TokenStreams<float>(ids.AsMemory(0, split), streams: 16, steps: 32, seed: 2);
        var validation = new TokenStreams<float>(ids.AsMemory(split), streams: 4, steps: 32);
        var model = new CharLstm(3);
        using var trainer = new Trainer<float>(model, new Adam<float>(CharLstm.ParameterCount, 1e-2), 32, 16, new TrainerOptions { ClipNorm = 5 });
        EvaluationReport before = trainer.Evaluate(validation);
        trainer.Train(training, 300);
        EvaluationReport after = trainer.Evaluate(validation);
        double uniform = Math.Log(vocabulary.Count);
        output.WriteLine($"{vocabulary.Count} characters (uniform: {uniform:F2} nats); validation loss {before.Loss:F2} → {after.Loss:F3} nats ({after.Bits:F2} bits) per character, accuracy {after.Accuracy:P0}, after 300 steps");
        Assert.True(after.Loss < 0.5 * uniform, $"Validation loss {after.Loss:F3} is not well below ln V = {uniform:F3}.");

        // Sampling with a fixed seed repeats bit for bit; another seed gives other text.
        string Sample(ulong seed, SamplingOptions options)
        {
            var generator = new TextGenerator<float>(model, seed);
            int[] drawn = new int[200];
            generator.Generate(vocabulary.Encode("the "), drawn, options);
            return vocabulary.Decode(drawn);
        }

        var topK = new SamplingOptions(Temperature: 0.8, TopK: 5);
        string first = Sample(7, topK);
        output.WriteLine($"sample (T = 0.8, top-5): the {first.Replace("\n", " / ", StringComparison.Ordinal)}");
        Assert.Equal(first, Sample(7, topK));
        Assert.NotEqual(first, Sample(8, topK));
        Assert.Equal(Sample(1, SamplingOptions.Greedy), Sample(2, SamplingOptions.Greedy));
        string nucleus = Sample(7, new SamplingOptions(TopP: 0.9));
        Assert.Equal(nucleus, Sample(7, new SamplingOptions(TopP: 0.9)));
    }

    [Fact]
    public void Generating_a_token_allocates_nothing()
    {
        var model = new CharLstm(1);
        var generator = new TextGenerator<float>(model, 1);
        generator.Prime([1, 2, 3]);
        var options = new SamplingOptions(0.9, TopK: 10, TopP: 0.95);
        Assert.Equal(0, Allocation.Measure(() => generator.Next(options), warmup: 100, runs: 1000));
        Assert.Equal(0, Allocation.Measure(() => generator.Next(SamplingOptions.Greedy), warmup: 100, runs: 1000));
    }

    [Fact]
    public void Top_k_and_top_p_draw_only_from_the_tokens_they_keep()
    {
        float[] logits = [0, 3, 1, 5, 2, 4]; // order: 3, 5, 1, 4, 2, 0
        var sampler = new TokenSampler<float>(6, 3);
        var counts = new int[6];
        for (int i = 0; i < 20_000; i++)
        {
            counts[sampler.Sample(logits, new SamplingOptions(TopK: 3))]++;
        }

        Assert.Equal(0, counts[0] + counts[2] + counts[4]);
        // softmax over {5, 4, 3}: e^0 : e^−1 : e^−2 = 0.665 : 0.245 : 0.090
        Assert.InRange(counts[3] / 20_000.0, 0.65, 0.68);
        Assert.InRange(counts[5] / 20_000.0, 0.23, 0.26);

        // Top-p 0.7 at temperature 1: p(3) = 0.636 < 0.7, so {3, 5} are kept (0.636 + 0.234 ≥ 0.7).
        Array.Clear(counts);
        for (int i = 0; i < 20_000; i++)
        {
            counts[sampler.Sample(logits, new SamplingOptions(TopP: 0.7))]++;
        }

        Assert.Equal(20_000, counts[3] + counts[5]);
        Assert.InRange(counts[3] / 20_000.0, 0.71, 0.75); // 0.636 / 0.870 = 0.731

        Assert.Equal(3, sampler.Sample(logits, SamplingOptions.Greedy));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(logits, new SamplingOptions(TopP: 0)));
        Assert.Throws<ArgumentException>(() => sampler.Sample([float.NaN, 0, 0, 0, 0, 0], default(SamplingOptions) with { Temperature = 1, TopP = 1 }));
    }

    [Fact]
    public void Vocabularies_round_trip_and_handle_unseen_characters_as_told()
    {
        var vocabulary = CharacterVocabulary.FromText("hello, wörld 🌍");
        Assert.Equal(vocabulary.Count, vocabulary.Characters.EnumerateRunes().Count());
        Assert.Equal("wörld 🌍", vocabulary.Decode(vocabulary.Encode("wörld 🌍")));
        Assert.Equal(CharacterVocabulary.FromCharacters(vocabulary.Characters).Encode("hello"), vocabulary.Encode("hello"));
        ArgumentException unseen = Assert.Throws<ArgumentException>(() => vocabulary.Encode("help"));
        Assert.Contains("'p'", unseen.Message, StringComparison.Ordinal);

        var mapping = CharacterVocabulary.FromText("abc", UnknownCharacters.MapToUnknown);
        Assert.Equal(4, mapping.Count);
        Assert.Equal([1, 0, 3], mapping.Encode("axc"));
        Assert.Equal("a\uFFFDc", mapping.Decode(mapping.Encode("axc")));
        Assert.Equal([1, 3], CharacterVocabulary.FromText("abc", UnknownCharacters.Skip).Encode("axc").Select(i => i + 1));

        Assert.Equal("größe ✓", ByteVocabulary.Decode(ByteVocabulary.Encode("größe ✓")));
        Assert.Equal(Encoding.UTF8.GetByteCount("größe"), ByteVocabulary.Encode("größe").Length);
    }
}
