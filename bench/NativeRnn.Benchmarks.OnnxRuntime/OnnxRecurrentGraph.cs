using System.Text;
using NativeRnn.Serialization;

namespace NativeRnn.Benchmarks.OnnxRuntime;

/// <summary>
/// An ONNX model of one layer's <c>LSTM</c>, <c>GRU</c> or <c>RNN</c> operator (opset 14) holding a NativeRnn model's
/// weights, so that ONNX Runtime runs the same layer on the same numbers. The weights come from the model's own
/// safetensors export (PyTorch's names and layout) and are reordered into ONNX's gate order: LSTM <c>i, o, f, c</c> from
/// PyTorch's <c>i, f, g, o</c>; GRU <c>z, r, h</c> from <c>r, z, n</c>, with <c>linear_before_reset = 1</c> (PyTorch's
/// form); the tanh RNN has one block.
/// </summary>
public static class OnnxRecurrentGraph
{
    /// <summary>Which ONNX operator.</summary>
    public enum Cell
    {
        /// <summary>ONNX's <c>LSTM</c>.</summary>
        Lstm,

        /// <summary>ONNX's <c>GRU</c>, with <c>linear_before_reset = 1</c>.</summary>
        Gru,

        /// <summary>ONNX's <c>RNN</c>, with its default tanh.</summary>
        Rnn,
    }

    /// <summary>
    /// The serialized <c>ModelProto</c>: inputs <c>X [steps, streams, input]</c> and <c>initial_h</c> (and <c>initial_c</c>)
    /// <c>[1, streams, hidden]</c>; outputs <c>Y [steps, 1, streams, hidden]</c> and <c>Y_h</c> (and <c>Y_c</c>).
    /// </summary>
    /// <param name="model">A one-layer model of <paramref name="cell"/>'s kind; its weights are copied.</param>
    /// <param name="cell">The operator.</param>
    /// <param name="steps">Time steps per run.</param>
    /// <param name="streams">Streams (ONNX's batch) per run.</param>
    /// <returns>The model's bytes, for an <c>InferenceSession</c>.</returns>
    public static byte[] Build(IRecurrentModel<float> model, Cell cell, int steps, int streams)
    {
        var stream = new MemoryStream();
        model.SaveSafeTensors(stream);
        SafeTensorsFile file = SafeTensorsFile.Parse(stream.ToArray());
        float[] Tensor(string suffix) => file.Tensors.Single(t => t.Key.EndsWith(suffix, StringComparison.Ordinal)).Value.ToArray<float>();

        float[] weightIh = Tensor("weight_ih_l0"), weightHh = Tensor("weight_hh_l0"), biasIh = Tensor("bias_ih_l0"), biasHh = Tensor("bias_hh_l0");
        int gates = cell switch { Cell.Lstm => 4, Cell.Gru => 3, _ => 1 };
        int hidden = biasIh.Length / gates;
        int input = weightIh.Length / (gates * hidden);

        // ONNX block k is PyTorch block order[k].
        int[] order = cell switch { Cell.Lstm => [0, 3, 1, 2], Cell.Gru => [1, 0, 2], _ => [0] };
        float[] w = Reorder(weightIh, order, hidden * input), r = Reorder(weightHh, order, hidden * hidden);
        float[] b = [.. Reorder(biasIh, order, hidden), .. Reorder(biasHh, order, hidden)];

        var graph = new ProtoWriter();
        var node = new ProtoWriter();
        string[] nodeInputs = cell == Cell.Lstm ? ["X", "W", "R", "B", "", "initial_h", "initial_c"] : ["X", "W", "R", "B", "", "initial_h"];
        string[] nodeOutputs = cell == Cell.Lstm ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"];
        foreach (string name in nodeInputs)
        {
            node.String(1, name);
        }

        foreach (string name in nodeOutputs)
        {
            node.String(2, name);
        }

        node.String(3, "layer");
        node.String(4, cell switch { Cell.Lstm => "LSTM", Cell.Gru => "GRU", _ => "RNN" }); // RNN's default activation is tanh
        node.Message(5, IntAttribute("hidden_size", hidden));
        if (cell == Cell.Gru)
        {
            node.Message(5, IntAttribute("linear_before_reset", 1));
        }

        graph.Message(1, node);
        graph.String(2, "nativernn_" + cell.ToString().ToLowerInvariant());
        graph.Message(5, Initializer("W", [1, gates * hidden, input], w));
        graph.Message(5, Initializer("R", [1, gates * hidden, hidden], r));
        graph.Message(5, Initializer("B", [1, 2 * gates * hidden], b));
        graph.Message(11, ValueInfo("X", [steps, streams, input]));
        graph.Message(11, ValueInfo("initial_h", [1, streams, hidden]));
        if (cell == Cell.Lstm)
        {
            graph.Message(11, ValueInfo("initial_c", [1, streams, hidden]));
        }

        graph.Message(12, ValueInfo("Y", [steps, 1, streams, hidden]));
        graph.Message(12, ValueInfo("Y_h", [1, streams, hidden]));
        if (cell == Cell.Lstm)
        {
            graph.Message(12, ValueInfo("Y_c", [1, streams, hidden]));
        }

        var opset = new ProtoWriter();
        opset.Int(2, 14);
        var modelProto = new ProtoWriter();
        modelProto.Int(1, 7); // IR version 7 goes with opset 14
        modelProto.String(2, "NativeRnn.Benchmarks.OnnxRuntime");
        modelProto.Message(7, graph);
        modelProto.Message(8, opset);
        return modelProto.ToArray();
    }

    private static float[] Reorder(float[] pytorch, int[] order, int blockLength)
    {
        var onnx = new float[pytorch.Length];
        for (int k = 0; k < order.Length; k++)
        {
            Array.Copy(pytorch, order[k] * blockLength, onnx, k * blockLength, blockLength);
        }

        return onnx;
    }

    private static ProtoWriter IntAttribute(string name, long value)
    {
        var attribute = new ProtoWriter();
        attribute.String(1, name);
        attribute.Int(3, value);
        attribute.Int(20, 2); // AttributeType.INT
        return attribute;
    }

    private static ProtoWriter Initializer(string name, long[] dims, float[] values)
    {
        var tensor = new ProtoWriter();
        foreach (long dim in dims)
        {
            tensor.Int(1, dim);
        }

        tensor.Int(2, 1); // TensorProto.FLOAT
        tensor.String(8, name);
        var raw = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length); // raw_data is little-endian, as is every machine this runs on
        tensor.Bytes(9, raw);
        return tensor;
    }

    private static ProtoWriter ValueInfo(string name, long[] dims)
    {
        var shape = new ProtoWriter();
        foreach (long dim in dims)
        {
            var dimension = new ProtoWriter();
            dimension.Int(1, dim);
            shape.Message(1, dimension);
        }

        var tensorType = new ProtoWriter();
        tensorType.Int(1, 1); // FLOAT
        tensorType.Message(2, shape);
        var type = new ProtoWriter();
        type.Message(1, tensorType);
        var info = new ProtoWriter();
        info.String(1, name);
        info.Message(2, type);
        return info;
    }

    /// <summary>The few protobuf encodings an ONNX model needs: varint and length-delimited fields.</summary>
    private sealed class ProtoWriter
    {
        private readonly MemoryStream _bytes = new();

        public void Int(int field, long value)
        {
            Varint(((ulong)field << 3) | 0);
            Varint((ulong)value);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        public void Bytes(int field, byte[] value)
        {
            Varint(((ulong)field << 3) | 2);
            Varint((ulong)value.Length);
            _bytes.Write(value);
        }

        public byte[] ToArray() => _bytes.ToArray();

        private void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }

            _bytes.WriteByte((byte)value);
        }
    }
}
