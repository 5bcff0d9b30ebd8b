using Microsoft.ML.OnnxRuntime;

namespace NativeRnn.Benchmarks.OnnxRuntime;

/// <summary>
/// One recurrent layer in ONNX Runtime, run the way a latency-minded user runs it: one intra-op thread, sequential
/// execution, every graph optimisation, and inputs, outputs and states bound to pinned arrays created once, so a call
/// allocates no tensors. The state is carried from call to call through two buffers used in turn.
/// </summary>
public sealed class OrtLayer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames, _outputNames;
    private readonly OrtValue[][] _inputs, _outputs;
    private readonly List<OrtValue> _owned = [];
    private readonly float[][] _h, _c;
    private int _turn;

    /// <summary>Builds the session for <paramref name="streams"/> streams and <paramref name="steps"/> steps a call.</summary>
    /// <param name="model">The NativeRnn layer whose weights the session holds.</param>
    /// <param name="cell">Its ONNX operator.</param>
    /// <param name="steps">Time steps per call.</param>
    /// <param name="streams">Streams per call.</param>
    /// <param name="input">Input size.</param>
    /// <param name="hidden">Hidden size.</param>
    public OrtLayer(IRecurrentModel<float> model, OnnxRecurrentGraph.Cell cell, int steps, int streams, int input, int hidden)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(OnnxRecurrentGraph.Build(model, cell, steps, streams), options);

        bool lstm = cell == OnnxRecurrentGraph.Cell.Lstm;
        Inputs = new float[steps * streams * input];
        Outputs = new float[steps * streams * hidden];
        _h = [new float[streams * hidden], new float[streams * hidden]];
        _c = [new float[streams * hidden], new float[streams * hidden]];
        long[] stateShape = [1, streams, hidden];
        OrtValue x = Own(OrtValue.CreateTensorValueFromMemory(Inputs, [steps, streams, input]));
        OrtValue y = Own(OrtValue.CreateTensorValueFromMemory(Outputs, [steps, 1, streams, hidden]));
        OrtValue[] h = [Own(OrtValue.CreateTensorValueFromMemory(_h[0], stateShape)), Own(OrtValue.CreateTensorValueFromMemory(_h[1], stateShape))];
        OrtValue[] c = [Own(OrtValue.CreateTensorValueFromMemory(_c[0], stateShape)), Own(OrtValue.CreateTensorValueFromMemory(_c[1], stateShape))];

        _inputNames = lstm ? ["X", "initial_h", "initial_c"] : ["X", "initial_h"];
        _outputNames = lstm ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"];

        // Turn t reads state buffer t and writes buffer 1 - t.
        _inputs = new OrtValue[2][];
        _outputs = new OrtValue[2][];
        for (int t = 0; t < 2; t++)
        {
            _inputs[t] = lstm ? [x, h[t], c[t]] : [x, h[t]];
            _outputs[t] = lstm ? [y, h[1 - t], c[1 - t]] : [y, h[1 - t]];
        }
    }

    /// <summary><c>[steps, streams, input]</c>, read by the next <see cref="Run"/>.</summary>
    public float[] Inputs { get; }

    /// <summary><c>[steps, streams, hidden]</c>, written by <see cref="Run"/>.</summary>
    public float[] Outputs { get; }

    /// <summary>Advances every stream by the session's steps, from the state the last call left.</summary>
    public void Run()
    {
        int turn = _turn;
        _session.Run(_runOptions, _inputNames, _inputs[turn], _outputNames, _outputs[turn]);
        _turn = 1 - turn;
    }

    /// <summary>Sets every stream's state to zero.</summary>
    public void ResetState()
    {
        foreach (float[] buffer in _h.Concat(_c))
        {
            Array.Clear(buffer);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (OrtValue value in _owned)
        {
            value.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
    }

    private OrtValue Own(OrtValue value)
    {
        _owned.Add(value);
        return value;
    }
}
