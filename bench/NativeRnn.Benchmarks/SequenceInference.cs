using BenchmarkDotNet.Attributes;

namespace NativeRnn.Benchmarks;

/// <summary>
/// Sequence inference: one stream (batch 1) over 128 steps with the streaming Forward (input projection
/// hoisted per chunk), against Step called 128 times. Reported per call; divide by 128 for per step.
/// </summary>
[BenchmarkCategory("sequence")]
public class SequenceInference
{
    private const int Steps = 128;
    private readonly float[] _inputs = new float[Steps * 256], _outputs = new float[Steps * 256];

    private readonly Lstm64x64 _lstm64x64 = new(1);
    private Lstm64x64.State _lstm64x64State;
    private readonly Lstm128x128 _lstm128x128 = new(1);
    private Lstm128x128.State _lstm128x128State;
    private readonly Lstm256x256 _lstm256x256 = new(1);
    private Lstm256x256.State _lstm256x256State;
    private readonly Gru64x64 _gru64x64 = new(1);
    private Gru64x64.State _gru64x64State;
    private readonly Gru128x128 _gru128x128 = new(1);
    private Gru128x128.State _gru128x128State;
    private readonly Gru256x256 _gru256x256 = new(1);
    private Gru256x256.State _gru256x256State;
    private readonly Rnn64x64 _rnn64x64 = new(1);
    private Rnn64x64.State _rnn64x64State;
    private readonly Rnn128x128 _rnn128x128 = new(1);
    private Rnn128x128.State _rnn128x128State;
    private readonly Rnn256x256 _rnn256x256 = new(1);
    private Rnn256x256.State _rnn256x256State;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Initialization.DeterministicRandom(1, 2);
        for (int i = 0; i < _inputs.Length; i++)
        {
            _inputs[i] = (float)random.NextUniform(-1, 1);
        }

        Work.Register("Lstm_64x64_Forward", Steps * Work.Step(4, 64, 64));
        Work.Register("Lstm_64x64_Steps", Steps * Work.Step(4, 64, 64));
        Work.Register("Lstm_128x128_Forward", Steps * Work.Step(4, 128, 128));
        Work.Register("Lstm_128x128_Steps", Steps * Work.Step(4, 128, 128));
        Work.Register("Lstm_256x256_Forward", Steps * Work.Step(4, 256, 256));
        Work.Register("Lstm_256x256_Steps", Steps * Work.Step(4, 256, 256));
        Work.Register("Gru_64x64_Forward", Steps * Work.Step(3, 64, 64));
        Work.Register("Gru_64x64_Steps", Steps * Work.Step(3, 64, 64));
        Work.Register("Gru_128x128_Forward", Steps * Work.Step(3, 128, 128));
        Work.Register("Gru_128x128_Steps", Steps * Work.Step(3, 128, 128));
        Work.Register("Gru_256x256_Forward", Steps * Work.Step(3, 256, 256));
        Work.Register("Gru_256x256_Steps", Steps * Work.Step(3, 256, 256));
        Work.Register("Rnn_64x64_Forward", Steps * Work.Step(1, 64, 64));
        Work.Register("Rnn_64x64_Steps", Steps * Work.Step(1, 64, 64));
        Work.Register("Rnn_128x128_Forward", Steps * Work.Step(1, 128, 128));
        Work.Register("Rnn_128x128_Steps", Steps * Work.Step(1, 128, 128));
        Work.Register("Rnn_256x256_Forward", Steps * Work.Step(1, 256, 256));
        Work.Register("Rnn_256x256_Steps", Steps * Work.Step(1, 256, 256));
    }

    [Benchmark]
    public void Lstm_64x64_Forward() => _lstm64x64.Forward(ref _lstm64x64State, _inputs.AsSpan(0, Steps * 64), _outputs.AsSpan(0, Steps * 64));

    [Benchmark]
    public void Lstm_64x64_Steps()
    {
        for (int t = 0; t < Steps; t++)
        {
            _lstm64x64.Step(ref _lstm64x64State, _inputs.AsSpan(t * 64, 64), _outputs.AsSpan(t * 64, 64));
        }
    }

    [Benchmark]
    public void Lstm_128x128_Forward() => _lstm128x128.Forward(ref _lstm128x128State, _inputs.AsSpan(0, Steps * 128), _outputs.AsSpan(0, Steps * 128));

    [Benchmark]
    public void Lstm_128x128_Steps()
    {
        for (int t = 0; t < Steps; t++)
        {
            _lstm128x128.Step(ref _lstm128x128State, _inputs.AsSpan(t * 128, 128), _outputs.AsSpan(t * 128, 128));
        }
    }

    [Benchmark]
    public void Lstm_256x256_Forward() => _lstm256x256.Forward(ref _lstm256x256State, _inputs.AsSpan(0, Steps * 256), _outputs.AsSpan(0, Steps * 256));

    [Benchmark]
    public void Lstm_256x256_Steps()
    {
        for (int t = 0; t < Steps; t++)
        {
            _lstm256x256.Step(ref _lstm256x256State, _inputs.AsSpan(t * 256, 256), _outputs.AsSpan(t * 256, 256));
        }
    }

    [Benchmark]
    public void Gru_64x64_Forward() => _gru64x64.Forward(ref _gru64x64State, _inputs.AsSpan(0, Steps * 64), _outputs.AsSpan(0, Steps * 64));

    [Benchmark]
    public void Gru_64x64_Steps()
    {
        for (int t = 0; t < Steps; t++)
        {
            _gru64x64.Step(ref _gru64x64State, _inputs.AsSpan(t * 64, 64), _outputs.AsSpan(t * 64, 64));
        }
    }

    [Benchmark]
    public void Gru_128x128_Forward() => _gru128x128.Forward(ref _gru128x128State, _inputs.AsSpan(0, Steps * 128), _outputs.AsSpan(0, Steps * 128));

    [Benchmark]
    public void Gru_128x128_Steps()
    {
        for (int t = 0; t < Steps; t++)
        {
            _gru128x128.Step(ref _gru128x128State, _inputs.AsSpan(t * 128, 128), _outputs.AsSpan(t * 128, 128));
        }
    }

    [Benchmark]
    public void Gru_256x256_Forward() => _gru256x256.Forward(ref _gru256x256State, _inputs.AsSpan(0, Steps * 256), _outputs.AsSpan(0, Steps * 256));

    [Benchmark]
    public void Gru_256x256_Steps()
    {
        for (int t = 0; t < Steps; t++)
        {
            _gru256x256.Step(ref _gru256x256State, _inputs.AsSpan(t * 256, 256), _outputs.AsSpan(t * 256, 256));
        }
    }

    [Benchmark]
    public void Rnn_64x64_Forward() => _rnn64x64.Forward(ref _rnn64x64State, _inputs.AsSpan(0, Steps * 64), _outputs.AsSpan(0, Steps * 64));

    [Benchmark]
    public void Rnn_64x64_Steps()
    {
        for (int t = 0; t < Steps; t++)
        {
            _rnn64x64.Step(ref _rnn64x64State, _inputs.AsSpan(t * 64, 64), _outputs.AsSpan(t * 64, 64));
        }
    }

    [Benchmark]
    public void Rnn_128x128_Forward() => _rnn128x128.Forward(ref _rnn128x128State, _inputs.AsSpan(0, Steps * 128), _outputs.AsSpan(0, Steps * 128));

    [Benchmark]
    public void Rnn_128x128_Steps()
    {
        for (int t = 0; t < Steps; t++)
        {
            _rnn128x128.Step(ref _rnn128x128State, _inputs.AsSpan(t * 128, 128), _outputs.AsSpan(t * 128, 128));
        }
    }

    [Benchmark]
    public void Rnn_256x256_Forward() => _rnn256x256.Forward(ref _rnn256x256State, _inputs.AsSpan(0, Steps * 256), _outputs.AsSpan(0, Steps * 256));

    [Benchmark]
    public void Rnn_256x256_Steps()
    {
        for (int t = 0; t < Steps; t++)
        {
            _rnn256x256.Step(ref _rnn256x256State, _inputs.AsSpan(t * 256, 256), _outputs.AsSpan(t * 256, 256));
        }
    }

}
