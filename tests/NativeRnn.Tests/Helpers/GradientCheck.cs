using System;
using System.Collections.Generic;
using NativeRnn.Tests.Reference;

namespace NativeRnn.Tests.Helpers;

/// <summary>
/// Central finite differences against the generated BPTT, in double precision. The loss is
/// <c>L = Σ y_t ⊙ R + Σ h_T ⊙ R_h (+ Σ c_T ⊙ R_c)</c> with fixed random <c>R</c>, so every output and
/// every final state carries gradient, as in truncated BPTT.
/// </summary>
public static class GradientCheck
{
    /// <summary>
    /// The step of the five-point central difference: truncation error ~h⁴ (about 1e-16 here) and
    /// rounding error ~ε·|L|/h (about 1e-11), far below the tolerance.
    /// </summary>
    public const double Step = 1e-4;

    /// <summary>Magnitudes below this are compared absolutely (a relative error of a zero gradient means nothing).</summary>
    public const double Floor = 1e-3;

    public sealed record Report(string Name, TensorCheck.Worst Worst, int Count);

    public static List<Report> Run(Harness.Problem<double> problem, ulong seed)
    {
        IRecurrentModel<double> model = problem.Model;
        NetworkSpec spec = problem.Spec;
        IRecurrentTape<double> tape = problem.Tape;
        int rows = problem.Steps * problem.Batch;
        double[] r = ModelTools.Uniform(seed, 500, rows * spec.OutputSize);
        var finalWeights = new Dictionary<(int, int, bool), double[]>();
        for (int k = 0; k < spec.Layers.Length; k++)
        {
            for (int d = 0; d < spec.Layers[k].Directions; d++)
            {
                finalWeights[(k, d, false)] = ModelTools.Uniform(seed, (ulong)(600 + (2 * k) + d), problem.Batch * spec.Layers[k].Hidden);
                if (spec.Layers[k].Kind == LayerKind.Lstm)
                {
                    finalWeights[(k, d, true)] = ModelTools.Uniform(seed, (ulong)(700 + (2 * k) + d), problem.Batch * spec.Layers[k].Hidden);
                }
            }
        }

        double[] inputs = (double[])problem.Inputs.Clone();
        double[] outputs = new double[rows * spec.OutputSize];

        double Loss()
        {
            Harness.Forward(model, tape, inputs, problem.Tokens, outputs);
            double loss = Dot(outputs, r);
            foreach (KeyValuePair<(int Layer, int Direction, bool Cell), double[]> pair in finalWeights)
            {
                ReadOnlySpan<double> state = pair.Key.Cell ? tape.FinalCell(pair.Key.Layer, pair.Key.Direction) : tape.FinalHidden(pair.Key.Layer, pair.Key.Direction);
                loss += Dot(state, pair.Value);
            }

            return loss;
        }

        // f'(x) ≈ [8(f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))] / 12h
        double Central(Span<double> values, int index)
        {
            double saved = values[index];
            values[index] = saved + Step;
            double plus1 = Loss();
            values[index] = saved - Step;
            double minus1 = Loss();
            values[index] = saved + (2 * Step);
            double plus2 = Loss();
            values[index] = saved - (2 * Step);
            double minus2 = Loss();
            values[index] = saved;
            return ((8 * (plus1 - minus1)) - (plus2 - minus2)) / (12 * Step);
        }

        // Analytic gradients.
        Loss();
        foreach (KeyValuePair<(int Layer, int Direction, bool Cell), double[]> pair in finalWeights)
        {
            if (pair.Key.Cell)
            {
                tape.SetFinalCellGradient(pair.Key.Layer, pair.Key.Direction, pair.Value);
            }
            else
            {
                tape.SetFinalHiddenGradient(pair.Key.Layer, pair.Key.Direction, pair.Value);
            }
        }

        double[] gradients = new double[model.Parameters.Length];
        model.Backward(tape, r, gradients);
        double[] inputGradients = tape.InputGradients.ToArray();
        var stateGradients = new Dictionary<(int, int, bool), double[]>();
        foreach ((int k, int d, bool cell) in finalWeights.Keys)
        {
            stateGradients[(k, d, cell)] = (cell ? tape.InitialCellGradient(k, d) : tape.InitialHiddenGradient(k, d)).ToArray();
        }

        var reports = new List<Report>();

        // Every parameter, tensor by tensor so a failure names the tensor.
        foreach (TensorInfo tensor in model.Layout)
        {
            double[] numeric = new double[tensor.Length];
            for (int i = 0; i < tensor.Length; i++)
            {
                numeric[i] = Central(model.Parameters, tensor.Offset + i);
            }

            reports.Add(new Report(tensor.Name, TensorCheck.MaxRelative(numeric, gradients.AsSpan(tensor.Offset, tensor.Length), Floor), tensor.Length));
        }

        // Every input.
        double[] numericInputs = new double[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            numericInputs[i] = Central(inputs, i);
        }

        if (!spec.HasEmbedding)
        {
            reports.Add(new Report("input", TensorCheck.MaxRelative(numericInputs, inputGradients, Floor), inputs.Length));
        }

        // Every initial state.
        foreach ((int k, int d, bool cell) in finalWeights.Keys)
        {
            double[] values = (cell ? tape.InitialCell(k, d) : tape.InitialHidden(k, d)).ToArray();
            double[] numeric = new double[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                numeric[i] = Central(cell ? tape.InitialCell(k, d) : tape.InitialHidden(k, d), i);
            }

            reports.Add(new Report($"{(cell ? "c0" : "h0")}[layer {k}, direction {d}]", TensorCheck.MaxRelative(numeric, stateGradients[(k, d, cell)], Floor), values.Length));
        }

        return reports;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
