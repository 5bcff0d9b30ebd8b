using System.CommandLine;
using System.Linq;
using NativeRnn.Cli.Charts;
using NativeRnn.Cli.Models;
using NativeRnn.Training;
using Spectre.Console;

namespace NativeRnn.Cli.Commands;

/// <summary>
/// <c>nativernn gradflow</c>: the seeds' vanishing-gradient picture, measured: ‖∂L/∂h_k‖ at every step k of an adding-problem
/// sequence whose loss sits at the last step, for a tanh RNN, an LSTM and a GRU, after a short training.
/// </summary>
internal static class GradientFlowCommand
{
    public static Command Create(Output output)
    {
        Option<int> length = Options.Positive("--length", 60, "Steps of the sequence.");
        var train = new Option<int>("--train") { Description = "Training steps before measuring (0: at initialisation).", DefaultValueFactory = _ => 200 };
        var chart = new Option<string>("--chart") { Description = "Where to save the chart (SVG, logarithmic).", DefaultValueFactory = _ => "nativernn-gradflow.svg" };
        Option<ulong> seed = Options.Seed();
        var command = new Command("gradflow", "Measure how the gradient of a last-step loss reaches earlier steps through RNN, LSTM and GRU.") { length, train, chart, seed };
        command.SetAction(parsed => Run(output, parsed.GetValue(length), parsed.GetValue(train), parsed.GetValue(chart)!, parsed.GetValue(seed)));
        return command;
    }

    private static int Run(Output output, int length, int trainSteps, string chartPath, ulong seed)
    {
        if (length < 2 || trainSteps < 0)
        {
            throw new System.ArgumentException("--length must be at least 2 and --train at least 0.");
        }

        output.Heading($"nativernn gradflow: ‖∂L/∂h_k‖ over {length} steps, loss at the last");
        var chart = new SvgChart($"Gradient flow through {length} steps (loss at the last)", "step k", "‖∂L/∂h_k‖", logarithmicY: true);
        int[] shown = [length - 1, (3 * length / 4) - 1, (length / 2) - 1, (length / 4) - 1, 0];
        Table table = Output.Table(["model", .. shown.Select(k => $"k = {k}"), "first / last"]);
        foreach ((string name, IRecurrentModel<float> model) in new (string, IRecurrentModel<float>)[]
        {
            ("tanh RNN", new FlowRnn(seed)),
            ("LSTM", new FlowLstm(seed)),
            ("GRU", new FlowGru(seed)),
        })
        {
            if (trainSteps > 0)
            {
                using var trainer = new Trainer<float>(model, new Adam<float>(model.Parameters.Length, 3e-3), length, 32, new TrainerOptions { ClipNorm = 1 });
                trainer.Train(new AddingProblem<float>(length, 32, seed), trainSteps);
            }

            double[] norms = GradientFlow.Measure(model, new AddingProblem<float>(length, 1, seed + 99))[0];
            table.AddRow([name, .. shown.Select(k => norms[k].ToString("0.0E0", System.Globalization.CultureInfo.InvariantCulture)), (norms[0] / norms[^1]).ToString("0.0E0", System.Globalization.CultureInfo.InvariantCulture)]);
            chart.Add(name, norms.Select((n, k) => ((double)k, n)));
        }

        output.Write(table);
        output.Line("The tanh RNN's gradient falls geometrically with the distance from the loss; the gated cells carry far more of it back.");
        chart.Save(chartPath);
        output.Line($"Saved the chart to {chartPath}.");
        return 0;
    }
}
