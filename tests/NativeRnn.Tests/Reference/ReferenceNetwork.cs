using System;
using System.Collections.Generic;

namespace NativeRnn.Tests.Reference;

/// <summary>
/// A plain scalar implementation of the networks, written straight from the equations in
/// DESIGN.md §3 with PyTorch-layout weights, in double precision: no SIMD, no packing, no hoisting.
/// The generated code is checked against it.
/// </summary>
public sealed class ReferenceNetwork
{
    private readonly NetworkSpec _spec;
    private readonly Func<string, double[]> _tensor;

    /// <param name="spec">The architecture.</param>
    /// <param name="tensor">Returns a tensor by PyTorch name, row-major in PyTorch's shape.</param>
    public ReferenceNetwork(NetworkSpec spec, Func<string, double[]> tensor)
    {
        _spec = spec;
        _tensor = tensor;
    }

    /// <summary>The result of a forward pass.</summary>
    public sealed class Result
    {
        /// <summary>[T, B, OutputSize].</summary>
        public required double[] Outputs { get; init; }

        /// <summary>Per layer: [T, B, D·H].</summary>
        public required List<double[]> LayerOutputs { get; init; }

        /// <summary>Per (layer, direction): [B, H].</summary>
        public required Dictionary<(int Layer, int Direction), double[]> FinalHidden { get; init; }

        /// <summary>Per (layer, direction) of LSTM layers: [B, H].</summary>
        public required Dictionary<(int Layer, int Direction), double[]> FinalCell { get; init; }

        /// <summary>The smallest |pre-activation| of any ReLU unit (∞ if none): how far the pass is from a kink.</summary>
        public double MinReluMargin { get; init; }
    }

    /// <param name="inputs">[T, B, I] time-major.</param>
    /// <param name="steps">T.</param>
    /// <param name="batch">B.</param>
    /// <param name="h0">Initial hidden state of (layer, direction), [B, H]; null means zeros.</param>
    /// <param name="c0">Initial cell state of LSTM (layer, direction), [B, H]; null means zeros.</param>
    public Result Run(double[] inputs, int steps, int batch, Func<int, int, double[]?>? h0 = null, Func<int, int, double[]?>? c0 = null)
    {
        var finalHidden = new Dictionary<(int, int), double[]>();
        var finalCell = new Dictionary<(int, int), double[]>();
        var layerOutputs = new List<double[]>();
        double minMargin = double.PositiveInfinity;
        double[] x = inputs;
        for (int k = 0; k < _spec.Layers.Length; k++)
        {
            LayerSpec layer = _spec.Layers[k];
            int inWidth = _spec.InputWidth(k), h = layer.Hidden, d2 = layer.Directions;
            double[] y = new double[steps * batch * d2 * h];
            for (int d = 0; d < d2; d++)
            {
                string suffix = d == 1 ? "_reverse" : string.Empty;
                double[] wih = _tensor($"weight_ih_l{k}{suffix}");
                double[] whh = _tensor($"weight_hh_l{k}{suffix}");
                // A layer declared with Bias = false has no bias tensors: its biases are zero.
                double[] bih = layer.Bias ? _tensor($"bias_ih_l{k}{suffix}") : new double[layer.Gates * h];
                double[] bhh = layer.Bias ? _tensor($"bias_hh_l{k}{suffix}") : new double[layer.Gates * h];
                double[] hFinal = new double[batch * h];
                double[] cFinal = new double[batch * h];
                for (int b = 0; b < batch; b++)
                {
                    double[] hPrev = new double[h];
                    double[] cPrev = new double[h];
                    double[]? initH = h0?.Invoke(k, d);
                    double[]? initC = c0?.Invoke(k, d);
                    for (int j = 0; j < h; j++)
                    {
                        hPrev[j] = initH?[(b * h) + j] ?? 0;
                        cPrev[j] = initC?[(b * h) + j] ?? 0;
                    }

                    for (int s = 0; s < steps; s++)
                    {
                        int t = d == 0 ? s : steps - 1 - s;
                        double[] xt = new double[inWidth];
                        Array.Copy(x, ((t * batch) + b) * inWidth, xt, 0, inWidth);
                        double[] hNew = new double[h];
                        double[] cNew = new double[h];
                        switch (layer.Kind)
                        {
                            case LayerKind.SimpleRnn:
                                for (int j = 0; j < h; j++)
                                {
                                    // h' = g(W_ih x + b_ih + W_hh h + b_hh)
                                    double z = Row(wih, j, xt) + bih[j] + Row(whh, j, hPrev) + bhh[j];
                                    if (layer.Activation == Activation.Relu)
                                    {
                                        minMargin = Math.Min(minMargin, Math.Abs(z));
                                    }

                                    hNew[j] = layer.Activation switch
                                    {
                                        Activation.Relu => Math.Max(z, 0),
                                        Activation.Sigmoid => Sigmoid(z),
                                        _ => Math.Tanh(z),
                                    };
                                }

                                break;
                            case LayerKind.Lstm:
                                for (int j = 0; j < h; j++)
                                {
                                    // Gate order i, f, g, o: rows j, H + j, 2H + j, 3H + j.
                                    double zi = Row(wih, j, xt) + bih[j] + Row(whh, j, hPrev) + bhh[j];
                                    double zf = Row(wih, h + j, xt) + bih[h + j] + Row(whh, h + j, hPrev) + bhh[h + j];
                                    double zg = Row(wih, (2 * h) + j, xt) + bih[(2 * h) + j] + Row(whh, (2 * h) + j, hPrev) + bhh[(2 * h) + j];
                                    double zo = Row(wih, (3 * h) + j, xt) + bih[(3 * h) + j] + Row(whh, (3 * h) + j, hPrev) + bhh[(3 * h) + j];
                                    double i = Sigmoid(zi), f = Sigmoid(zf), g = Math.Tanh(zg), o = Sigmoid(zo);

                                    // c' = f ⊙ c + i ⊙ g;  h' = o ⊙ tanh(c')
                                    cNew[j] = (f * cPrev[j]) + (i * g);
                                    hNew[j] = o * Math.Tanh(cNew[j]);
                                }

                                break;
                            case LayerKind.Gru:
                            {
                                double[] r = new double[h];
                                double[] z = new double[h];
                                for (int j = 0; j < h; j++)
                                {
                                    // Gate order r, z, n.
                                    r[j] = Sigmoid(Row(wih, j, xt) + bih[j] + Row(whh, j, hPrev) + bhh[j]);
                                    z[j] = Sigmoid(Row(wih, h + j, xt) + bih[h + j] + Row(whh, h + j, hPrev) + bhh[h + j]);
                                }

                                double[] rh = new double[h];
                                for (int j = 0; j < h; j++)
                                {
                                    rh[j] = r[j] * hPrev[j];
                                }

                                for (int j = 0; j < h; j++)
                                {
                                    double xn = Row(wih, (2 * h) + j, xt) + bih[(2 * h) + j];
                                    double n = layer.ResetAfter
                                        ? Math.Tanh(xn + (r[j] * (Row(whh, (2 * h) + j, hPrev) + bhh[(2 * h) + j])))  // r ⊙ (W_hn h + b_hn)
                                        : Math.Tanh(xn + Row(whh, (2 * h) + j, rh) + bhh[(2 * h) + j]);              // W_hn (r ⊙ h) + b_hn

                                    // h' = (1 − z) ⊙ n + z ⊙ h
                                    hNew[j] = ((1 - z[j]) * n) + (z[j] * hPrev[j]);
                                }
                            }

                            break;
                            default:
                                throw new NotSupportedException($"The reference has no {layer.Kind} cell.");
                        }

                        hPrev = hNew;
                        cPrev = cNew;
                        Array.Copy(hNew, 0, y, (((t * batch) + b) * d2 * h) + (d * h), h);
                    }

                    Array.Copy(hPrev, 0, hFinal, b * h, h);
                    Array.Copy(cPrev, 0, cFinal, b * h, h);
                }

                finalHidden[(k, d)] = hFinal;
                if (layer.Kind == LayerKind.Lstm)
                {
                    finalCell[(k, d)] = cFinal;
                }
            }

            layerOutputs.Add(y);
            x = y;
        }

        double[] outputs = x;
        if (_spec.HeadOutputs > 0)
        {
            // y_t = W h_t + b
            double[] w = _tensor("head.weight");
            double[] bias = _tensor("head.bias");
            int width = _spec.TopWidth, o = _spec.HeadOutputs, rows = steps * batch;
            outputs = new double[rows * o];
            for (int r = 0; r < rows; r++)
            {
                double[] hr = new double[width];
                Array.Copy(x, r * width, hr, 0, width);
                for (int j = 0; j < o; j++)
                {
                    outputs[(r * o) + j] = Row(w, j, hr) + bias[j];
                }
            }
        }

        return new Result
        {
            Outputs = outputs,
            LayerOutputs = layerOutputs,
            FinalHidden = finalHidden,
            FinalCell = finalCell,
            MinReluMargin = minMargin,
        };
    }

    /// <summary>Runs a token model: <c>x_t = E[token_t]</c>, then <see cref="Run"/>.</summary>
    public Result RunTokens(int[] tokens, int steps, int batch, Func<int, int, double[]?>? h0 = null, Func<int, int, double[]?>? c0 = null)
        => Run(Embed(tokens), steps, batch, h0, c0);

    /// <summary>The embedded inputs <c>[T·B, E]</c> of a token sequence.</summary>
    public double[] Embed(int[] tokens)
    {
        double[] table = _tensor("embedding.weight");
        int width = _spec.InputSize;
        double[] x = new double[tokens.Length * width];
        for (int r = 0; r < tokens.Length; r++)
        {
            Array.Copy(table, tokens[r] * width, x, r * width, width);
        }

        return x;
    }

    /// <summary>Σ_c W[row, c] v[c] for a row-major W with v.Length columns.</summary>
    private static double Row(double[] w, int row, double[] v)
    {
        double sum = 0;
        for (int c = 0; c < v.Length; c++)
        {
            sum += w[(row * v.Length) + c] * v[c];
        }

        return sum;
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
