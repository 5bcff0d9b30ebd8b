using System;

namespace NativeRnn.Native;

// The models the C library offers, by name. Each is fixed at compile time like any NativeRnn model; a firmware build
// declares its own here and publishes again.

// The shapes of the PyTorch reference fixtures (tests/fixtures/pytorch): input 3, hidden 9, outputs h_t.
[RnnModel(InputSize = 3)][Lstm(9)] internal sealed partial class FixtureLstm;
[RnnModel(InputSize = 3)][Gru(9)] internal sealed partial class FixtureGru;
[RnnModel(InputSize = 3)][SimpleRnn(9)] internal sealed partial class FixtureRnnTanh;
[RnnModel(InputSize = 3)][Lstm(9)][Lstm(9)] internal sealed partial class FixtureLstm2;

// The nativernn program's small byte-level text model: a file saved by 'nativernn text --size small' loads into it.
[RnnModel][Embedding(256, 32)][Lstm(128)][Dense(256)] internal sealed partial class TextLstmSmall;

/// <summary>The declared models by the names C code asks for them.</summary>
internal static class Models
{
    /// <summary>Names in the order <c>nrnn_model_name</c> lists them.</summary>
    public static readonly string[] Names = ["fixture-lstm", "fixture-gru", "fixture-rnn-tanh", "fixture-lstm-2layer", "text-lstm-small"];

    /// <summary>A new model of that name, initialised from <paramref name="seed"/>, or null for an unknown name.</summary>
    public static IRecurrentModel<float>? Create(string name, ulong seed) => name switch
    {
        "fixture-lstm" => new FixtureLstm(seed),
        "fixture-gru" => new FixtureGru(seed),
        "fixture-rnn-tanh" => new FixtureRnnTanh(seed),
        "fixture-lstm-2layer" => new FixtureLstm2(seed),
        "text-lstm-small" => new TextLstmSmall(seed),
        _ => null,
    };

    /// <summary>The names as one line for messages.</summary>
    public static string List() => string.Join(", ", Names);
}
