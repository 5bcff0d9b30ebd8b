using System;
using System.Linq;
using NativeRnn.Initialization;
using Xunit;

namespace NativeRnn.Tests.Training;

[RnnModel(InputSize = 2)]
[SimpleRnn(8, Activation = Activation.Relu, RecurrentWeights = WeightInitializer.Identity)]
[Dense(1)]
public partial class IrnnModel;

[RnnModel(InputSize = 30)]
[Lstm(40, InputWeights = WeightInitializer.GlorotNormal, RecurrentWeights = WeightInitializer.PyTorchUniform, ForgetGateBias = 0)]
[Gru(20)]
[Dense(3, Weights = WeightInitializer.Zeros)]
public partial class DeclaredInitializers;

/// <summary>Initialisers chosen in the declaration or at <c>Initialize</c>: each as its formula says, seeded and deterministic.</summary>
public class InitializerTests
{
    private static double[] Export<T>(IRecurrentModel<T> model, string name)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        TensorInfo tensor = model.Layout[name];
        T[] values = new T[tensor.Length];
        tensor.Export<T>(model.Parameters, values);
        return values.Select(v => double.CreateTruncating(v)).ToArray();
    }

    [Fact]
    public void Irnn_starts_with_identity_recurrent_weights()
    {
        double[] whh = Export(new IrnnModel(3), "weight_hh_l0");
        for (int r = 0; r < 8; r++)
        {
            for (int c = 0; c < 8; c++)
            {
                Assert.Equal(r == c ? 1.0 : 0.0, whh[(r * 8) + c]);
            }
        }
    }

    [Fact]
    public void Declared_initialisers_follow_their_formulas()
    {
        var model = new DeclaredInitializers(5);

        // Glorot normal: N(0, 2/(fan_in + fan_out)) per gate block [40, 30].
        double[] wih = Export(model, "weight_ih_l0");
        double sd = Math.Sqrt(wih.Select(v => v * v).Average());
        Assert.InRange(sd / Math.Sqrt(2.0 / (30 + 40)), 0.93, 1.07); // 4800 draws
        Assert.InRange(Math.Abs(wih.Average()), 0, 0.02);

        // PyTorch's uniform: U(−1/√H, 1/√H), H = 40.
        double[] whh = Export(model, "weight_hh_l0");
        double limit = 1 / Math.Sqrt(40);
        Assert.All(whh, v => Assert.InRange(v, -limit, limit));
        Assert.InRange(whh.Max(), 0.95 * limit, limit);

        // Forget-gate bias 0: every bias zero.
        Assert.All(Export(model, "bias_ih_l0"), v => Assert.Equal(0, v));

        // The default LSTM forget bias is 1 (the GRU has none), and a zeroed head.
        Assert.All(Export(model, "head.weight"), v => Assert.Equal(0, v));
    }

    [Fact]
    public void Options_override_the_declaration_for_one_call_and_the_same_seed_repeats()
    {
        var model = new IrnnModel(3);
        float[] declared = model.Parameters.ToArray();
        model.Initialize(3, new InitializationOptions { RecurrentWeights = WeightInitializer.Orthogonal, HeadWeights = WeightInitializer.GlorotNormal });
        double[] whh = Export(model, "weight_hh_l0");
        // Orthogonal: WᵀW = I.
        for (int i = 0; i < 8; i++)
        {
            for (int j = 0; j < 8; j++)
            {
                double dot = Enumerable.Range(0, 8).Sum(r => whh[(r * 8) + i] * whh[(r * 8) + j]);
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 1e-6);
            }
        }

        model.Initialize(3);
        Assert.Equal(declared, model.Parameters.ToArray());

        var lstm = new Models.LstmSmallD(1);
        lstm.Initialize(2, new InitializationOptions { ForgetGateBias = 0.5 });
        double[] bias = Export(lstm, "bias_ih_l0");
        Assert.All(bias.Skip(7).Take(7), v => Assert.Equal(0.5, v));
        Assert.All(bias.Take(7).Concat(bias.Skip(14)), v => Assert.Equal(0, v));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(128)]
    [InlineData(130)]
    public void Orthogonal_is_modified_gram_schmidt_twice_on_the_columns_bit_for_bit(int n)
    {
        var random = new DeterministicRandom(11, 3);
        double[] actual = new double[n * n];
        Initializers.Orthogonal(actual, n, ref random);

        var oracleRandom = new DeterministicRandom(11, 3);
        double[] expected = OrthogonalByColumns(n, ref oracleRandom);
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), actual.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(oracleRandom.NextNormal(), random.NextNormal());
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double dot = Enumerable.Range(0, n).Sum(r => actual[(r * n) + i] * actual[(r * n) + j]);
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 1e-12);
            }
        }
    }

    /// <summary>
    /// The oracle: Gaussian values row by row, then modified Gram–Schmidt twice on each column in place, each dot
    /// product as four partial sums (row r into sum r mod 4, in row order) added as (s0 + s1) + (s2 + s3).
    /// </summary>
    private static double[] OrthogonalByColumns(int n, ref DeterministicRandom random)
    {
        double[] a = new double[n * n];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = random.NextNormal();
        }

        for (int j = 0; j < n; j++)
        {
            for (int pass = 0; pass < 2; pass++)
            {
                for (int q = 0; q < j; q++)
                {
                    double[] sums = new double[4];
                    for (int r = 0; r < n; r++)
                    {
                        sums[r % 4] += a[(r * n) + q] * a[(r * n) + j];
                    }

                    double dot = (sums[0] + sums[1]) + (sums[2] + sums[3]);

                    for (int r = 0; r < n; r++)
                    {
                        a[(r * n) + j] -= dot * a[(r * n) + q];
                    }
                }
            }

            double norm = 0;
            for (int r = 0; r < n; r++)
            {
                norm += a[(r * n) + j] * a[(r * n) + j];
            }

            norm = Math.Sqrt(norm);
            for (int r = 0; r < n; r++)
            {
                a[(r * n) + j] /= norm;
            }
        }

        return a;
    }
}
