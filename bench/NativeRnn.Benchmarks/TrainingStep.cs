using BenchmarkDotNet.Attributes;
using NativeRnn.Training;

namespace NativeRnn.Benchmarks;

/// <summary>
/// One training iteration of the char-model workload (DESIGN.md §5): forward over 32 sequences × 64
/// tokens, softmax cross-entropy, BPTT, clipping by global norm 5, SGD. One core.
/// </summary>
[BenchmarkCategory("training")]
public class TrainingStep
{
    private const int Steps = 64, Batch = 32, Vocabulary = 65, Rows = Steps * Batch;
    private readonly int[] _tokens = new int[Rows], _targets = new int[Rows];
    private readonly float[] _logits = new float[Rows * Vocabulary], _dLogits = new float[Rows * Vocabulary];
    private readonly Sgd _sgd = new(0.1);

    private readonly CharLstm64 _charLstm64 = new(1);
    private readonly CharLstm64.Tape _charLstm64Tape = new(Steps, Batch);
    private readonly float[] _charLstm64Gradients = new float[CharLstm64.ParameterCount];
    private readonly CharLstm128 _charLstm128 = new(1);
    private readonly CharLstm128.Tape _charLstm128Tape = new(Steps, Batch);
    private readonly float[] _charLstm128Gradients = new float[CharLstm128.ParameterCount];
    private readonly CharLstm256 _charLstm256 = new(1);
    private readonly CharLstm256.Tape _charLstm256Tape = new(Steps, Batch);
    private readonly float[] _charLstm256Gradients = new float[CharLstm256.ParameterCount];
    private readonly CharGru64 _charGru64 = new(1);
    private readonly CharGru64.Tape _charGru64Tape = new(Steps, Batch);
    private readonly float[] _charGru64Gradients = new float[CharGru64.ParameterCount];
    private readonly CharGru128 _charGru128 = new(1);
    private readonly CharGru128.Tape _charGru128Tape = new(Steps, Batch);
    private readonly float[] _charGru128Gradients = new float[CharGru128.ParameterCount];
    private readonly CharGru256 _charGru256 = new(1);
    private readonly CharGru256.Tape _charGru256Tape = new(Steps, Batch);
    private readonly float[] _charGru256Gradients = new float[CharGru256.ParameterCount];
    private readonly CharRnn64 _charRnn64 = new(1);
    private readonly CharRnn64.Tape _charRnn64Tape = new(Steps, Batch);
    private readonly float[] _charRnn64Gradients = new float[CharRnn64.ParameterCount];
    private readonly CharRnn128 _charRnn128 = new(1);
    private readonly CharRnn128.Tape _charRnn128Tape = new(Steps, Batch);
    private readonly float[] _charRnn128Gradients = new float[CharRnn128.ParameterCount];
    private readonly CharRnn256 _charRnn256 = new(1);
    private readonly CharRnn256.Tape _charRnn256Tape = new(Steps, Batch);
    private readonly float[] _charRnn256Gradients = new float[CharRnn256.ParameterCount];

    /// <summary>FLOPs of one iteration: the forward products (input projection, recurrence, head) and twice that backward.</summary>
    public static double Flops(int gates, int hidden) => 3.0 * 2 * Rows * ((64.0 * gates * hidden) + ((double)hidden * gates * hidden) + ((double)hidden * Vocabulary));

    [GlobalSetup]
    public void Setup()
    {
        var random = new Initialization.DeterministicRandom(1, 1);
        for (int i = 0; i < Rows; i++)
        {
            _tokens[i] = random.NextInt(Vocabulary);
            _targets[i] = random.NextInt(Vocabulary);
        }

        Work.Register("Lstm_64", Flops(4, 64));
        Work.Register("Lstm_128", Flops(4, 128));
        Work.Register("Lstm_256", Flops(4, 256));
        Work.Register("Gru_64", Flops(3, 64));
        Work.Register("Gru_128", Flops(3, 128));
        Work.Register("Gru_256", Flops(3, 256));
        Work.Register("Rnn_64", Flops(1, 64));
        Work.Register("Rnn_128", Flops(1, 128));
        Work.Register("Rnn_256", Flops(1, 256));
    }

    [Benchmark]
    public double Lstm_64()
    {
        _charLstm64.Forward(_charLstm64Tape, _tokens, _logits);
        double loss = Losses.SoftmaxCrossEntropy<float>(_logits, _targets, _dLogits);
        Array.Clear(_charLstm64Gradients);
        _charLstm64.Backward(_charLstm64Tape, _dLogits, _charLstm64Gradients);
        GradientClipping.ClipByGlobalNorm<float>(_charLstm64Gradients, 5.0);
        _sgd.Step<float>(_charLstm64.Parameters, _charLstm64Gradients);
        return loss;
    }

    [Benchmark]
    public double Lstm_128()
    {
        _charLstm128.Forward(_charLstm128Tape, _tokens, _logits);
        double loss = Losses.SoftmaxCrossEntropy<float>(_logits, _targets, _dLogits);
        Array.Clear(_charLstm128Gradients);
        _charLstm128.Backward(_charLstm128Tape, _dLogits, _charLstm128Gradients);
        GradientClipping.ClipByGlobalNorm<float>(_charLstm128Gradients, 5.0);
        _sgd.Step<float>(_charLstm128.Parameters, _charLstm128Gradients);
        return loss;
    }

    [Benchmark]
    public double Lstm_256()
    {
        _charLstm256.Forward(_charLstm256Tape, _tokens, _logits);
        double loss = Losses.SoftmaxCrossEntropy<float>(_logits, _targets, _dLogits);
        Array.Clear(_charLstm256Gradients);
        _charLstm256.Backward(_charLstm256Tape, _dLogits, _charLstm256Gradients);
        GradientClipping.ClipByGlobalNorm<float>(_charLstm256Gradients, 5.0);
        _sgd.Step<float>(_charLstm256.Parameters, _charLstm256Gradients);
        return loss;
    }

    [Benchmark]
    public double Gru_64()
    {
        _charGru64.Forward(_charGru64Tape, _tokens, _logits);
        double loss = Losses.SoftmaxCrossEntropy<float>(_logits, _targets, _dLogits);
        Array.Clear(_charGru64Gradients);
        _charGru64.Backward(_charGru64Tape, _dLogits, _charGru64Gradients);
        GradientClipping.ClipByGlobalNorm<float>(_charGru64Gradients, 5.0);
        _sgd.Step<float>(_charGru64.Parameters, _charGru64Gradients);
        return loss;
    }

    [Benchmark]
    public double Gru_128()
    {
        _charGru128.Forward(_charGru128Tape, _tokens, _logits);
        double loss = Losses.SoftmaxCrossEntropy<float>(_logits, _targets, _dLogits);
        Array.Clear(_charGru128Gradients);
        _charGru128.Backward(_charGru128Tape, _dLogits, _charGru128Gradients);
        GradientClipping.ClipByGlobalNorm<float>(_charGru128Gradients, 5.0);
        _sgd.Step<float>(_charGru128.Parameters, _charGru128Gradients);
        return loss;
    }

    [Benchmark]
    public double Gru_256()
    {
        _charGru256.Forward(_charGru256Tape, _tokens, _logits);
        double loss = Losses.SoftmaxCrossEntropy<float>(_logits, _targets, _dLogits);
        Array.Clear(_charGru256Gradients);
        _charGru256.Backward(_charGru256Tape, _dLogits, _charGru256Gradients);
        GradientClipping.ClipByGlobalNorm<float>(_charGru256Gradients, 5.0);
        _sgd.Step<float>(_charGru256.Parameters, _charGru256Gradients);
        return loss;
    }

    [Benchmark]
    public double Rnn_64()
    {
        _charRnn64.Forward(_charRnn64Tape, _tokens, _logits);
        double loss = Losses.SoftmaxCrossEntropy<float>(_logits, _targets, _dLogits);
        Array.Clear(_charRnn64Gradients);
        _charRnn64.Backward(_charRnn64Tape, _dLogits, _charRnn64Gradients);
        GradientClipping.ClipByGlobalNorm<float>(_charRnn64Gradients, 5.0);
        _sgd.Step<float>(_charRnn64.Parameters, _charRnn64Gradients);
        return loss;
    }

    [Benchmark]
    public double Rnn_128()
    {
        _charRnn128.Forward(_charRnn128Tape, _tokens, _logits);
        double loss = Losses.SoftmaxCrossEntropy<float>(_logits, _targets, _dLogits);
        Array.Clear(_charRnn128Gradients);
        _charRnn128.Backward(_charRnn128Tape, _dLogits, _charRnn128Gradients);
        GradientClipping.ClipByGlobalNorm<float>(_charRnn128Gradients, 5.0);
        _sgd.Step<float>(_charRnn128.Parameters, _charRnn128Gradients);
        return loss;
    }

    [Benchmark]
    public double Rnn_256()
    {
        _charRnn256.Forward(_charRnn256Tape, _tokens, _logits);
        double loss = Losses.SoftmaxCrossEntropy<float>(_logits, _targets, _dLogits);
        Array.Clear(_charRnn256Gradients);
        _charRnn256.Backward(_charRnn256Tape, _dLogits, _charRnn256Gradients);
        GradientClipping.ClipByGlobalNorm<float>(_charRnn256Gradients, 5.0);
        _sgd.Step<float>(_charRnn256.Parameters, _charRnn256Gradients);
        return loss;
    }

}
