using System;
using System.Collections.Generic;

namespace NativeRnn.Serialization;

/// <summary>
/// Keras's names and layouts for a model's tensors (see <see cref="WeightConvention.Keras"/>). Names follow
/// Keras 3 variable paths with the default layer names of a fresh session: per kind, <c>simple_rnn</c>,
/// <c>lstm</c>, <c>gru</c>, then <c>_1</c>, <c>_2</c>, …; a bidirectional layer is
/// <c>bidirectional{_i}/forward_{name}/…</c> and <c>…/backward_{name}/…</c>; then <c>dense</c> and
/// <c>embedding</c>. Other names are given with <see cref="SafeTensorsOptions.NameMap"/>.
/// </summary>
internal static class KerasConvention
{
    // Keras GRU gates z, r, h; PyTorch r, z, n: the file's block g holds the model's block GruOrder[g].
    private static readonly int[] GruOrder = [1, 0, 2];

    public static FileTensor[] Plan(ModelDescription description, ModelLayout layout)
    {
        ArgumentNullException.ThrowIfNull(description);
        var plan = new List<FileTensor>();
        var counts = new Dictionary<LayerKind, int>();
        int bidirectional = 0;
        foreach (TensorInfo tensor in layout)
        {
            if (tensor.Role == TensorRole.EmbeddingWeight)
            {
                plan.Add(new FileTensor("embedding/embeddings", tensor.Shape.ToArray(), FileTensorForm.Direct, tensor));
            }
        }

        for (int k = 0; k < description.Layers.Count; k++)
        {
            LayerDescription layer = description.Layers[k];
            int index = counts.TryGetValue(layer.Kind, out int seen) ? seen : 0;
            counts[layer.Kind] = index + 1;
            (string kind, string cell) = layer.Kind switch
            {
                LayerKind.SimpleRnn => ("simple_rnn", "simple_rnn_cell"),
                LayerKind.Lstm => ("lstm", "lstm_cell"),
                _ => ("gru", "gru_cell"),
            };

            string name = kind + Suffix(index);
            int[]? order = layer.Kind == LayerKind.Gru ? GruOrder : null;
            bool stackedBiases = layer.Kind == LayerKind.Gru && layer.ResetAfter;
            if (layer.Bidirectional)
            {
                string wrapper = "bidirectional" + Suffix(bidirectional++);
                AddDirection(plan, layout, k, string.Empty, $"{wrapper}/forward_{name}/{cell}/", order, stackedBiases);
                AddDirection(plan, layout, k, "_reverse", $"{wrapper}/backward_{name}/{cell}/", order, stackedBiases);
            }
            else
            {
                AddDirection(plan, layout, k, string.Empty, $"{name}/{cell}/", order, stackedBiases);
            }
        }

        foreach (TensorInfo tensor in layout)
        {
            if (tensor.Role == TensorRole.HeadWeight)
            {
                plan.Add(new FileTensor("dense/kernel", [tensor.Columns, tensor.Rows], FileTensorForm.TransposedGates, tensor));
            }
            else if (tensor.Role == TensorRole.HeadBias)
            {
                plan.Add(new FileTensor("dense/bias", tensor.Shape.ToArray(), FileTensorForm.Direct, tensor));
            }
        }

        return plan.ToArray();
    }

    private static void AddDirection(List<FileTensor> plan, ModelLayout layout, int k, string suffix, string path, int[]? order, bool stackedBiases)
    {
        TensorInfo input = layout[$"weight_ih_l{k}{suffix}"];
        TensorInfo recurrent = layout[$"weight_hh_l{k}{suffix}"];
        plan.Add(new FileTensor(path + "kernel", [input.Columns, input.Rows], FileTensorForm.TransposedGates, input, gateOrder: order));
        plan.Add(new FileTensor(path + "recurrent_kernel", [recurrent.Columns, recurrent.Rows], FileTensorForm.TransposedGates, recurrent, gateOrder: order));
        bool hasInputBias = layout.TryGetTensor($"bias_ih_l{k}{suffix}", out TensorInfo? biasIh);
        bool hasRecurrentBias = layout.TryGetTensor($"bias_hh_l{k}{suffix}", out TensorInfo? biasHh);
        if (hasInputBias != hasRecurrentBias)
        {
            throw new NotSupportedException($"Layer {k} has only one of bias_ih and bias_hh; the Keras convention maps both or neither.");
        }

        if (hasInputBias)
        {
            plan.Add(stackedBiases
                ? new FileTensor(path + "bias", [2, biasIh!.Rows], FileTensorForm.StackedBiases, biasIh, biasHh, order)
                : new FileTensor(path + "bias", [biasIh!.Rows], FileTensorForm.SummedBias, biasIh, biasHh, order));
        }
    }

    private static string Suffix(int index) => index == 0 ? string.Empty : "_" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
