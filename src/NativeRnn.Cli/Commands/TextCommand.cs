using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.IO;
using System.Threading;
using NativeRnn.Cli.Charts;
using NativeRnn.Cli.Data;
using NativeRnn.Cli.Models;
using NativeRnn.Serialization;
using NativeRnn.Text;
using NativeRnn.Training;
using Spectre.Console;

namespace NativeRnn.Cli.Commands;

/// <summary>
/// <c>nativernn text</c>: a language model of bytes (any file) or characters (up to 256 of them) on the user's text or on
/// text the program generates; reports training and validation loss in nats and bits per token, saves the model and a
/// loss chart, and writes a sample.
/// </summary>
internal sealed class TextCommand
{
    private readonly Output _output;
    private readonly Option<FileInfo?> _file = new("--file") { Description = "The text to learn; without it, the program generates its own." };
    private readonly Option<string> _cell = Options.Choice("--cell", "lstm", TextModels.Cells, "The recurrent cell.");
    private readonly Option<string> _size = Options.Choice("--size", "medium", TextModels.Sizes, "The model size (hidden 128, 256, 512).");
    private readonly Option<string> _tokens = Options.Choice("--tokens", "bytes", ["bytes", "chars"], "Tokens: the file's bytes (any file), or its characters (at most 256 distinct).");
    private readonly Option<int> _steps = Options.Positive("--steps", 1500, "Training steps.");
    private readonly Option<double> _minutes = new("--minutes") { Description = "Stop training after this many minutes, whatever the steps.", DefaultValueFactory = _ => 1.8 };
    private readonly Option<int> _threads = Options.Positive("--threads", Math.Min(2, Environment.ProcessorCount), "Threads sharing each batch.");
    private readonly Option<int> _batch = Options.Positive("--batch", 32, "Parallel streams per batch.");
    private readonly Option<int> _chunk = Options.Positive("--chunk", 64, "Steps per chunk of truncated BPTT.");
    private readonly Option<double> _rate = new("--learning-rate") { Description = "Adam's peak learning rate (cosine schedule with warm-up).", DefaultValueFactory = _ => 3e-3 };
    private readonly Option<string> _model = new("--output", "-o") { Description = "Where to save the model.", DefaultValueFactory = _ => "nativernn-text.safetensors" };
    private readonly Option<string> _chart = new("--chart") { Description = "Where to save the loss chart (SVG).", DefaultValueFactory = _ => "nativernn-text-loss.svg" };
    private readonly Option<int> _sample = Options.Positive("--sample", 400, "Tokens of the sample written at the end.");
    private readonly Option<ulong> _seed = Options.Seed();
    private readonly Option<string?> _checkpoint = new("--checkpoint") { Description = "Write a checkpoint here (atomically) at every evaluation and at the end, to resume from." };
    private readonly Option<string?> _resume = new("--resume") { Description = "Resume from a checkpoint written with --checkpoint (same data and model options); --steps counts from the start." };

    private TextCommand(Output output)
    {
        _output = output;
        Command = new Command("text", "Train a character (or byte) language model on a file or on generated text; save it and write a sample.")
        {
            _file, _cell, _size, _tokens, _steps, _minutes, _threads, _batch, _chunk, _rate, _model, _chart, _sample, _seed, _checkpoint, _resume,
        };
        Command.SetAction(parsed => Run(new Settings(
            parsed.GetValue(_file),
            parsed.GetValue(_cell)!,
            parsed.GetValue(_size)!,
            parsed.GetValue(_tokens) == "chars",
            parsed.GetValue(_steps),
            parsed.GetValue(_minutes),
            parsed.GetValue(_threads),
            parsed.GetValue(_batch),
            parsed.GetValue(_chunk),
            parsed.GetValue(_rate),
            parsed.GetValue(_model)!,
            parsed.GetValue(_chart)!,
            parsed.GetValue(_sample),
            parsed.GetValue(_seed),
            parsed.GetValue(_checkpoint),
            parsed.GetValue(_resume))));
    }

    public Command Command { get; }

    public static TextCommand Create(Output output) => new(output);

    /// <summary>The run with no task: every option at its default.</summary>
    public int RunDefault() => Run(new Settings(null, "lstm", "medium", false, 1500, 1.8, Math.Min(2, Environment.ProcessorCount), 32, 64, 3e-3, "nativernn-text.safetensors", "nativernn-text-loss.svg", 400, 1, null, null));

    private sealed record Settings(FileInfo? File, string Cell, string Size, bool Characters, int Steps, double Minutes, int Threads, int Batch, int Chunk, double Rate, string Model, string Chart, int Sample, ulong Seed, string? Checkpoint, string? Resume);

    private int Run(Settings s)
    {
        if (!(s.Minutes > 0))
        {
            throw new ArgumentException("--minutes must be positive.");
        }

        // The text, as tokens.
        byte[] bytes = s.File is null
            ? System.Text.Encoding.UTF8.GetBytes(GeneratedText.Create(1_500_000, s.Seed))
            : File.ReadAllBytes(s.File.FullName);
        string source = s.File is null ? "generated stories (1.5 MB)" : $"{s.File.Name} ({bytes.Length:N0} bytes)";
        CharacterVocabulary? vocabulary = null;
        int[] ids;
        if (s.Characters)
        {
            string text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            vocabulary = CharacterVocabulary.FromText(text, UnknownCharacters.MapToUnknown);
            if (vocabulary.Count > TextModels.Vocabulary)
            {
                throw new ArgumentException($"The text has {vocabulary.Count - 1} distinct characters, more than the {TextModels.Vocabulary - 1} a model's ids hold; use --tokens bytes.");
            }

            ids = vocabulary.Encode(text);
        }
        else
        {
            ids = ByteVocabulary.Encode(bytes);
        }

        int split = ids.Length - Math.Max(ids.Length / 20, (2 * s.Chunk) + 8);
        if (split < (2 * s.Batch) + s.Chunk)
        {
            throw new ArgumentException($"The text is too short: {ids.Length} tokens, but {s.Batch} streams of chunks of {s.Chunk} need at least {(2 * s.Batch) + s.Chunk + (2 * s.Chunk) + 8}.");
        }

        var training = new TokenStreams<float>(ids.AsMemory(0, split), s.Batch, s.Chunk, seed: s.Seed);
        var validation = new TokenStreams<float>(ids.AsMemory(split), Math.Max(1, Math.Min(Math.Min(8, s.Batch), (ids.Length - split - s.Chunk) / 2)), s.Chunk); // the trainer evaluates at most its batch

        ITokenStreamingModel<float> model = TextModels.Create(s.Cell, s.Size, s.Seed);
        string name = TextModels.Name(s.Cell, s.Size);
        _output.Heading($"nativernn text: {name}");
        _output.Line($"Data: {source}, {(s.Characters ? $"{vocabulary!.Count - 1} characters" : "bytes")}; {ids.Length:N0} tokens, {split:N0} for training, {ids.Length - split:N0} held out.");
        _output.Line($"Model: {model.Description}, {model.Parameters.Length:N0} parameters.");
        _output.Line($"Training: {s.Steps} steps of {s.Batch} streams × {s.Chunk} tokens (truncated BPTT), Adam with cosine schedule from {s.Rate:G3}, clip ‖g‖ ≤ 5, {s.Threads} thread(s), at most {s.Minutes:G3} min.");

        var options = new TrainerOptions { ClipNorm = 5, Threads = s.Threads, DropoutSeed = s.Seed, Schedule = new CosineSchedule(s.Rate, s.Steps, Math.Min(100, s.Steps / 10), s.Rate / 30) };
        using var trainer = new Trainer<float>(model, new Adam<float>(model.Parameters.Length, s.Rate), s.Chunk, s.Batch, options);
        var losses = new List<(double, double)>();
        var validations = new List<(double, double)>();
        long evaluateEvery = Math.Max(100, s.Steps / 8);
        if (s.Resume is not null)
        {
            Checkpoint resumed = Checkpoint.Load(s.Resume);
            string expected = $"{name} {(s.Characters ? "chars" : "bytes")} {s.Batch}x{s.Chunk} {source}";
            if (!resumed.Metadata.TryGetValue("run", out string? run) || run != expected)
            {
                throw new ArgumentException($"{s.Resume} was written by another run ({run ?? "no run recorded"}); this one is {expected}.");
            }

            trainer.RestoreCheckpoint(resumed, training);
            _output.Line($"Resumed from {s.Resume} at step {trainer.StepCount}.");
        }

        void Save()
        {
            if (s.Checkpoint is not null)
            {
                Checkpoint checkpoint = trainer.CreateCheckpoint(training);
                checkpoint.Metadata["run"] = $"{name} {(s.Characters ? "chars" : "bytes")} {s.Batch}x{s.Chunk} {source}";
                checkpoint.Save(s.Checkpoint);
            }
        }
        using var budget = new CancellationTokenSource(TimeSpan.FromMinutes(s.Minutes));
        var clock = Stopwatch.StartNew();
        TrainingSummary summary = _output.Train(name, s.Steps, "tokens", report => trainer.Train(
            training,
            Math.Max(0, s.Steps - trainer.StepCount),
            onStep: r =>
            {
                if (r.Applied)
                {
                    losses.Add((r.Step, r.Loss));
                }

                report(r);
            },
            validation: validation,
            evaluateEvery: evaluateEvery,
            onEvaluate: (step, e) =>
            {
                validations.Add((step, e.Loss));
                Save();
            },
            cancellation: budget.Token));
        double seconds = clock.Elapsed.TotalSeconds;
        Save();

        validation.Position = default;
        EvaluationReport final = trainer.Evaluate(validation);
        double trainingLoss = Average(losses, 50);
        string token = s.Characters ? "character" : "byte";
        Table results = Output.Table("", "nats per " + token, "bits per " + token);
        results.AddRow("training (last 50 steps)", $"{trainingLoss:F3}", $"{trainingLoss / Math.Log(2):F3}");
        results.AddRow("validation", $"{final.Loss:F3}", $"{final.Bits:F3}");
        results.AddRow("uniform guess", $"{Math.Log(s.Characters ? vocabulary!.Count : 256):F3}", $"{Math.Log2(s.Characters ? vocabulary!.Count : 256):F3}");
        _output.Write(results);
        _output.Line($"{summary.Steps} steps{(trainer.StepCount < s.Steps ? $" (stopped by the {s.Minutes:G3}-minute budget)" : string.Empty)} in {seconds:F1} s: {summary.PositionsPerSecond:N0} tokens/s, validation accuracy {final.Accuracy:P1}, {summary.SkippedSteps} skipped.");

        // Save, then the chart.
        var save = new SafeTensorsOptions();
        save.Metadata["nativernn.task"] = "text";
        save.Metadata["nativernn.model"] = name;
        save.Metadata["nativernn.tokens"] = s.Characters ? "chars" : "bytes";
        if (vocabulary is not null)
        {
            save.Metadata["nativernn.vocabulary"] = vocabulary.Characters;
        }

        save.Metadata["nativernn.validation_bits"] = final.Bits.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        model.SaveSafeTensors(s.Model, save);
        new SvgChart($"{name}: loss per {token}", "step", "cross-entropy (nats)")
            .Add("training", Smooth(losses, 25))
            .Add("validation", validations, dashed: true)
            .Save(s.Chart);
        _output.Line($"Saved the model to {s.Model}{(s.Checkpoint is null ? string.Empty : $", a checkpoint to {s.Checkpoint}")} and the loss chart to {s.Chart}.");

        // A sample from the trained model, continuing the first words of the held-out text.
        string held = s.Characters ? vocabulary!.Decode(ids.AsSpan(split, Math.Min(64, ids.Length - split))) : ByteVocabulary.Decode(ids.AsSpan(split, Math.Min(64, ids.Length - split)));
        int cut = held.LastIndexOf(' ', Math.Min(held.Length - 1, 24));
        string prompt = cut > 0 ? held[..(cut + 1)] : held[..Math.Min(held.Length, 8)];
        var generator = new TextGenerator<float>(model, s.Seed);
        int[] promptIds = s.Characters ? vocabulary!.Encode(prompt) : ByteVocabulary.Encode(prompt);
        int[] drawn = new int[s.Sample];
        generator.Generate(promptIds, drawn, new SamplingOptions(Temperature: 0.8, TopK: 20));
        _output.Heading("sample (temperature 0.8, top-20)");
        _output.Generated(prompt + (s.Characters ? vocabulary!.Decode(drawn) : ByteVocabulary.Decode(drawn)) + Environment.NewLine);
        return 0;
    }

    private static double Average(List<(double Step, double Loss)> losses, int last)
    {
        double sum = 0;
        int count = 0;
        for (int i = Math.Max(0, losses.Count - last); i < losses.Count; i++)
        {
            sum += losses[i].Loss;
            count++;
        }

        return count > 0 ? sum / count : double.NaN;
    }

    private static IEnumerable<(double, double)> Smooth(List<(double Step, double Loss)> losses, int window)
    {
        for (int i = window - 1; i < losses.Count; i += Math.Max(1, losses.Count / 400))
        {
            double sum = 0;
            for (int j = i - window + 1; j <= i; j++)
            {
                sum += losses[j].Loss;
            }

            yield return (losses[i].Step, sum / window);
        }
    }
}
