using BenchmarkDotNet.Attributes;

namespace NativeRnn.Benchmarks;

/// <summary>
/// The naive scalar baseline: the same maths written the plain way — PyTorch-layout weights, one
/// dot product per gate row, MathF for the activations — as a reader of the equations would write it.
/// </summary>
public sealed class NaiveCell
{
    private readonly int _input, _hidden, _gates;
    private readonly float[] _wih, _whh, _bih, _bhh, _z, _zh, _hNext;

    public NaiveCell(int gates, int input, int hidden, ulong seed)
    {
        _gates = gates;
        _input = input;
        _hidden = hidden;
        var random = new Initialization.DeterministicRandom(seed, 7);
        float Next() => (float)random.NextUniform(-0.3, 0.3);
        _wih = new float[gates * hidden * input];
        _whh = new float[gates * hidden * hidden];
        _bih = new float[gates * hidden];
        _bhh = new float[gates * hidden];
        foreach (float[] a in new[] { _wih, _whh, _bih, _bhh })
        {
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = Next();
            }
        }

        _z = new float[gates * hidden];
        _zh = new float[gates * hidden];
        _hNext = new float[hidden];
    }

    private static float Sigmoid(float z) => 1f / (1f + MathF.Exp(-z));

    /// <summary>z = W_ih x + b_ih and zh = W_hh h + b_hh, row by row.</summary>
    private void Products(float[] x, float[] h)
    {
        for (int r = 0; r < _gates * _hidden; r++)
        {
            float s = _bih[r];
            for (int c = 0; c < _input; c++)
            {
                s += _wih[(r * _input) + c] * x[c];
            }

            float t = _bhh[r];
            for (int c = 0; c < _hidden; c++)
            {
                t += _whh[(r * _hidden) + c] * h[c];
            }

            _z[r] = s;
            _zh[r] = t;
        }
    }

    public void Rnn(float[] x, float[] h)
    {
        Products(x, h);
        for (int j = 0; j < _hidden; j++)
        {
            h[j] = MathF.Tanh(_z[j] + _zh[j]);
        }
    }

    public void Lstm(float[] x, float[] h, float[] c)
    {
        Products(x, h);
        int n = _hidden;
        for (int j = 0; j < n; j++)
        {
            float i = Sigmoid(_z[j] + _zh[j]);
            float f = Sigmoid(_z[n + j] + _zh[n + j]);
            float g = MathF.Tanh(_z[(2 * n) + j] + _zh[(2 * n) + j]);
            float o = Sigmoid(_z[(3 * n) + j] + _zh[(3 * n) + j]);
            c[j] = (f * c[j]) + (i * g);
            h[j] = o * MathF.Tanh(c[j]);
        }
    }

    public void Gru(float[] x, float[] h)
    {
        Products(x, h);
        int n = _hidden;
        for (int j = 0; j < n; j++)
        {
            float r = Sigmoid(_z[j] + _zh[j]);
            float z = Sigmoid(_z[n + j] + _zh[n + j]);
            float candidate = MathF.Tanh(_z[(2 * n) + j] + (r * _zh[(2 * n) + j]));
            _hNext[j] = ((1 - z) * candidate) + (z * h[j]);
        }

        Array.Copy(_hNext, h, n);
    }
}

/// <summary>The naive scalar baseline at the six standard shapes.</summary>
[BenchmarkCategory("step", "baseline")]
public class NaiveStepLatency
{
    private NaiveCell _lstm = null!, _gru = null!, _rnn = null!;
    private float[] _x = null!, _h = null!, _c = null!;

    [Params("1x16", "16x16", "32x32", "64x64", "128x128", "256x256")]
    public string Shape { get; set; } = "64x64";

    [GlobalSetup]
    public void Setup()
    {
        int input = int.Parse(Shape.Split('x')[0]), hidden = int.Parse(Shape.Split('x')[1]);
        _lstm = new NaiveCell(4, input, hidden, 1);
        _gru = new NaiveCell(3, input, hidden, 1);
        _rnn = new NaiveCell(1, input, hidden, 1);
        _x = new float[input];
        _h = new float[hidden];
        _c = new float[hidden];
        _x.AsSpan().Fill(0.5f);
        Work.Register($"NaiveLstm(Shape={Shape})", Work.Step(4, input, hidden));
        Work.Register($"NaiveGru(Shape={Shape})", Work.Step(3, input, hidden));
        Work.Register($"NaiveRnn(Shape={Shape})", Work.Step(1, input, hidden));
    }

    [Benchmark]
    public void NaiveLstm() => _lstm.Lstm(_x, _h, _c);

    [Benchmark]
    public void NaiveGru() => _gru.Gru(_x, _h);

    [Benchmark]
    public void NaiveRnn() => _rnn.Rnn(_x, _h);
}
