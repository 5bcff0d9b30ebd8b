using System;

namespace NativeRnn.Initialization;

/// <summary>
/// The standard initialisers, written in double precision into row-major (PyTorch-layout) buffers.
/// </summary>
public static class Initializers
{
    /// <summary>
    /// Glorot (Xavier) uniform: <c>U(−a, a)</c> with <c>a = √(6 / (fanIn + fanOut))</c>.
    /// </summary>
    /// <param name="values">Row-major <c>[rows, columns]</c> destination.</param>
    /// <param name="fanIn">Inputs of the layer.</param>
    /// <param name="fanOut">Outputs of the layer.</param>
    /// <param name="random">The random stream.</param>
    public static void GlorotUniform(Span<double> values, int fanIn, int fanOut, ref DeterministicRandom random)
    {
        double limit = Math.Sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.NextUniform(-limit, limit);
        }
    }

    /// <summary>
    /// Glorot (Xavier) normal: <c>N(0, σ²)</c> with <c>σ = √(2 / (fanIn + fanOut))</c>.
    /// </summary>
    /// <param name="values">Row-major <c>[rows, columns]</c> destination.</param>
    /// <param name="fanIn">Inputs of the layer.</param>
    /// <param name="fanOut">Outputs of the layer.</param>
    /// <param name="random">The random stream.</param>
    public static void GlorotNormal(Span<double> values, int fanIn, int fanOut, ref DeterministicRandom random)
        => Normal(values, 0, Math.Sqrt(2.0 / (fanIn + fanOut)), ref random);

    /// <summary>PyTorch's default for recurrent layers: <c>U(−k, k)</c> with <c>k = 1/√hidden</c>.</summary>
    /// <param name="values">Destination.</param>
    /// <param name="hidden">The layer's hidden size.</param>
    /// <param name="random">The random stream.</param>
    public static void PyTorchUniform(Span<double> values, int hidden, ref DeterministicRandom random)
    {
        double limit = 1 / Math.Sqrt(hidden);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.NextUniform(-limit, limit);
        }
    }

    /// <summary>The identity matrix <c>I_n</c> (row-major <c>[n, n]</c>).</summary>
    /// <param name="values">Destination of <c>n²</c> values.</param>
    /// <param name="n">Order of the matrix.</param>
    /// <exception cref="ArgumentException">The span does not hold <c>n²</c> values.</exception>
    public static void Identity(Span<double> values, int n)
    {
        if (values.Length != n * n)
        {
            throw new ArgumentException($"An identity {n}×{n} matrix needs {n * n} values but the span has {values.Length}.", nameof(values));
        }

        values.Clear();
        for (int i = 0; i < n; i++)
        {
            values[(i * n) + i] = 1;
        }
    }

    /// <summary>Independent normal samples with the given mean and standard deviation.</summary>
    /// <param name="values">Destination.</param>
    /// <param name="mean">Mean.</param>
    /// <param name="standardDeviation">Standard deviation.</param>
    /// <param name="random">The random stream.</param>
    public static void Normal(Span<double> values, double mean, double standardDeviation, ref DeterministicRandom random)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = mean + (standardDeviation * random.NextNormal());
        }
    }

    /// <summary>
    /// A random orthogonal <c>n×n</c> matrix (Saxe et al. 2014): the Q of a QR factorisation of a
    /// Gaussian matrix, with Q's columns signed so that R's diagonal is positive, which makes Q uniform
    /// (Haar) over the orthogonal group. Recurrent weights start as a rotation, so repeated
    /// multiplication by them neither explodes nor vanishes at first.
    /// </summary>
    /// <param name="values">Row-major <c>[n, n]</c> destination.</param>
    /// <param name="n">Order of the matrix.</param>
    /// <param name="random">The random stream.</param>
    public static void Orthogonal(Span<double> values, int n, ref DeterministicRandom random)
    {
        if (values.Length != n * n)
        {
            throw new ArgumentException($"An orthogonal {n}×{n} matrix needs {n * n} values but the span has {values.Length}.", nameof(values));
        }

        for (int i = 0; i < values.Length; i++)
        {
            values[i] = random.NextNormal();
        }

        // Modified Gram–Schmidt on the columns, run twice ("twice is enough") for orthogonality to rounding.
        for (int j = 0; j < n; j++)
        {
            double originalNorm = ColumnNorm(values, n, j);
            for (int pass = 0; pass < 2; pass++)
            {
                for (int q = 0; q < j; q++)
                {
                    double dot = 0;
                    for (int r = 0; r < n; r++)
                    {
                        dot += values[(r * n) + q] * values[(r * n) + j];
                    }

                    for (int r = 0; r < n; r++)
                    {
                        values[(r * n) + j] -= dot * values[(r * n) + q];
                    }
                }
            }

            double norm = ColumnNorm(values, n, j);
            if (norm < 1e-8 * originalNorm || norm == 0)
            {
                // A (practically impossible) dependent column: replace it by a fresh unit vector direction.
                for (int r = 0; r < n; r++)
                {
                    values[(r * n) + j] = random.NextNormal();
                }

                j--;
                continue;
            }

            // Dividing by the positive norm keeps R's diagonal positive.
            for (int r = 0; r < n; r++)
            {
                values[(r * n) + j] /= norm;
            }
        }
    }

    private static double ColumnNorm(ReadOnlySpan<double> values, int n, int column)
    {
        double sum = 0;
        for (int r = 0; r < n; r++)
        {
            double v = values[(r * n) + column];
            sum += v * v;
        }

        return Math.Sqrt(sum);
    }
}
