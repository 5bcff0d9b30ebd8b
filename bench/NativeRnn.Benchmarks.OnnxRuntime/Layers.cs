namespace NativeRnn.Benchmarks.OnnxRuntime;

/// <summary>The layers both sides run (the standard workloads of the main suite), and the check that they agree.</summary>
public static class Layers
{
    /// <summary>Largest difference allowed between the two sides' outputs: both compute in float32, in different orders.</summary>
    public const float Tolerance = 1e-5f;

    /// <summary>The (hidden, hidden) layer of <paramref name="cell"/>, initialised from seed 1.</summary>
    public static IStreamingModel<float> Create(string cell, int hidden) => (cell, hidden) switch
    {
        ("Lstm", 64) => new Lstm64x64(1),
        ("Lstm", 128) => new Lstm128x128(1),
        ("Lstm", 256) => new Lstm256x256(1),
        ("Gru", 64) => new Gru64x64(1),
        ("Gru", 128) => new Gru128x128(1),
        ("Gru", 256) => new Gru256x256(1),
        ("Rnn", 64) => new Rnn64x64(1),
        ("Rnn", 128) => new Rnn128x128(1),
        ("Rnn", 256) => new Rnn256x256(1),
        _ => throw new ArgumentException($"No standard layer {cell} {hidden}."),
    };

    /// <summary>The ONNX operator of <paramref name="cell"/>.</summary>
    public static OnnxRecurrentGraph.Cell OnnxCell(string cell) => Enum.Parse<OnnxRecurrentGraph.Cell>(cell);

    /// <summary>NativeRnn's call for <paramref name="streams"/> streams and <paramref name="steps"/> steps, as a user makes it.</summary>
    public static void Run(IStreamingModel<float> model, Span<float> states, ReadOnlySpan<float> inputs, Span<float> outputs, int streams, int steps)
    {
        if (streams == 1 && steps == 1)
        {
            model.Step(states, inputs, outputs); // one stream, one step: the single-stream API
        }
        else if (streams == 1)
        {
            model.Forward(states, inputs, outputs);
        }
        else if (steps == 1)
        {
            model.StepStreams(states, inputs, outputs);
        }
        else
        {
            model.ForwardStreams(states, inputs, outputs);
        }
    }

    /// <summary>
    /// Runs both sides twice from zero states on <paramref name="ort"/>'s inputs (the second call continues from the first's
    /// state) and returns the largest difference of their outputs; throws if it is above <see cref="Tolerance"/>.
    /// </summary>
    public static float CheckAgreement(IStreamingModel<float> model, OrtLayer ort, int streams, int steps)
    {
        var states = new float[streams * model.StateSize];
        var outputs = new float[ort.Outputs.Length];
        ort.ResetState();
        float worst = 0;
        for (int call = 0; call < 2; call++)
        {
            Run(model, states, ort.Inputs, outputs, streams, steps);
            ort.Run();
            for (int i = 0; i < outputs.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs(outputs[i] - ort.Outputs[i]));
            }
        }

        if (!(worst <= Tolerance))
        {
            throw new InvalidOperationException($"NativeRnn and ONNX Runtime disagree by {worst} (more than {Tolerance}) for {model.GetType().Name}, {streams} streams, {steps} steps.");
        }

        return worst;
    }
}
