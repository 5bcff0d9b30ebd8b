using System;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Models;
using Xunit;

namespace NativeRnn.Tests;

/// <summary>
/// The seeds' GRU, <c>h' = (1 − z̃) ⊙ h + z̃ ⊙ ñ</c> with <c>ñ = tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn)</c>,
/// is the reset-before GRU once <see cref="GruConventions.ConvertUpdateGate{T}"/> negates the z rows.
/// </summary>
public class GruConventionTests
{
    [Fact]
    public void Seeds_form_maps_onto_the_reset_before_gru()
    {
        const int hidden = 9, input = 3, steps = 6;
        double[] wih = ModelTools.Uniform(11, 1, 3 * hidden * input, 0.6);
        double[] whh = ModelTools.Uniform(11, 2, 3 * hidden * hidden, 0.6);
        double[] bih = ModelTools.Uniform(11, 3, 3 * hidden, 0.3);
        double[] bhh = ModelTools.Uniform(11, 4, 3 * hidden, 0.3);
        double[] x = ModelTools.Uniform(11, 5, steps * input, 1);

        // The seeds' equations, written directly.
        double[] h = new double[hidden];
        double[] expected = new double[steps * hidden];
        for (int t = 0; t < steps; t++)
        {
            double[] r = new double[hidden], zTilde = new double[hidden], next = new double[hidden];
            for (int j = 0; j < hidden; j++)
            {
                r[j] = Sigmoid(Dot(wih, j, x, t * input, input) + bih[j] + Dot(whh, j, h, 0, hidden) + bhh[j]);
                zTilde[j] = Sigmoid(Dot(wih, hidden + j, x, t * input, input) + bih[hidden + j] + Dot(whh, hidden + j, h, 0, hidden) + bhh[hidden + j]);
            }

            double[] rh = new double[hidden];
            for (int j = 0; j < hidden; j++)
            {
                rh[j] = r[j] * h[j];
            }

            for (int j = 0; j < hidden; j++)
            {
                double candidate = Math.Tanh(Dot(wih, (2 * hidden) + j, x, t * input, input) + bih[(2 * hidden) + j] + Dot(whh, (2 * hidden) + j, rh, 0, hidden) + bhh[(2 * hidden) + j]);
                next[j] = ((1 - zTilde[j]) * h[j]) + (zTilde[j] * candidate);
            }

            h = next;
            Array.Copy(h, 0, expected, t * hidden, hidden);
        }

        // The same parameters, converted, in a generated reset-before GRU.
        GruConventions.ConvertUpdateGate<double>(wih, whh, bih, bhh, hidden);
        var model = new FixtureGruBeforeD();
        model.ImportTensor("weight_ih_l0", wih);
        model.ImportTensor("weight_hh_l0", whh);
        model.ImportTensor("bias_ih_l0", bih);
        model.ImportTensor("bias_hh_l0", bhh);
        var state = new FixtureGruBeforeD.State();
        double[] actual = new double[steps * hidden];
        model.Forward(ref state, x, actual);
        TensorCheck.Close<double>(expected, actual, 1e-14, "seeds-form GRU");

        // The conversion is its own inverse.
        double[] copy = (double[])wih.Clone();
        GruConventions.ConvertUpdateGate<double>(wih, whh, bih, bhh, hidden);
        GruConventions.ConvertUpdateGate<double>(wih, whh, bih, bhh, hidden);
        Assert.Equal(copy, wih);
    }

    private static double Dot(double[] w, int row, double[] v, int offset, int length)
    {
        double sum = 0;
        for (int c = 0; c < length; c++)
        {
            sum += w[(row * length) + c] * v[offset + c];
        }

        return sum;
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
