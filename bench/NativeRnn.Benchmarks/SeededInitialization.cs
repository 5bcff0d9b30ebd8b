using BenchmarkDotNet.Attributes;
using NativeRnn.Initialization;

namespace NativeRnn.Benchmarks;

/// <summary>
/// Seeded initialisation: the orthogonal gate block of a recurrent weight (the Q of a Gaussian matrix by modified
/// Gram–Schmidt, run twice) at three orders. <see cref="ModelConstruction"/> times a whole model.
/// </summary>
[BenchmarkCategory("initialization")]
public class SeededInitialization
{
    private double[] _block = [];

    /// <summary>Order of the orthogonal matrix: an LSTM or GRU of this hidden size has one per gate.</summary>
    [Params(256, 512, 1024)]
    public int Order { get; set; }

    [GlobalSetup]
    public void Setup() => _block = new double[Order * Order];

    /// <summary>One orthogonal <c>Order × Order</c> gate block.</summary>
    [Benchmark]
    public double Orthogonal()
    {
        var random = new DeterministicRandom(1, 1);
        Initializers.Orthogonal(_block, Order, ref random);
        return _block[0];
    }
}

/// <summary>Constructing a seeded model: the character model with an LSTM of hidden 256 (four orthogonal 256 × 256 blocks).</summary>
[BenchmarkCategory("initialization")]
public class ModelConstruction
{
    /// <summary><c>new CharLstm256(seed)</c>: the parameter block, then every tensor initialised from the seed.</summary>
    [Benchmark]
    public int ConstructCharLstm256() => new CharLstm256(1).Parameters.Length;
}
