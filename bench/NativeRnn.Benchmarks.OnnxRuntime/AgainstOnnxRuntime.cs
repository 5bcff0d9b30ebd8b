using BenchmarkDotNet.Attributes;

namespace NativeRnn.Benchmarks.OnnxRuntime;

/// <summary>
/// The same layer, weights and inputs in NativeRnn and in ONNX Runtime (one thread), one call each:
/// <see cref="Sequence"/> runs 128 steps of one stream (the sequence workload, per step ÷ 128);
/// <see cref="ManyStreams"/> advances B streams by one step and by 32 steps (per stream-step ÷ B, ÷ 32·B).
/// Each setup first checks that both give the same outputs, so the two sides compute the same thing.
/// </summary>
public abstract class AgainstOnnxRuntime : IDisposable
{
    private IStreamingModel<float> _model = null!;
    private OrtLayer _ort = null!;
    private float[] _states = [], _inputs = [], _outputs = [];

    /// <summary>The cell: "Lstm", "Gru" or "Rnn" (tanh).</summary>
    public abstract string Cell { get; set; }

    /// <summary>Hidden size, and the input size.</summary>
    protected abstract int Hidden { get; }

    /// <summary>Streams per call.</summary>
    protected abstract int Streams { get; }

    /// <summary>Steps per call.</summary>
    protected abstract int Steps { get; }

    /// <summary>The benchmark's parameters in name order, as <see cref="Work.Register"/> wants them.</summary>
    protected abstract string Parameters { get; }

    /// <summary>Builds both sides, checks they agree, and registers the FLOPs of both benchmarks.</summary>
    [GlobalSetup]
    public void SetUp()
    {
        _model = Layers.Create(Cell, Hidden);
        _ort = new OrtLayer(_model, Layers.OnnxCell(Cell), Steps, Streams, Hidden, Hidden);
        _states = new float[Streams * _model.StateSize];
        _inputs = _ort.Inputs;
        _outputs = new float[_ort.Outputs.Length];
        var random = new Initialization.DeterministicRandom(5, 6);
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = (float)random.NextUniform(-1, 1);
        }

        Layers.CheckAgreement(_model, _ort, Streams, Steps);
        Array.Clear(_states);
        _ort.ResetState();
        double flops = Steps * Streams * Work.Step(Cell switch { "Lstm" => 4, "Gru" => 3, _ => 1 }, Hidden, Hidden);
        Work.Register($"{nameof(NativeRnn)}({Parameters})", flops);
        Work.Register($"{nameof(OnnxRuntime)}({Parameters})", flops);
    }

    /// <summary>One call of NativeRnn.</summary>
    [Benchmark(Baseline = true)]
    public void NativeRnn() => Layers.Run(_model, _states, _inputs, _outputs, Streams, Steps);

    /// <summary>One call of ONNX Runtime.</summary>
    [Benchmark]
    public void OnnxRuntime() => _ort.Run();

    /// <summary>Releases the session and its pinned tensors (BenchmarkDotNet does not dispose benchmark objects).</summary>
    [GlobalCleanup]
    public void CleanUp() => Dispose();

    /// <inheritdoc />
    public void Dispose()
    {
        _ort?.Dispose();
        _ort = null!;
        GC.SuppressFinalize(this);
    }
}

/// <summary>128 steps of one stream in one call, for hidden (= input) 64, 128 and 256, LSTM, GRU and tanh RNN.</summary>
[BenchmarkCategory("onnxruntime")]
public class Sequence : AgainstOnnxRuntime
{
    /// <summary>The cell.</summary>
    [Params("Lstm", "Gru", "Rnn")]
    public override string Cell { get; set; } = "Lstm";

    /// <summary>Hidden size, and the input size.</summary>
    [Params(64, 128, 256)]
    public int Size { get; set; } = 64;

    protected override int Hidden => Size;

    protected override int Streams => 1;

    protected override int Steps => 128;

    protected override string Parameters => $"Cell={Cell}, Size={Size}";
}

/// <summary>B streams of a (128, 128) layer, one step per call and 32 steps per call.</summary>
[BenchmarkCategory("onnxruntime")]
public class ManyStreams : AgainstOnnxRuntime
{
    /// <summary>The cell.</summary>
    [Params("Lstm", "Gru")]
    public override string Cell { get; set; } = "Lstm";

    /// <summary>Streams advanced per call.</summary>
    [Params(1, 8, 32, 128)]
    public int B { get; set; } = 1;

    /// <summary>Steps per call: 1 (a step) or 32 (a stretch).</summary>
    [Params(1, 32)]
    public int StepsPerCall { get; set; } = 1;

    protected override int Hidden => 128;

    protected override int Streams => B;

    protected override int Steps => StepsPerCall;

    protected override string Parameters => $"B={B}, Cell={Cell}, StepsPerCall={StepsPerCall}";
}
