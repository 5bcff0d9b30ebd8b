using BenchmarkDotNet.Attributes;

namespace NativeRnn.Benchmarks;

/// <summary>
/// Many streams per call: one <c>Step(Span&lt;State&gt;, …)</c> advancing B independent streams by one
/// step, and one <c>Forward(Span&lt;State&gt;, …)</c> advancing them 32 steps, against B single-stream
/// <c>Step</c> calls. Reported per call; divide by B (and by 32 for the sequence) for per stream-step.
/// </summary>
[BenchmarkCategory("streams")]
public class ManyStreams
{
    private const int Steps = 32;
    private const int MaxInput = 128;

    /// <summary>Streams advanced per call.</summary>
    [Params(1, 8, 32, 128)]
    public int Streams { get; set; }

    private readonly Lstm32x32 _lstm32 = new(1);
    private readonly Lstm128x128 _lstm128 = new(1);
    private readonly Gru128x128 _gru128 = new(1);
    private Lstm32x32.State[] _lstm32States = [];
    private Lstm128x128.State[] _lstm128States = [];
    private Gru128x128.State[] _gru128States = [];
    private float[] _inputs = [], _outputs = [];

    [GlobalSetup]
    public void Setup()
    {
        _lstm32States = new Lstm32x32.State[Streams];
        _lstm128States = new Lstm128x128.State[Streams];
        _gru128States = new Gru128x128.State[Streams];
        _inputs = new float[Steps * Streams * MaxInput];
        _outputs = new float[Steps * Streams * MaxInput];
        var random = new Initialization.DeterministicRandom(3, 4);
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = (float)random.NextUniform(-1, 1);
        }

        string p = $"(Streams={Streams})";
        Work.Register(nameof(Lstm_32x32_Step) + p, Streams * Work.Step(4, 32, 32));
        Work.Register(nameof(Lstm_32x32_StepEach) + p, Streams * Work.Step(4, 32, 32));
        Work.Register(nameof(Lstm_128x128_Step) + p, Streams * Work.Step(4, 128, 128));
        Work.Register(nameof(Lstm_128x128_StepEach) + p, Streams * Work.Step(4, 128, 128));
        Work.Register(nameof(Lstm_128x128_Forward) + p, Steps * Streams * Work.Step(4, 128, 128));
        Work.Register(nameof(Gru_128x128_Step) + p, Streams * Work.Step(3, 128, 128));
        Work.Register(nameof(Gru_128x128_StepEach) + p, Streams * Work.Step(3, 128, 128));
    }

    [Benchmark]
    public void Lstm_32x32_Step() =>
        _lstm32.Step(_lstm32States, _inputs.AsSpan(0, Streams * 32), _outputs.AsSpan(0, Streams * 32));

    [Benchmark]
    public void Lstm_32x32_StepEach()
    {
        for (int b = 0; b < Streams; b++)
        {
            _lstm32.Step(ref _lstm32States[b], _inputs.AsSpan(b * 32, 32), _outputs.AsSpan(b * 32, 32));
        }
    }

    [Benchmark]
    public void Lstm_128x128_Step() =>
        _lstm128.Step(_lstm128States, _inputs.AsSpan(0, Streams * 128), _outputs.AsSpan(0, Streams * 128));

    [Benchmark]
    public void Lstm_128x128_StepEach()
    {
        for (int b = 0; b < Streams; b++)
        {
            _lstm128.Step(ref _lstm128States[b], _inputs.AsSpan(b * 128, 128), _outputs.AsSpan(b * 128, 128));
        }
    }

    [Benchmark]
    public void Lstm_128x128_Forward() =>
        _lstm128.Forward(_lstm128States, _inputs.AsSpan(0, Steps * Streams * 128), _outputs.AsSpan(0, Steps * Streams * 128));

    [Benchmark]
    public void Gru_128x128_Step() =>
        _gru128.Step(_gru128States, _inputs.AsSpan(0, Streams * 128), _outputs.AsSpan(0, Streams * 128));

    [Benchmark]
    public void Gru_128x128_StepEach()
    {
        for (int b = 0; b < Streams; b++)
        {
            _gru128.Step(ref _gru128States[b], _inputs.AsSpan(b * 128, 128), _outputs.AsSpan(b * 128, 128));
        }
    }
}
