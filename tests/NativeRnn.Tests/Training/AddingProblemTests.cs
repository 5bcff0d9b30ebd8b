using System;
using System.Linq;
using NativeRnn.Training;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests.Training;

/// <summary>
/// The seeds' story, measured: gated cells learn the adding problem, which needs memory across half the sequence, and
/// their gradients reach the early steps, where a tanh RNN's vanish.
/// </summary>
public class AddingProblemTests(ITestOutputHelper output)
{
    private const int Length = 40, Batch = 32, Steps = 600;

    internal static (double Validation, float[] Parameters) Train(IRecurrentModel<float> model, int steps, ulong seed)
    {
        using var trainer = new Trainer<float>(model, new Adam<float>(model.Parameters.Length, 1e-2), Length, Batch, new TrainerOptions { ClipNorm = 1 });
        var data = new AddingProblem<float>(Length, Batch, seed);
        var validation = new AddingProblem<float>(Length, Batch, seed + 1000, batchesPerEpoch: 16);
        trainer.Train(data, steps);
        return (trainer.Evaluate(validation).Loss, model.Parameters.ToArray());
    }

    [Fact]
    public void Lstm_and_gru_solve_the_adding_problem_where_the_mean_scores_a_sixth()
    {
        foreach ((string name, Func<IRecurrentModel<float>> create) in new (string, Func<IRecurrentModel<float>>)[]
        {
            ("LSTM", () => new AddingLstm(3)),
            ("GRU", () => new AddingGru(3)),
        })
        {
            (double mse, float[] parameters) = Train(create(), Steps, seed: 11);
            output.WriteLine($"{name}: validation MSE {mse:F4} after {Steps} steps of {Batch} × {Length} (predicting the mean: {AddingProblem<float>.MeanBaseline:F3})");
            Assert.True(mse < 0.05, $"{name} reached only {mse:F4}.");

            // Deterministic for a fixed seed: the same run again gives the same parameters, bit for bit.
            (double again, float[] parametersAgain) = Train(create(), Steps, seed: 11);
            Assert.Equal(mse, again);
            Assert.Equal(parameters, parametersAgain);
        }
    }

    [Fact]
    public void Gradients_vanish_through_a_tanh_rnn_and_survive_through_an_lstm()
    {
        double rnn = FlowRatio(new AddingRnn(5), "tanh RNN");
        double lstm = FlowRatio(new AddingLstm(5), "LSTM");
        Assert.True(rnn < 1e-3, $"The tanh RNN's gradient fell only to {rnn:E2} of its last-step value.");
        Assert.True(lstm > 100 * rnn, $"The LSTM's ratio {lstm:E2} is not far above the RNN's {rnn:E2}.");
    }

    /// <summary>‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ for the loss at the last step of one adding sequence, after a short training.</summary>
    private double FlowRatio(IRecurrentModel<float> model, string name)
    {
        Train(model, 200, seed: 21);
        double[] norms = GradientFlow.Measure(model, new AddingProblem<float>(Length, 1, seed: 99))[0];
        double ratio = norms[0] / norms[^1];
        output.WriteLine($"{name}: ‖∂L/∂h_t‖ from t = T−1 down to 0: {string.Join(" ", Enumerable.Reverse(norms).Where((_, i) => i % 8 == 0).Select(n => n.ToString("E1")))}; first/last {ratio:E2}");
        return ratio;
    }
}
