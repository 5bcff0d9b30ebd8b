using BenchmarkDotNet.Attributes;
using NativeRnn.Training;

namespace NativeRnn.Benchmarks;

/// <summary>
/// One training step of the char-model workload (DESIGN.md §5) through the <see cref="Trainer{T}"/>: forward over 32
/// sequences × 64 tokens, softmax cross-entropy, BPTT, clipping by global norm 5, and an SGD or Adam update, on one
/// thread or two (data parallelism: each thread half of the sequences, its own tape and gradient block).
/// </summary>
[BenchmarkCategory("training")]
public class TrainingStep
{
    private const int Steps = 64, Batch = 32, Vocabulary = 65, Rows = Steps * Batch;
    private Trainer<float> _trainer = null!;
    private Batch<float> _batch = null!;

    /// <summary>The recurrent layer.</summary>
    [Params("Lstm", "Gru", "Rnn")]
    public string Cell { get; set; } = "Lstm";

    /// <summary>Its hidden size.</summary>
    [Params(64, 128, 256)]
    public int Hidden { get; set; } = 64;

    /// <summary>The update rule.</summary>
    [Params("Sgd", "Adam")]
    public string Optimizer { get; set; } = "Sgd";

    /// <summary>Threads sharing each batch.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>FLOPs of one step: the forward products (input projection, recurrence, head) and twice that backward.</summary>
    public static double Flops(int gates, int hidden) => 3.0 * 2 * Rows * ((64.0 * gates * hidden) + ((double)hidden * gates * hidden) + ((double)hidden * Vocabulary));

    [GlobalSetup]
    public void Setup()
    {
        IRecurrentModel<float> model = (Cell, Hidden) switch
        {
            ("Lstm", 64) => new CharLstm64(1),
            ("Lstm", 128) => new CharLstm128(1),
            ("Lstm", 256) => new CharLstm256(1),
            ("Gru", 64) => new CharGru64(1),
            ("Gru", 128) => new CharGru128(1),
            ("Gru", 256) => new CharGru256(1),
            ("Rnn", 64) => new CharRnn64(1),
            ("Rnn", 128) => new CharRnn128(1),
            _ => new CharRnn256(1),
        };
        int count = model.Parameters.Length;
        Optimizer<float> optimizer = Optimizer == "Adam" ? new Adam<float>(count, 1e-3) : new Sgd<float>(count, 0.1);
        _trainer = new Trainer<float>(model, optimizer, Steps, Batch, new TrainerOptions { ClipNorm = 5, Threads = Threads });
        _batch = new Batch<float>(Steps, Batch, 0, 0);
        var random = new Initialization.DeterministicRandom(1, 1);
        for (int i = 0; i < Rows; i++)
        {
            _batch.Tokens[i] = random.NextInt(Vocabulary);
            _batch.Classes[i] = random.NextInt(Vocabulary);
        }

        int gates = Cell switch { "Lstm" => 4, "Gru" => 3, _ => 1 };
        Work.Register($"{nameof(Step)}({nameof(Cell)}={Cell}, {nameof(Hidden)}={Hidden}, {nameof(Optimizer)}={Optimizer}, {nameof(Threads)}={Threads})", Flops(gates, Hidden));
    }

    [GlobalCleanup]
    public void Cleanup() => _trainer.Dispose();

    [Benchmark]
    public double Step() => _trainer.Step(_batch).Loss;
}
