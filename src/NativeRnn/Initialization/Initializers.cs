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

        // Modified Gram–Schmidt on the columns, run twice ("twice is enough") for orthogonality to rounding. The
        // columns are worked on as rows of the transpose, so every pass reads memory in order (column by column,
        // each element was a cache line of its own: 2.4 s at n = 512); the arithmetic, and so every bit of the
        // result, is the same as on the columns in place.
        Transpose(values, n);
        for (int j = 0; j < n; j++)
        {
            Span<double> column = values.Slice(j * n, n);
            double originalNorm = Norm(column);
            for (int pass = 0; pass < 2; pass++)
            {
                if (j == 0)
                {
                    break;
                }

                // Each projection is removed before the next is measured (modified Gram–Schmidt); one loop removes
                // column q's and sums the dot product with column q + 1, each in the order of the rows.
                double dot = Dot(values.Slice(0, n), column);
                for (int q = 0; q < j; q++)
                {
                    ReadOnlySpan<double> basis = values.Slice(q * n, n);
                    if (q + 1 < j)
                    {
                        ReadOnlySpan<double> next = values.Slice((q + 1) * n, n);
                        double nextDot = 0;
                        for (int r = 0; r < column.Length; r++)
                        {
                            column[r] -= dot * basis[r];
                            nextDot += next[r] * column[r];
                        }

                        dot = nextDot;
                    }
                    else
                    {
                        for (int r = 0; r < column.Length; r++)
                        {
                            column[r] -= dot * basis[r];
                        }
                    }
                }
            }

            double norm = Norm(column);
            if (norm < 1e-8 * originalNorm || norm == 0)
            {
                // A (practically impossible) dependent column: replace it by a fresh unit vector direction.
                for (int r = 0; r < n; r++)
                {
                    column[r] = random.NextNormal();
                }

                j--;
                continue;
            }

            // Dividing by the positive norm keeps R's diagonal positive.
            for (int r = 0; r < n; r++)
            {
                column[r] /= norm;
            }
        }

        Transpose(values, n);
    }

    private static void Transpose(Span<double> values, int n)
    {
        for (int r = 0; r < n; r++)
        {
            for (int c = r + 1; c < n; c++)
            {
                (values[(r * n) + c], values[(c * n) + r]) = (values[(c * n) + r], values[(r * n) + c]);
            }
        }
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (int r = 0; r < a.Length; r++)
        {
            sum += a[r] * b[r];
        }

        return sum;
    }

    private static double Norm(ReadOnlySpan<double> column)
    {
        double sum = 0;
        for (int r = 0; r < column.Length; r++)
        {
            double v = column[r];
            sum += v * v;
        }

        return Math.Sqrt(sum);
    }
}
