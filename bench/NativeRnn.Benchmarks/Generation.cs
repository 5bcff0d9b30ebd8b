using BenchmarkDotNet.Attributes;
using NativeRnn.Text;

namespace NativeRnn.Benchmarks;

/// <summary>The generation workload (DESIGN.md §5): Embedding(97, 64) → LSTM(128) → Dense(97).</summary>
[RnnModel]
[Embedding(97, 64)]
[Lstm(128)]
[Dense(97)]
public sealed partial class GenerationModel;

/// <summary>
/// Generating text one token at a time: a whole token (draw from the last logits, feed the token back through
/// <c>Step</c>), and its two halves apart, the model's step and the sampler's draw. Tokens per second = 1e9 / the mean in ns.
/// </summary>
[BenchmarkCategory("generation")]
public class Generation
{
    private readonly GenerationModel _model = new(1);
    private readonly float[] _logits = new float[97];
    private TextGenerator<float> _generator = null!;
    private TokenSampler<float> _sampler = null!;
    private GenerationModel.State _state;
    private SamplingOptions _options;

    [GlobalSetup]
    public void Setup()
    {
        _options = new SamplingOptions(Temperature: 0.8, TopK: 10);
        _generator = new TextGenerator<float>(_model, 1);
        _generator.Prime([1, 2, 3, 4]);
        _sampler = new TokenSampler<float>(97, 2);
        _model.Step(ref _state, 5, _logits);
    }

    /// <summary>One generated token: a top-k draw and a model step.</summary>
    [Benchmark(Baseline = true)]
    public int Token() => _generator.Next(_options);

    /// <summary>The model's step alone.</summary>
    [Benchmark]
    public float ModelStep()
    {
        _model.Step(ref _state, 7, _logits);
        return _logits[0];
    }

    /// <summary>The top-k draw alone (k = 10 of 97, temperature 0.8).</summary>
    [Benchmark]
    public int TopKDraw() => _sampler.Sample(_logits, _options);

    /// <summary>A nucleus draw (top-p 0.9) over the whole vocabulary, which sorts the candidates.</summary>
    [Benchmark]
    public int TopPDraw() => _sampler.Sample(_logits, new SamplingOptions(Temperature: 0.8, TopP: 0.9));
}
