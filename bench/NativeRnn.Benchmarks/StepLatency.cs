using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;

namespace NativeRnn.Benchmarks;

/// <summary>
/// Step latency: one time step of one stream (batch 1), float32, for the six standard shapes and the
/// three cell kinds, and the reset-before GRU at three of them. Each call reads x_t, updates the state and writes h_t.
/// </summary>
[BenchmarkCategory("step")]
public class StepLatency
{
    private readonly Lstm1x16 _lstm1x16 = new(1);
    private Lstm1x16.State _lstm1x16State;
    private readonly Lstm16x16 _lstm16x16 = new(1);
    private Lstm16x16.State _lstm16x16State;
    private readonly Lstm32x32 _lstm32x32 = new(1);
    private Lstm32x32.State _lstm32x32State;
    private readonly Lstm64x64 _lstm64x64 = new(1);
    private Lstm64x64.State _lstm64x64State;
    private readonly Lstm128x128 _lstm128x128 = new(1);
    private Lstm128x128.State _lstm128x128State;
    private readonly Lstm256x256 _lstm256x256 = new(1);
    private Lstm256x256.State _lstm256x256State;
    private readonly Gru1x16 _gru1x16 = new(1);
    private Gru1x16.State _gru1x16State;
    private readonly Gru16x16 _gru16x16 = new(1);
    private Gru16x16.State _gru16x16State;
    private readonly Gru32x32 _gru32x32 = new(1);
    private Gru32x32.State _gru32x32State;
    private readonly Gru64x64 _gru64x64 = new(1);
    private Gru64x64.State _gru64x64State;
    private readonly Gru128x128 _gru128x128 = new(1);
    private Gru128x128.State _gru128x128State;
    private readonly Gru256x256 _gru256x256 = new(1);
    private Gru256x256.State _gru256x256State;
    private readonly GruResetBefore16x16 _gruResetBefore16x16 = new(1);
    private GruResetBefore16x16.State _gruResetBefore16x16State;
    private readonly GruResetBefore64x64 _gruResetBefore64x64 = new(1);
    private GruResetBefore64x64.State _gruResetBefore64x64State;
    private readonly GruResetBefore256x256 _gruResetBefore256x256 = new(1);
    private GruResetBefore256x256.State _gruResetBefore256x256State;
    private readonly Rnn1x16 _rnn1x16 = new(1);
    private Rnn1x16.State _rnn1x16State;
    private readonly Rnn16x16 _rnn16x16 = new(1);
    private Rnn16x16.State _rnn16x16State;
    private readonly Rnn32x32 _rnn32x32 = new(1);
    private Rnn32x32.State _rnn32x32State;
    private readonly Rnn64x64 _rnn64x64 = new(1);
    private Rnn64x64.State _rnn64x64State;
    private readonly Rnn128x128 _rnn128x128 = new(1);
    private Rnn128x128.State _rnn128x128State;
    private readonly Rnn256x256 _rnn256x256 = new(1);
    private Rnn256x256.State _rnn256x256State;
    private readonly float[] _input = new float[256];
    private readonly float[] _output = new float[256];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Initialization.DeterministicRandom(1, 1);
        for (int i = 0; i < _input.Length; i++)
        {
            _input[i] = (float)random.NextUniform(-1, 1);
        }

        Work.Register("Lstm_1x16", Work.Step(4, 1, 16));
        Work.Register("Lstm_16x16", Work.Step(4, 16, 16));
        Work.Register("Lstm_32x32", Work.Step(4, 32, 32));
        Work.Register("Lstm_64x64", Work.Step(4, 64, 64));
        Work.Register("Lstm_128x128", Work.Step(4, 128, 128));
        Work.Register("Lstm_256x256", Work.Step(4, 256, 256));
        Work.Register("Gru_1x16", Work.Step(3, 1, 16));
        Work.Register("Gru_16x16", Work.Step(3, 16, 16));
        Work.Register("Gru_32x32", Work.Step(3, 32, 32));
        Work.Register("Gru_64x64", Work.Step(3, 64, 64));
        Work.Register("Gru_128x128", Work.Step(3, 128, 128));
        Work.Register("Gru_256x256", Work.Step(3, 256, 256));
        Work.Register("GruResetBefore_16x16", Work.Step(3, 16, 16));
        Work.Register("GruResetBefore_64x64", Work.Step(3, 64, 64));
        Work.Register("GruResetBefore_256x256", Work.Step(3, 256, 256));
        Work.Register("Rnn_1x16", Work.Step(1, 1, 16));
        Work.Register("Rnn_16x16", Work.Step(1, 16, 16));
        Work.Register("Rnn_32x32", Work.Step(1, 32, 32));
        Work.Register("Rnn_64x64", Work.Step(1, 64, 64));
        Work.Register("Rnn_128x128", Work.Step(1, 128, 128));
        Work.Register("Rnn_256x256", Work.Step(1, 256, 256));
    }

    [Benchmark]
    public void Lstm_1x16() => _lstm1x16.Step(ref _lstm1x16State, _input.AsSpan(0, 1), _output.AsSpan(0, 16));

    [Benchmark]
    public void Lstm_16x16() => _lstm16x16.Step(ref _lstm16x16State, _input.AsSpan(0, 16), _output.AsSpan(0, 16));

    [Benchmark]
    public void Lstm_32x32() => _lstm32x32.Step(ref _lstm32x32State, _input.AsSpan(0, 32), _output.AsSpan(0, 32));

    [Benchmark]
    public void Lstm_64x64() => _lstm64x64.Step(ref _lstm64x64State, _input.AsSpan(0, 64), _output.AsSpan(0, 64));

    [Benchmark]
    public void Lstm_128x128() => _lstm128x128.Step(ref _lstm128x128State, _input.AsSpan(0, 128), _output.AsSpan(0, 128));

    [Benchmark]
    public void Lstm_256x256() => _lstm256x256.Step(ref _lstm256x256State, _input.AsSpan(0, 256), _output.AsSpan(0, 256));

    [Benchmark]
    public void Gru_1x16() => _gru1x16.Step(ref _gru1x16State, _input.AsSpan(0, 1), _output.AsSpan(0, 16));

    [Benchmark]
    public void Gru_16x16() => _gru16x16.Step(ref _gru16x16State, _input.AsSpan(0, 16), _output.AsSpan(0, 16));

    [Benchmark]
    public void Gru_32x32() => _gru32x32.Step(ref _gru32x32State, _input.AsSpan(0, 32), _output.AsSpan(0, 32));

    [Benchmark]
    public void Gru_64x64() => _gru64x64.Step(ref _gru64x64State, _input.AsSpan(0, 64), _output.AsSpan(0, 64));

    [Benchmark]
    public void Gru_128x128() => _gru128x128.Step(ref _gru128x128State, _input.AsSpan(0, 128), _output.AsSpan(0, 128));

    [Benchmark]
    public void Gru_256x256() => _gru256x256.Step(ref _gru256x256State, _input.AsSpan(0, 256), _output.AsSpan(0, 256));

    [Benchmark]
    public void GruResetBefore_16x16() => _gruResetBefore16x16.Step(ref _gruResetBefore16x16State, _input.AsSpan(0, 16), _output.AsSpan(0, 16));

    [Benchmark]
    public void GruResetBefore_64x64() => _gruResetBefore64x64.Step(ref _gruResetBefore64x64State, _input.AsSpan(0, 64), _output.AsSpan(0, 64));

    [Benchmark]
    public void GruResetBefore_256x256() => _gruResetBefore256x256.Step(ref _gruResetBefore256x256State, _input.AsSpan(0, 256), _output.AsSpan(0, 256));

    [Benchmark]
    public void Rnn_1x16() => _rnn1x16.Step(ref _rnn1x16State, _input.AsSpan(0, 1), _output.AsSpan(0, 16));

    [Benchmark]
    public void Rnn_16x16() => _rnn16x16.Step(ref _rnn16x16State, _input.AsSpan(0, 16), _output.AsSpan(0, 16));

    [Benchmark]
    public void Rnn_32x32() => _rnn32x32.Step(ref _rnn32x32State, _input.AsSpan(0, 32), _output.AsSpan(0, 32));

    [Benchmark]
    public void Rnn_64x64() => _rnn64x64.Step(ref _rnn64x64State, _input.AsSpan(0, 64), _output.AsSpan(0, 64));

    [Benchmark]
    public void Rnn_128x128() => _rnn128x128.Step(ref _rnn128x128State, _input.AsSpan(0, 128), _output.AsSpan(0, 128));

    [Benchmark]
    public void Rnn_256x256() => _rnn256x256.Step(ref _rnn256x256State, _input.AsSpan(0, 256), _output.AsSpan(0, 256));

}
