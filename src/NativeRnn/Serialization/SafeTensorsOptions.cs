using System;
using System.Collections.Generic;

namespace NativeRnn.Serialization;

/// <summary>Whose names, shapes and gate orders a weight file uses.</summary>
public enum WeightConvention
{
    /// <summary>
    /// PyTorch's <c>state_dict</c> of <c>nn.RNN</c> / <c>nn.LSTM</c> / <c>nn.GRU</c> (<c>weight_ih_l0</c> <c>[G·H, I]</c>,
    /// <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c>, <c>…_reverse</c>), <c>nn.Embedding</c> and
    /// <c>nn.Linear</c>: the names and shapes of the model's <see cref="ModelLayout"/>, row-major.
    /// </summary>
    PyTorch,

    /// <summary>
    /// Keras's variables: kernels stored transposed (<c>kernel</c> <c>[I, G·H]</c>, <c>recurrent_kernel</c>
    /// <c>[H, G·H]</c>), LSTM gates i, f, c, o (PyTorch's order), GRU gates z, r, h (PyTorch's r, z, n
    /// reordered), one bias per layer — except the reset-after GRU's <c>[2, 3H]</c> input and recurrent rows —
    /// and Keras 3 variable paths as names (<c>lstm/lstm_cell/kernel</c>, <c>dense/kernel</c>,
    /// <c>embedding/embeddings</c>; see docs/weights.md). A single bias loads as <c>bias_ih</c> with
    /// <c>bias_hh</c> zero and saves as their sum.
    /// </summary>
    Keras,
}

/// <summary>
/// How a model's tensors are named and typed in a safetensors file, for <c>LoadSafeTensors</c> and
/// <c>SaveSafeTensors</c>. The file name of a tensor is <see cref="NameMap"/>'s entry for its name when there
/// is one, else <see cref="Prefix"/> followed by its name.
/// </summary>
public sealed class SafeTensorsOptions
{
    private string _prefix = string.Empty;
    private SafeTensorsLimits _limits = SafeTensorsLimits.Default;

    /// <summary>
    /// Put before every name that <see cref="NameMap"/> does not map: the path of the module that holds the
    /// recurrent layers, e.g. <c>"rnn."</c> for <c>self.rnn = nn.LSTM(…)</c>, or <c>"model.rnn."</c> inside a
    /// Lightning module. Empty by default.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public string Prefix
    {
        get => _prefix;
        set => _prefix = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// File names for particular tensors, by the model's name (the convention's name), taken as written —
    /// <see cref="Prefix"/> is not added. For heads and embeddings that PyTorch modules name their own way:
    /// <c>["head.weight"] = "fc.weight"</c>, <c>["head.bias"] = "fc.bias"</c>, <c>["embedding.weight"] = "encoder.weight"</c>.
    /// </summary>
    public IDictionary<string, string> NameMap { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>On load: skip tensors of the file that the model does not have, instead of refusing the file. Off by default.</summary>
    public bool IgnoreUnexpected { get; set; }

    /// <summary>Whose names, shapes and gate orders the file uses. <see cref="WeightConvention.PyTorch"/> by default.</summary>
    public WeightConvention Convention { get; set; }

    /// <summary>
    /// On save: the element type written (<see cref="SafeTensorType.F32"/>, <see cref="SafeTensorType.F64"/>,
    /// <see cref="SafeTensorType.F16"/> or <see cref="SafeTensorType.BF16"/>), rounding to nearest when it is
    /// narrower than the model's; null (the default) writes the model's own type, exactly.
    /// </summary>
    public SafeTensorType? SaveType { get; set; }

    /// <summary>On save: entries for the file's <c>__metadata__</c> (a PyTorch-convention file also gets <c>"format": "pt"</c>).</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>On load: bounds on the header. <see cref="SafeTensorsLimits.Default"/> unless set.</summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    public SafeTensorsLimits Limits
    {
        get => _limits;
        set => _limits = value ?? throw new ArgumentNullException(nameof(value));
    }
}

/// <summary>What a successful load found besides the model's tensors.</summary>
public sealed class SafeTensorsLoadResult
{
    internal SafeTensorsLoadResult(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<string> ignored)
    {
        Metadata = metadata;
        IgnoredTensors = ignored;
    }

    /// <summary>The file's <c>__metadata__</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensors of the file the model does not have, skipped because <see cref="SafeTensorsOptions.IgnoreUnexpected"/> was set.</summary>
    public IReadOnlyList<string> IgnoredTensors { get; }
}
