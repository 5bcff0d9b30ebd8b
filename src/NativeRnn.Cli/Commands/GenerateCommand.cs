using System;
using System.CommandLine;
using System.IO;
using System.Text;
using NativeRnn.Cli.Models;
using NativeRnn.Serialization;
using NativeRnn.Text;
using Spectre.Console;

namespace NativeRnn.Cli.Commands;

/// <summary><c>nativernn generate</c>: loads a saved text model, primes it with a prompt and streams a sample.</summary>
internal static class GenerateCommand
{
    public static Command Create(Output output)
    {
        var model = new Option<string>("--model", "-m") { Description = "A model saved by 'nativernn text'.", DefaultValueFactory = _ => "nativernn-text.safetensors" };
        var prompt = new Option<string>("--prompt", "-p") { Description = "The text the sample continues.", DefaultValueFactory = _ => "On a " };
        Option<int> length = Options.Positive("--length", 500, "Tokens to generate.");
        var temperature = new Option<double>("--temperature", "-t") { Description = "0 for greedy; below 1 sharper, above 1 more varied.", DefaultValueFactory = _ => 0.8 };
        var topK = new Option<int>("--top-k") { Description = "Draw only among the k most likely tokens (0: all).", DefaultValueFactory = _ => 20 };
        var topP = new Option<double>("--top-p") { Description = "Draw only among the most likely tokens whose probability reaches p (1: all).", DefaultValueFactory = _ => 1 };
        Option<ulong> seed = Options.Seed();
        var score = new Option<bool>("--score") { Description = "Also print the prompt's cross-entropy under the model (each token predicted from those before it), a number that needs no sampling: to compare models or builds." };
        var command = new Command("generate", "Generate text from a saved model: prime it with a prompt and sample one token at a time.")
        {
            model, prompt, length, temperature, topK, topP, seed, score,
        };
        command.SetAction(parsed => Run(
            output,
            parsed.GetValue(model)!,
            parsed.GetValue(prompt)!,
            parsed.GetValue(length),
            new SamplingOptions(parsed.GetValue(temperature), parsed.GetValue(topK), parsed.GetValue(topP)),
            parsed.GetValue(seed),
            parsed.GetValue(score)));
        return command;
    }

    private static int Run(Output output, string path, string prompt, int length, SamplingOptions sampling, ulong seed, bool score)
    {
        if (prompt.Length == 0)
        {
            throw new ArgumentException("The prompt must hold at least one character.");
        }

        (ITokenStreamingModel<float> model, CharacterVocabulary? vocabulary) = Load(path);
        var generator = new TextGenerator<float>(model, seed);
        int[] promptIds = vocabulary is null ? ByteVocabulary.Encode(prompt) : vocabulary.Encode(prompt);
        string? scored = score ? Score(generator, promptIds) : null;
        generator.Reset();
        generator.Prime(promptIds);
        output.Generated(prompt);

        // Stream the text as it comes; bytes pass through a UTF-8 decoder, which holds a character's first bytes.
        Decoder decoder = Encoding.UTF8.GetDecoder();
        Span<byte> one = stackalloc byte[1];
        Span<char> characters = stackalloc char[4];
        for (int i = 0; i < length; i++)
        {
            int token = generator.Next(sampling);
            int count;
            if (vocabulary is null)
            {
                one[0] = (byte)token;
                count = decoder.GetChars(one, characters, flush: false);
            }
            else
            {
                count = vocabulary.Decode(token, characters);
            }

            if (count > 0)
            {
                output.Generated(characters[..count]);
            }
        }

        output.Line();
        if (scored is not null)
        {
            // Short enough that a console of 80 columns does not wrap it.
            output.Line(scored);
        }

        return 0;
    }

    /// <summary>The mean of −ln p(token | the tokens before it) over the prompt after its first token, teacher forced.</summary>
    private static string Score(TextGenerator<float> generator, int[] ids)
    {
        if (ids.Length < 2)
        {
            throw new ArgumentException("--score needs a prompt of at least two tokens: the first one is predicted from nothing.");
        }

        generator.Reset();
        double total = 0;
        for (int i = 0; i + 1 < ids.Length; i++)
        {
            generator.Prime(ids.AsSpan(i, 1));
            ReadOnlySpan<float> logits = generator.Logits;
            double max = double.NegativeInfinity;
            foreach (float z in logits)
            {
                max = Math.Max(max, z);
            }

            double sum = 0;
            foreach (float z in logits)
            {
                sum += Math.Exp(z - max);
            }

            total += max + Math.Log(sum) - logits[ids[i + 1]];
        }

        double mean = total / (ids.Length - 1);
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"prompt cross-entropy: {mean:F6} nats per token, {ids.Length - 1} tokens predicted");
    }

    /// <summary>A saved text model: the declared type its file names, its parameters, its vocabulary.</summary>
    internal static (ITokenStreamingModel<float> Model, CharacterVocabulary? Vocabulary) Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"There is no model at '{path}'; train one with 'nativernn text' (or give --model).");
        }

        string name;
        string? characters;
        using (SafeTensorsReader reader = SafeTensorsReader.Open(path))
        {
            if (!reader.Metadata.TryGetValue("nativernn.model", out string? saved))
            {
                throw new InvalidDataException($"'{path}' was not saved by 'nativernn text': it names no model.");
            }

            name = saved;
            reader.Metadata.TryGetValue("nativernn.vocabulary", out characters);
        }

        ITokenStreamingModel<float> model = TextModels.FromName(name);
        model.LoadSafeTensors(path);
        return (model, characters is null ? null : CharacterVocabulary.FromCharacters(characters, UnknownCharacters.MapToUnknown));
    }
}
