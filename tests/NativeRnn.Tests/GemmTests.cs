using System;
using FsCheck;
using FsCheck.Fluent;
using NativeRnn.Kernels;
using NativeRnn.Tests.Helpers;
using Xunit;

namespace NativeRnn.Tests;

/// <summary>
/// The matrix products against a plain triple loop in double, over sizes that cross every register block, the
/// 64-row blocks and the slices of the inner dimension, with padded leading dimensions and partial panel ranges.
/// </summary>
public class GemmTests
{
    private static Gen<(int M, int N, int K, int Seed)> Sizes()
        => from m in Gen.Choose(1, 80)
           from n in Gen.Choose(1, 150)
           from k in Gen.Choose(1, 300)
           from seed in Gen.Choose(0, int.MaxValue)
           select (m, n, k, seed);

    /// <summary>Values uniform in [−1, 1], from the test's seed and one stream per matrix.</summary>
    private static float[] Random(int length, int seed, ulong stream)
        => ModelTools.Convert<float>(ModelTools.Uniform((ulong)seed, stream, length));

    /// <summary>A row-major <paramref name="rows"/>×<paramref name="columns"/> matrix in the panel-major layout of <see cref="Panels"/>.</summary>
    private static T[] ToPanels<T>(T[] rowMajor, int rows, int columns)
        where T : unmanaged
    {
        var panels = new T[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                panels[Panels.Index(r, c, rows, columns, Panels.Width<T>())] = rowMajor[(r * columns) + c];
            }
        }

        return panels;
    }

    /// <summary>Asserts |c − (c₀ + Σ a·b)| within float rounding of the terms' magnitudes, element by element.</summary>
    private static void Check(int m, int n, int k, Func<int, int, float> c0, Func<int, int, float> c, Func<int, int, float> a, Func<int, int, float> b)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = c0(i, j), magnitude = Math.Abs(c0(i, j));
                for (int p = 0; p < k; p++)
                {
                    sum += (double)a(i, p) * b(p, j);
                    magnitude += Math.Abs((double)a(i, p) * b(p, j));
                }

                double error = Math.Abs(c(i, j) - sum);
                Assert.True(error <= 2e-7 * (k + 2) * magnitude + 1e-30, $"C[{i}, {j}] of {m}×{n}×{k}: {c(i, j)} against {sum}");
            }
        }
    }

    [Fact]
    public void Row_major_products_match_the_plain_loop()
    {
        Prop.ForAll(Sizes().ToArbitrary(), size =>
        {
            (int m, int n, int k) = (size.M, size.N, size.K);
            // Half the cases give B a row stride of at least 2 KiB, where its slices are copied before use.
            int lda = k + (size.Seed % 3), ldb = n + (size.Seed % 5) + (size.Seed / 3 % 2 * 512), ldc = n + (size.Seed % 2);
            float[] a = Random(m * lda, size.Seed, 1), b = Random(k * ldb, size.Seed, 2), c = Random(m * ldc, size.Seed, 3), start = (float[])c.Clone();
            Gemm.MultiplyAdd<float>(m, n, k, a, lda, b, ldb, c, ldc);
            Check(m, n, k, (i, j) => start[(i * ldc) + j], (i, j) => c[(i * ldc) + j], (i, p) => a[(i * lda) + p], (p, j) => b[(p * ldb) + j]);

            // Aᵀ·B with A stored [k×m].
            float[] at = Random(k * (m + 1), size.Seed, 4), ct = (float[])start.Clone();
            Gemm.MultiplyAddTransposedA<float>(m, n, k, at, m + 1, b, ldb, ct, ldc);
            Check(m, n, k, (i, j) => start[(i * ldc) + j], (i, j) => ct[(i * ldc) + j], (i, p) => at[(p * (m + 1)) + i], (p, j) => b[(p * ldb) + j]);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Panel_products_match_the_plain_loop_over_any_column_range()
    {
        Prop.ForAll(Sizes().ToArbitrary(), size =>
        {
            (int m, int columns, int k) = (size.M, size.N, size.K);
            int panelWidth = Panels.Width<float>(), first = size.Seed % columns, count = 1 + (size.Seed / 7 % (columns - first));

            // C[m, count] += A[m×k] · B[:, first..first+count) with B panel-major [k, columns].
            float[] a = Random(m * k, size.Seed, 5), b = Random(k * columns, size.Seed, 6), c = Random(m * count, size.Seed, 7), start = (float[])c.Clone();
            Gemm.MultiplyAddPanels<float>(m, k, a, k, b, columns, panelWidth, first, count, c, count);
            Check(m, count, k, (i, j) => start[(i * count) + j], (i, j) => c[(i * count) + j], (i, p) => a[(i * k) + p], (p, j) => b[Panels.Index(p, first + j, k, columns, panelWidth)]);

            // C[:, first..first+count) += Aᵀ · B with C panel-major [m, columns] and A stored [k×m].
            int ldbt = count + (size.Seed / 3 % 2 * 512);
            float[] at = Random(k * m, size.Seed, 8), bt = Random(k * ldbt, size.Seed, 9), cp = Random(m * columns, size.Seed, 10), startP = (float[])cp.Clone();
            Gemm.MultiplyAddTransposedAPanels<float>(m, k, at, m, bt, ldbt, cp, columns, panelWidth, first, count);
            Check(m, count, k, (i, j) => startP[Panels.Index(i, first + j, m, columns, panelWidth)], (i, j) => cp[Panels.Index(i, first + j, m, columns, panelWidth)], (i, p) => at[(p * m) + i], (p, j) => bt[(p * ldbt) + j]);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < columns; j++)
                {
                    if (j < first || j >= first + count)
                    {
                        int index = Panels.Index(i, j, m, columns, panelWidth);
                        Assert.Equal(startP[index], cp[index]); // columns outside the range are untouched
                    }
                }
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Transposing_between_panel_layouts_moves_every_element_to_its_place()
    {
        Prop.ForAll(Sizes().ToArbitrary(), size =>
        {
            (int rows, int columns) = (size.M, size.N);
            int panelWidth = 1 + (size.Seed % 70), first = size.Seed / 3 % columns, count = 1 + (size.Seed / 11 % (columns - first));
            float[] x = Random(rows * columns, size.Seed, 11), y = new float[count * rows];
            Rows.TransposePanelsToPanels<float>(x, rows, columns, panelWidth, first, count, y);
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < count; c++)
                {
                    Assert.Equal(x[Panels.Index(r, first + c, rows, columns, panelWidth)], y[Panels.Index(c, r, count, rows, panelWidth)]);
                }
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_panel_major_B_gives_the_row_major_product_bit_for_bit()
    {
        // The backward products read the untransposed weights panel-major (Rows.TransposePanelsToPanels); training
        // stays the same to the bit only if every element is summed in the same order in both layouts.
        Prop.ForAll(Sizes().ToArbitrary(), size =>
        {
            (int m, int n, int k) = (size.M, size.N, size.K);
            float[] a = Random(m * k, size.Seed, 12), b = Random(k * n, size.Seed, 13), c = Random(m * n, size.Seed, 14);
            float[] rowMajor = (float[])c.Clone(), panelMajor = (float[])c.Clone(), packed = ToPanels(b, k, n);

            Gemm.MultiplyAdd<float>(m, n, k, a, k, b, n, rowMajor, n);
            Gemm.MultiplyAddPanels<float>(m, k, a, k, packed, n, Panels.Width<float>(), 0, n, panelMajor, n);
            Assert.Equal(rowMajor, panelMajor);

            double[] ad = Array.ConvertAll(a, v => (double)v), bd = Array.ConvertAll(b, v => (double)v), cd = Array.ConvertAll(c, v => (double)v);
            double[] rowMajorD = (double[])cd.Clone(), panelMajorD = (double[])cd.Clone(), packedD = ToPanels(bd, k, n);

            Gemm.MultiplyAdd<double>(m, n, k, ad, k, bd, n, rowMajorD, n);
            Gemm.MultiplyAddPanels<double>(m, k, ad, k, packedD, n, Panels.Width<double>(), 0, n, panelMajorD, n);
            Assert.Equal(rowMajorD, panelMajorD);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Long_panel_products_taken_in_row_chunks_and_depth_slices_give_the_one_pass_result_bit_for_bit()
    {
        // A deep product (k = 4000) makes MultiplyAddPanels split A's rows into chunks (64 rows for any L2 up to
        // 2 MiB) and MultiplyAddTransposedAPanels take one 64-deep slice across all panels at a time; neither may
        // change a sum's order, so both must equal the single-pass row-major products exactly.
        const int m = 200, n = 130, k = 4000, seed = 17;
        int panelWidth = Panels.Width<float>();
        float[] a = Random(m * k, seed, 15), b = Random(k * n, seed, 16), c = Random(m * n, seed, 17), packedB = ToPanels(b, k, n);

        float[] rowMajor = (float[])c.Clone(), panelMajor = (float[])c.Clone();
        Gemm.MultiplyAdd<float>(m, n, k, a, k, b, n, rowMajor, n);
        Gemm.MultiplyAddPanels<float>(m, k, a, k, packedB, n, panelWidth, 0, n, panelMajor, n);
        Assert.Equal(rowMajor, panelMajor);
        Check(m, n, k, (i, j) => c[(i * n) + j], (i, j) => panelMajor[(i * n) + j], (i, p) => a[(i * k) + p], (p, j) => b[(p * n) + j]);

        // Aᵀ·B with A stored [k×m], into C panel-major.
        float[] at = Random(k * m, seed, 18), transposed = (float[])c.Clone(), panelC = ToPanels(c, m, n);

        Gemm.MultiplyAddTransposedA<float>(m, n, k, at, m, b, n, transposed, n);
        Gemm.MultiplyAddTransposedAPanels<float>(m, k, at, m, b, n, panelC, n, panelWidth, 0, n);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                Assert.Equal(transposed[(i * n) + j], panelC[Panels.Index(i, j, m, n, panelWidth)]);
            }
        }
    }

    [Fact]
    public void Two_bias_sums_in_one_pass_equal_two_single_sums_bit_for_bit()
    {
        Prop.ForAll(Sizes().ToArbitrary(), size =>
        {
            (int rows, int columns) = (size.M * 3, size.N);
            int ld = columns + (size.Seed % 3);
            float[] x = Random(rows * ld, size.Seed, 19), first = Random(columns, size.Seed, 20), second = Random(columns, size.Seed, 21);
            float[] expectedFirst = (float[])first.Clone(), expectedSecond = (float[])second.Clone();
            Rows.SumInto<float>(x, rows, columns, ld, expectedFirst);
            Rows.SumInto<float>(x, rows, columns, ld, expectedSecond);
            Rows.SumInto<float>(x, rows, columns, ld, first, second);
            Assert.Equal(expectedFirst, first);
            Assert.Equal(expectedSecond, second);
        }).QuickCheckThrowOnFailure();
    }
}
