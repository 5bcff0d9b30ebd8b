using System;
using System.Collections.Generic;

namespace NativeRnn.Tests.Models;

// The architectures of the PyTorch reference fixtures (input 3, hidden 9, no head), in float and double.

[RnnModel(InputSize = 3)][SimpleRnn(9)] public partial class FixtureRnnTanhF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][SimpleRnn(9)] public partial class FixtureRnnTanhD;
[RnnModel(InputSize = 3)][SimpleRnn(9, Activation = Activation.Relu)] public partial class FixtureRnnReluF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][SimpleRnn(9, Activation = Activation.Relu)] public partial class FixtureRnnReluD;
[RnnModel(InputSize = 3)][Lstm(9)] public partial class FixtureLstmF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Lstm(9)] public partial class FixtureLstmD;
[RnnModel(InputSize = 3)][Gru(9)] public partial class FixtureGruF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Gru(9)] public partial class FixtureGruD;
[RnnModel(InputSize = 3)][Lstm(9)][Lstm(9)] public partial class FixtureLstm2F;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Lstm(9)][Lstm(9)] public partial class FixtureLstm2D;
[RnnModel(InputSize = 3)][Gru(9)][Gru(9)] public partial class FixtureGru2F;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Gru(9)][Gru(9)] public partial class FixtureGru2D;
[RnnModel(InputSize = 3)][Lstm(9, Bidirectional = true)] public partial class FixtureBiLstmF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Lstm(9, Bidirectional = true)] public partial class FixtureBiLstmD;
[RnnModel(InputSize = 3)][Gru(9, Bidirectional = true)] public partial class FixtureBiGruF;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Gru(9, Bidirectional = true)] public partial class FixtureBiGruD;
[RnnModel(InputSize = 3)][Lstm(9, Bidirectional = true)][Lstm(9, Bidirectional = true)] public partial class FixtureBiLstm2F;
[RnnModel(InputSize = 3, ElementType = typeof(double))][Lstm(9, Bidirectional = true)][Lstm(9, Bidirectional = true)] public partial class FixtureBiLstm2D;

/// <summary>The declared model for each fixture case.</summary>
public static class FixtureCatalog
{
    public static readonly IReadOnlyDictionary<string, (Func<ISequenceModel<float>> Float, Func<ISequenceModel<double>> Double)> Cases =
        new Dictionary<string, (Func<ISequenceModel<float>>, Func<ISequenceModel<double>>)>
        {
            ["rnn_tanh"] = (() => new FixtureRnnTanhF(), () => new FixtureRnnTanhD()),
            ["rnn_relu"] = (() => new FixtureRnnReluF(), () => new FixtureRnnReluD()),
            ["lstm"] = (() => new FixtureLstmF(), () => new FixtureLstmD()),
            ["gru"] = (() => new FixtureGruF(), () => new FixtureGruD()),
            ["lstm_2layer"] = (() => new FixtureLstm2F(), () => new FixtureLstm2D()),
            ["gru_2layer"] = (() => new FixtureGru2F(), () => new FixtureGru2D()),
            ["lstm_bidir"] = (() => new FixtureBiLstmF(), () => new FixtureBiLstmD()),
            ["gru_bidir"] = (() => new FixtureBiGruF(), () => new FixtureBiGruD()),
            ["lstm_2layer_bidir"] = (() => new FixtureBiLstm2F(), () => new FixtureBiLstm2D()),
        };
}

/// <summary>A reset-before GRU with the fixtures' sizes, for the update-gate convention test.</summary>
[RnnModel(InputSize = 3, ElementType = typeof(double))]
[Gru(9, ResetAfter = false)]
public partial class FixtureGruBeforeD;
