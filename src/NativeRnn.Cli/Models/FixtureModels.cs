using System;
using System.Collections.Generic;

namespace NativeRnn.Cli.Models;

// The architectures of the PyTorch reference fixtures (tests/fixtures/pytorch: input 3, hidden 9, no head), in float and
// double, so 'nativernn check' can prove on the machine it runs on that the compiled kernels still match PyTorch.

[RnnModel(InputSize = 3)][SimpleRnn(9)] internal sealed partial class CheckRnnTanhF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][SimpleRnn(9)] internal sealed partial class CheckRnnTanhD;
[RnnModel(InputSize = 3)][SimpleRnn(9, Activation = Activation.Relu)] internal sealed partial class CheckRnnReluF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][SimpleRnn(9, Activation = Activation.Relu)] internal sealed partial class CheckRnnReluD;
[RnnModel(InputSize = 3)][Lstm(9)] internal sealed partial class CheckLstmF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Lstm(9)] internal sealed partial class CheckLstmD;
[RnnModel(InputSize = 3)][Gru(9)] internal sealed partial class CheckGruF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Gru(9)] internal sealed partial class CheckGruD;
[RnnModel(InputSize = 3)][Lstm(9)][Lstm(9)] internal sealed partial class CheckLstm2F;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Lstm(9)][Lstm(9)] internal sealed partial class CheckLstm2D;
[RnnModel(InputSize = 3)][Gru(9)][Gru(9)] internal sealed partial class CheckGru2F;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Gru(9)][Gru(9)] internal sealed partial class CheckGru2D;
[RnnModel(InputSize = 3)][Lstm(9, Bidirectional = true)] internal sealed partial class CheckBiLstmF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Lstm(9, Bidirectional = true)] internal sealed partial class CheckBiLstmD;
[RnnModel(InputSize = 3)][Gru(9, Bidirectional = true)] internal sealed partial class CheckBiGruF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Gru(9, Bidirectional = true)] internal sealed partial class CheckBiGruD;
[RnnModel(InputSize = 3)][Lstm(9, Bidirectional = true)][Lstm(9, Bidirectional = true)] internal sealed partial class CheckBiLstm2F;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Lstm(9, Bidirectional = true)][Lstm(9, Bidirectional = true)] internal sealed partial class CheckBiLstm2D;

/// <summary>The declared model of each fixture case, by the case name the fixture files begin with.</summary>
internal static class FixtureModels
{
    public static readonly IReadOnlyDictionary<string, (Func<ISequenceModel<float>> Float, Func<ISequenceModel<double>> Double)> Cases =
        new Dictionary<string, (Func<ISequenceModel<float>>, Func<ISequenceModel<double>>)>
        {
            ["rnn_tanh"] = (() => new CheckRnnTanhF(), () => new CheckRnnTanhD()),
            ["rnn_relu"] = (() => new CheckRnnReluF(), () => new CheckRnnReluD()),
            ["lstm"] = (() => new CheckLstmF(), () => new CheckLstmD()),
            ["gru"] = (() => new CheckGruF(), () => new CheckGruD()),
            ["lstm_2layer"] = (() => new CheckLstm2F(), () => new CheckLstm2D()),
            ["gru_2layer"] = (() => new CheckGru2F(), () => new CheckGru2D()),
            ["lstm_bidir"] = (() => new CheckBiLstmF(), () => new CheckBiLstmD()),
            ["gru_bidir"] = (() => new CheckBiGruF(), () => new CheckBiGruD()),
            ["lstm_2layer_bidir"] = (() => new CheckBiLstm2F(), () => new CheckBiLstm2D()),
        };
}
