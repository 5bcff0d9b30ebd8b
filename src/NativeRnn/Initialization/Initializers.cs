using System;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        // each element was a cache line of its own), and each dot product is four partial sums (Dot), so the
        // additions are not one chain of n: at n = 1024, 1.4 s a matrix in one chain.
        Transpose(values, n);
        for (int j = 0; j < n; j++)
        {
            Span<double> column = values.Slice(j * n, n);
            double originalNorm = Norm(column);
            for (int pass = 0; pass < 2 && j > 0; pass++)
            {
                // Each projection is removed before the next is measured (modified Gram–Schmidt); one loop removes
                // column q's and measures column q + 1's.
                double dot = Dot(values.Slice(0, n), column);
                for (int q = 0; q < j; q++)
                {
                    ReadOnlySpan<double> next = values.Slice((q + 1 < j ? q + 1 : q) * n, n);
                    dot = RemoveAndDot(column, dot, values.Slice(q * n, n), next);
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

    /// <summary>
    /// <c>a · b</c> as four partial sums — element r goes to sum r mod 4, each summed in row order — then
    /// <c>(s0 + s1) + (s2 + s3)</c>: the same bits with 256-bit vectors, without them, and on every machine.
    /// </summary>
    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int r = 0, n = a.Length;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double ra = ref MemoryMarshal.GetReference(a);
            ref double rb = ref MemoryMarshal.GetReference(b);
            Vector256<double> sum = Vector256<double>.Zero;
            for (; r + 4 <= n; r += 4)
            {
                sum += Vector256.LoadUnsafe(ref ra, (nuint)r) * Vector256.LoadUnsafe(ref rb, (nuint)r);
            }

            (s0, s1, s2, s3) = (sum.GetElement(0), sum.GetElement(1), sum.GetElement(2), sum.GetElement(3));
        }
        else
        {
            for (; r + 4 <= n; r += 4)
            {
                s0 += a[r] * b[r];
                s1 += a[r + 1] * b[r + 1];
                s2 += a[r + 2] * b[r + 2];
                s3 += a[r + 3] * b[r + 3];
            }
        }

        AddTail(a, b, r, ref s0, ref s1, ref s2);
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary><c>column −= dot · basis</c>, then returns <c>next · column</c> summed as <see cref="Dot"/> sums, in the same pass.</summary>
    private static double RemoveAndDot(Span<double> column, double dot, ReadOnlySpan<double> basis, ReadOnlySpan<double> next)
    {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int r = 0, n = column.Length;
        if (Vector256.IsHardwareAccelerated)
        {
            ref double rc = ref MemoryMarshal.GetReference(column);
            ref double rb = ref MemoryMarshal.GetReference(basis);
            ref double rn = ref MemoryMarshal.GetReference(next);
            Vector256<double> d = Vector256.Create(dot);
            Vector256<double> sum = Vector256<double>.Zero;
            for (; r + 4 <= n; r += 4)
            {
                Vector256<double> c = Vector256.LoadUnsafe(ref rc, (nuint)r) - (d * Vector256.LoadUnsafe(ref rb, (nuint)r));
                c.StoreUnsafe(ref rc, (nuint)r);
                sum += Vector256.LoadUnsafe(ref rn, (nuint)r) * c;
            }

            (s0, s1, s2, s3) = (sum.GetElement(0), sum.GetElement(1), sum.GetElement(2), sum.GetElement(3));
        }
        else
        {
            for (; r + 4 <= n; r += 4)
            {
                column[r] -= dot * basis[r];
                column[r + 1] -= dot * basis[r + 1];
                column[r + 2] -= dot * basis[r + 2];
                column[r + 3] -= dot * basis[r + 3];
                s0 += next[r] * column[r];
                s1 += next[r + 1] * column[r + 1];
                s2 += next[r + 2] * column[r + 2];
                s3 += next[r + 3] * column[r + 3];
            }
        }

        for (int t = r; t < n; t++)
        {
            column[t] -= dot * basis[t];
        }

        AddTail(next, column, r, ref s0, ref s1, ref s2);
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>The last <c>n mod 4</c> products of a dot product, each into its partial sum.</summary>
    private static void AddTail(ReadOnlySpan<double> a, ReadOnlySpan<double> b, int r, ref double s0, ref double s1, ref double s2)
    {
        if (r < a.Length)
        {
            s0 += a[r] * b[r];
        }

        if (r + 1 < a.Length)
        {
            s1 += a[r + 1] * b[r + 1];
        }

        if (r + 2 < a.Length)
        {
            s2 += a[r + 2] * b[r + 2];
        }
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
