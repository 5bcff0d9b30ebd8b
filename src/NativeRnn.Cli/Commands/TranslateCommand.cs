using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;
using NativeRnn.Cli.Data;
using NativeRnn.Cli.Models;
using NativeRnn.Initialization;
using NativeRnn.Training;
using Spectre.Console;

namespace NativeRnn.Cli.Commands;

/// <summary>
/// <c>nativernn translate</c>: the seeds' sequence-to-sequence example in miniature: digits to English number words
/// (4096 → "four thousand ninety-six") with an encoder–decoder, and exact-match accuracy on numbers it never saw.
/// </summary>
internal static class TranslateCommand
{
    private const int Pad = 10, Start = 11, End = 12;
    private const string Characters = " -abcdefghilnorstuvwxyz";

    public static Command Create(Output output)
    {
        Option<int> steps = Options.Positive("--steps", 3000, "Training steps.");
        Option<int> below = Options.Positive("--below", 100_000, "Numbers are drawn from 0 up to this (at most 1000000).");
        Option<ulong> seed = Options.Seed();
        var command = new Command("translate", "Learn to write numbers as English words with an encoder–decoder; test it on numbers it never saw.") { steps, below, seed };
        command.SetAction(parsed => Run(output, parsed.GetValue(steps), parsed.GetValue(below), parsed.GetValue(seed)));
        return command;
    }

    /// <summary>Both models share the ids of pad, start and end (10, 11, 12); the decoder's characters follow them.</summary>
    private const int FirstCharacter = End + 1;

    /// <summary>The decoder's ids of number words.</summary>
    internal static int[] Encode(string words) => [.. words.Select(c => FirstCharacter + Characters.IndexOf(c, StringComparison.Ordinal))];

    internal static string Decode(ReadOnlySpan<int> ids)
    {
        var text = new System.Text.StringBuilder();
        foreach (int id in ids)
        {
            text.Append(id >= FirstCharacter && id < FirstCharacter + Characters.Length ? Characters[id - FirstCharacter] : '?');
        }

        return text.ToString();
    }

    private static int Run(Output output, int steps, int below, ulong seed)
    {
        if (below is < 100 or > 1_000_000)
        {
            throw new ArgumentException("--below must be between 100 and 1000000.");
        }

        // Distinct numbers: most for training, the rest never seen in training.
        var random = new DeterministicRandom(seed, 0x7A);
        int total = Math.Min(below, 20_500);
        var numbers = new HashSet<int>();
        while (numbers.Count < total)
        {
            numbers.Add(random.NextInt(below));
        }

        int[] all = [.. numbers];
        int[] unseen = all[^500..];
        var pairs = all[..^500].Select(n => (Digits(n), Encode(NumberWords.Of(n)))).ToList();
        var data = new TranslationPairs<float>(pairs, batchSize: 32, padToken: Pad, startToken: Start, endToken: End, seed: seed);
        var encoder = new NumberEncoder(seed);
        var decoder = new WordDecoder(seed + 1);
        var joined = new EncoderDecoder<float>(
            encoder,
            decoder,
            new Adam<float>(encoder.Parameters.Length, 3e-3),
            new Adam<float>(decoder.Parameters.Length, 3e-3),
            data.MaxSourceSteps,
            data.MaxTargetSteps,
            32,
            new TrainerOptions { ClipNorm = 1, Schedule = new CosineSchedule(3e-3, steps, Math.Min(100, steps / 10), 1e-4) });
        output.Heading("nativernn translate: digits to English words");
        output.Line($"{pairs.Count:N0} numbers below {below:N0} to learn from, {unseen.Length} held out. Encoder {NumberEncoder.Description}; decoder {WordDecoder.Description}.");
        TranslationBatch<float> batch = data.CreateBatch();
        output.Train("translator", steps, "characters", report =>
        {
            for (int step = 0; step < steps; step++)
            {
                if (!data.Next(batch))
                {
                    data.Next(batch);
                }

                report(joined.Step(batch));
            }

            return 0;
        });

        int exact = 0;
        int[] answer = new int[80];
        Table examples = Output.Table("number", "written", "right?");
        for (int i = 0; i < unseen.Length; i++)
        {
            int length = joined.Translate(Digits(unseen[i]), answer, Start, End);
            string written = Decode(answer.AsSpan(0, length));
            bool right = written == NumberWords.Of(unseen[i]);
            exact += right ? 1 : 0;
            if (i < 8)
            {
                examples.AddRow(unseen[i].ToString(System.Globalization.CultureInfo.InvariantCulture), written, right ? "yes" : $"no: {NumberWords.Of(unseen[i])}");
            }
        }

        output.Write(examples);
        output.Line($"Exact match on {unseen.Length} numbers it never saw: {(double)exact / unseen.Length:P1}.");
        return 0;
    }

    private static int[] Digits(int number) => [.. number.ToString(System.Globalization.CultureInfo.InvariantCulture).Select(c => c - '0')];
}
