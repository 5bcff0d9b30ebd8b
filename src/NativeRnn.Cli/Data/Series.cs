using System;
using NativeRnn.Initialization;

namespace NativeRnn.Cli.Data;

/// <summary>The forecasting task's series, generated: nothing is downloaded.</summary>
internal static class Series
{
    /// <summary>
    /// The Mackey–Glass delay equation <c>dx/dt = βx(t−τ)/(1 + x(t−τ)ⁿ) − γx(t)</c> with β = 0.2, γ = 0.1, n = 10, τ = 17
    /// (chaotic), integrated with ten Euler substeps per unit of time and sampled once per unit, shifted to mean about 0.
    /// </summary>
    public static float[] MackeyGlass(int length, ulong seed)
    {
        const int tau = 17, substeps = 10;
        const double beta = 0.2, gamma = 0.1, n = 10, dt = 1.0 / substeps;
        var random = new DeterministicRandom(seed, 0x3A);
        int history = tau * substeps;
        double[] x = new double[history + ((length + 200) * substeps) + 1];
        for (int i = 0; i <= history; i++)
        {
            x[i] = 1.2 + (0.1 * random.NextDouble());
        }

        for (int i = history; i < x.Length - 1; i++)
        {
            double delayed = x[i - history];
            x[i + 1] = x[i] + (dt * ((beta * delayed / (1 + Math.Pow(delayed, n))) - (gamma * x[i])));
        }

        float[] series = new float[length];
        for (int t = 0; t < length; t++)
        {
            series[t] = (float)(x[history + ((t + 200) * substeps)] - 0.9); // 200 units of transient dropped
        }

        return series;
    }

    /// <summary>Two seasons (periods 24 and 168, as hours in a day and a week), a slow trend and Gaussian noise of σ = 0.1.</summary>
    public static float[] Seasonal(int length, ulong seed)
    {
        var random = new DeterministicRandom(seed, 0x5E);
        float[] series = new float[length];
        for (int t = 0; t < length; t++)
        {
            series[t] = (float)(Math.Sin(2 * Math.PI * t / 24) + (0.5 * Math.Sin(2 * Math.PI * t / 168)) + (0.0005 * t) + (0.1 * random.NextNormal()));
        }

        return series;
    }
}
