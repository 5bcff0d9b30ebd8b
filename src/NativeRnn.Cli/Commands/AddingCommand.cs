using System.Collections.Generic;
using System.CommandLine;
using NativeRnn.Cli.Charts;
using NativeRnn.Cli.Models;
using NativeRnn.Training;
using Spectre.Console;

namespace NativeRnn.Cli.Commands;

/// <summary>
/// <c>nativernn adding</c>: the adding problem of Hochreiter &amp; Schmidhuber at a chosen length, a tanh RNN, an LSTM and a
/// GRU side by side against the predict-the-mean baseline (1/6 ≈ 0.167).
/// </summary>
internal static class AddingCommand
{
    public static Command Create(Output output)
    {
        Option<int> length = Options.Positive("--length", 50, "Steps per sequence; the first marked value must be carried across about half of them.");
        Option<int> steps = Options.Positive("--steps", 800, "Training steps per model.");
        Option<int> batch = Options.Positive("--batch", 32, "Sequences per batch.");
        var chart = new Option<string>("--chart") { Description = "Where to save the loss chart (SVG).", DefaultValueFactory = _ => "nativernn-adding.svg" };
        Option<ulong> seed = Options.Seed();
        var command = new Command("adding", "The adding problem: RNN, LSTM and GRU against the predict-the-mean baseline.") { length, steps, batch, chart, seed };
        command.SetAction(parsed => Run(output, parsed.GetValue(length), parsed.GetValue(steps), parsed.GetValue(batch), parsed.GetValue(chart)!, parsed.GetValue(seed)));
        return command;
    }

    private static int Run(Output output, int length, int steps, int batch, string chartPath, ulong seed)
    {
        if (length < 2)
        {
            throw new System.ArgumentException("--length must be at least 2.");
        }

        output.Heading($"nativernn adding: sequences of {length} steps");
        output.Line($"Each step reads a value in [0, 1) and a marker; the target is the sum of the two marked values. Predicting the mean scores {AddingProblem<float>.MeanBaseline:F3}.");
        var chart = new SvgChart($"Adding problem, {length} steps", "step", "mean squared error");
        Table table = Output.Table("model", "parameters", "validation MSE", "against the mean");
        foreach ((string name, IRecurrentModel<float> model) in new (string, IRecurrentModel<float>)[]
        {
            ("tanh RNN (64)", new AddingRnn(seed)),
            ("LSTM (64)", new AddingLstm(seed)),
            ("GRU (64)", new AddingGru(seed)),
        })
        {
            using var trainer = new Trainer<float>(model, new Adam<float>(model.Parameters.Length, 1e-2), length, batch, new TrainerOptions { ClipNorm = 1 });
            var losses = new List<(double, double)>();
            output.Train(name, steps, "sequences", report => trainer.Train(new AddingProblem<float>(length, batch, seed), steps, r =>
            {
                losses.Add((r.Step, r.Loss));
                report(r);
            }));
            double mse = trainer.Evaluate(new AddingProblem<float>(length, batch, seed + 1000, batchesPerEpoch: 32)).Loss;
            table.AddRow(name, $"{model.Parameters.Length:N0}", $"{mse:F4}", $"{mse / AddingProblem<float>.MeanBaseline:P0}");
            chart.Add(name, Smoothed(losses, 20));
        }

        chart.Add("predict the mean", [(1, AddingProblem<float>.MeanBaseline), (steps, AddingProblem<float>.MeanBaseline)], dashed: true);
        output.Write(table);
        chart.Save(chartPath);
        output.Line($"Saved the loss curves to {chartPath}.");
        return 0;
    }

    internal static IEnumerable<(double, double)> Smoothed(List<(double Step, double Loss)> points, int window)
    {
        for (int i = window - 1; i < points.Count; i += System.Math.Max(1, points.Count / 300))
        {
            double sum = 0;
            for (int j = i - window + 1; j <= i; j++)
            {
                sum += points[j].Loss;
            }

            yield return (points[i].Step, sum / window);
        }
    }
}
