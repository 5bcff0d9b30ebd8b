using BenchmarkDotNet.Attributes;
using NativeRnn.Kernels;

namespace NativeRnn.Benchmarks;

/// <summary>The fused step kernel alone at (1, 16) beside a generated model's Step, to separate the kernel's cost from the wrapper's.</summary>
[BenchmarkCategory("kernel")]
public class KernelLatency
{
    private readonly float[] _wih = new float[64], _whh = new float[16 * 64], _b = new float[64], _x = new float[1], _h = new float[16], _c = new float[16], _o = new float[16];
    private readonly Lstm1x16 _model = new(1);
    private readonly float[] _state = new float[32];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Initialization.DeterministicRandom(1, 1);
        foreach (float[] a in new[] { _wih, _whh, _b, _x, _h })
        {
            for (int i = 0; i < a.Length; i++)
            {
                a[i] = (float)random.NextUniform(-0.3, 0.3);
            }
        }
    }

    [Benchmark]
    public void LstmKernel_1x16() => StepKernels.Lstm<float>(_wih, _whh, _b, _b, _x, _h, _c, _o, 64);

    [Benchmark]
    public void ModelStep_1x16() => ((IStreamingModel<float>)_model).Step(_state, _x, _o);
}
