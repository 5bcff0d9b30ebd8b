using System;
using System.Collections.Generic;
using System.CommandLine;
using NativeRnn.Cli.Charts;
using NativeRnn.Cli.Data;
using NativeRnn.Cli.Models;
using NativeRnn.Training;
using Spectre.Console;

namespace NativeRnn.Cli.Commands;

/// <summary>
/// <c>nativernn forecast</c>: one-step-ahead forecasting of a generated series (Mackey–Glass, or two seasons with noise),
/// its error on held-out time against the persistence and seasonal baselines, and a chart of forecast against truth,
/// with a free-running forecast in which the model reads its own output.
/// </summary>
internal static class ForecastCommand
{
    public static Command Create(Output output)
    {
        Option<string> series = Options.Choice("--series", "mackey-glass", ["mackey-glass", "seasonal"], "The series.");
        Option<string> cell = Options.Choice("--cell", "gru", ["gru", "lstm", "rnn"], "The recurrent cell (64 units).");
        Option<int> steps = Options.Positive("--steps", 1500, "Training steps.");
        var chart = new Option<string>("--chart") { Description = "Where to save the forecast chart (SVG).", DefaultValueFactory = _ => "nativernn-forecast.svg" };
        Option<ulong> seed = Options.Seed();
        var command = new Command("forecast", "Forecast a generated series one step ahead; compare with persistence and seasonal baselines.") { series, cell, steps, chart, seed };
        command.SetAction(parsed => Run(output, parsed.GetValue(series)!, parsed.GetValue(cell)!, parsed.GetValue(steps), parsed.GetValue(chart)!, parsed.GetValue(seed)));
        return command;
    }

    private static int Run(Output output, string name, string cell, int steps, string chartPath, ulong seed)
    {
        const int length = 6000, window = 48, free = 60;
        float[] values = name == "seasonal" ? Series.Seasonal(length, seed) : Series.MackeyGlass(length, seed);
        int period = name == "seasonal" ? 24 : 50;
        (ReadOnlyMemory<float> trainingPart, ReadOnlyMemory<float> heldOut) = DataSplit.ByTime<float>(values, 1, 0.2);
        IStreamingModel<float> model = cell switch
        {
            "lstm" => new ForecastLstm(seed),
            "rnn" => new ForecastRnn(seed),
            _ => new ForecastGru(seed),
        };
        output.Heading($"nativernn forecast: {name}, {cell.ToUpperInvariant()} (64)");
        output.Line($"{length} steps: the first {trainingPart.Length} for training (windows of {window}, the next value as the target), the last {heldOut.Length} held out.");
        var data = new SeriesWindows<float>(trainingPart, 1, window, 32, SeriesTargets.EveryStep, horizon: 1, stride: 4, seed: seed);
        using (var trainer = new Trainer<float>(model, new Adam<float>(model.Parameters.Length, 3e-3), window, 32, new TrainerOptions { ClipNorm = 1, Schedule = new CosineSchedule(3e-3, steps, Math.Min(50, steps / 10), 1e-4) }))
        {
            output.Train("forecaster", steps, "values", report => trainer.Train(data, steps, report));
        }

        // One step ahead over the held-out part, the state warmed up on the training part's end.
        ReadOnlySpan<float> test = heldOut.Span;
        float[] state = new float[model.StateSize];
        float[] y = new float[1];
        ReadOnlySpan<float> warm = trainingPart.Span[^(4 * window)..];
        foreach (float v in warm)
        {
            model.Step(state, [v], y);
        }

        var truth = new List<(double, double)>();
        var forecast = new List<(double, double)>();
        double model2 = 0, persistence2 = 0, seasonal2 = 0;
        int count = 0;
        for (int t = 0; t < test.Length - 1; t++)
        {
            model.Step(state, test.Slice(t, 1), y);
            double next = test[t + 1];
            double seasonal = t + 1 - period >= 0 ? test[t + 1 - period] : trainingPart.Span[trainingPart.Length + t + 1 - period];
            model2 += Math.Pow(y[0] - next, 2);
            persistence2 += Math.Pow(test[t] - next, 2);
            seasonal2 += Math.Pow(seasonal - next, 2);
            count++;
            if (t < 300)
            {
                truth.Add((t + 1, next));
                forecast.Add((t + 1, y[0]));
            }
        }

        Table table = Output.Table("one step ahead", "RMSE on held-out time", "against persistence");
        double rmse = Math.Sqrt(model2 / count), persistence = Math.Sqrt(persistence2 / count), seasonalRmse = Math.Sqrt(seasonal2 / count);
        table.AddRow($"{cell.ToUpperInvariant()} (64)", $"{rmse:F4}", $"{rmse / persistence:P0}");
        table.AddRow("persistence (x̂ₜ₊₁ = xₜ)", $"{persistence:F4}", "100 %");
        table.AddRow($"seasonal (x̂ₜ₊₁ = xₜ₊₁₋{period})", $"{seasonalRmse:F4}", $"{seasonalRmse / persistence:P0}");
        output.Write(table);

        // Free-running: from the start of the held-out part, the model reads its own forecasts.
        Array.Clear(state);
        foreach (float v in trainingPart.Span[^(4 * window)..])
        {
            model.Step(state, [v], y);
        }

        var running = new List<(double, double)>();
        float input = test[0];
        for (int t = 0; t < free; t++)
        {
            model.Step(state, [input], y);
            running.Add((t + 1, y[0]));
            input = y[0];
        }

        new SvgChart($"{name}: forecast against truth (held-out)", "step", "value")
            .Add("truth", truth)
            .Add("one step ahead", forecast)
            .Add($"free-running ({free} steps)", running, dashed: true)
            .Save(chartPath);
        output.Line($"Saved the chart to {chartPath}.");
        return 0;
    }
}
