using System.Collections.Generic;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Reference;

namespace NativeRnn.Tests.Models;

// LSTM and GRU in both forms, bidirectional layers of every kind, a three-layer mixed stack and
// token models, sized to hit vector remainders. Each is declared in float and in double.

[RnnModel(InputSize = 3)]
[Lstm(7)]
[Dense(2)]
public partial class LstmSmallF;

[RnnModel(InputSize = 3, ElementType = typeof(double))]
[Lstm(7)]
[Dense(2)]
public partial class LstmSmallD;

[RnnModel(InputSize = 13)]
[Lstm(33)]
public partial class LstmWideF;

[RnnModel(InputSize = 13, ElementType = typeof(double))]
[Lstm(33)]
public partial class LstmWideD;

[RnnModel(InputSize = 7)]
[Gru(13)]
[Dense(3)]
public partial class GruAfterF;

[RnnModel(InputSize = 7, ElementType = typeof(double))]
[Gru(13)]
[Dense(3)]
public partial class GruAfterD;

[RnnModel(InputSize = 3)]
[Gru(9, ResetAfter = false)]
[Dense(1)]
public partial class GruBeforeF;

[RnnModel(InputSize = 3, ElementType = typeof(double))]
[Gru(9, ResetAfter = false)]
[Dense(1)]
public partial class GruBeforeD;

[RnnModel(InputSize = 5)]
[Lstm(3, Bidirectional = true)]
[Dense(2)]
public partial class BiLstmF;

[RnnModel(InputSize = 5, ElementType = typeof(double))]
[Lstm(3, Bidirectional = true)]
[Dense(2)]
public partial class BiLstmD;

[RnnModel(InputSize = 4)]
[Gru(7, Bidirectional = true)]
public partial class BiGruF;

[RnnModel(InputSize = 4, ElementType = typeof(double))]
[Gru(7, Bidirectional = true)]
public partial class BiGruD;

[RnnModel(InputSize = 3)]
[SimpleRnn(5, Bidirectional = true)]
[Gru(3, ResetAfter = false, Bidirectional = true)]
[Dense(1)]
public partial class BiRnnF;

[RnnModel(InputSize = 3, ElementType = typeof(double))]
[SimpleRnn(5, Bidirectional = true)]
[Gru(3, ResetAfter = false, Bidirectional = true)]
[Dense(1)]
public partial class BiRnnD;

[RnnModel(InputSize = 5)]
[SimpleRnn(7, Activation = Activation.Sigmoid)]
[Lstm(9, Bidirectional = true)]
[Gru(13)]
[Dense(3)]
public partial class MixedStackF;

[RnnModel(InputSize = 5, ElementType = typeof(double))]
[SimpleRnn(7, Activation = Activation.Sigmoid)]
[Lstm(9, Bidirectional = true)]
[Gru(13)]
[Dense(3)]
public partial class MixedStackD;

[RnnModel]
[Embedding(11, 6)]
[Lstm(8)]
[Gru(5)]
[Dense(11)]
public partial class TokenStackF;

[RnnModel(ElementType = typeof(double))]
[Embedding(11, 6)]
[Lstm(8)]
[Gru(5)]
[Dense(11)]
public partial class TokenStackD;

[RnnModel]
[Embedding(5, 3)]
[Gru(4, Bidirectional = true)]
[Dense(5)]
public partial struct TokenBiGruF;

[RnnModel(ElementType = typeof(double))]
[Embedding(5, 3)]
[Gru(4, Bidirectional = true)]
[Dense(5)]
public partial struct TokenBiGruD;

// Hidden sizes that are multiples of half a weight panel (32 floats, 16 doubles) take the register-fused
// step path across several panels.
[RnnModel(InputSize = 5)]
[Lstm(32)]
[Dense(2)]
public partial class LstmPanelsF;

[RnnModel(InputSize = 5, ElementType = typeof(double))]
[Lstm(16)]
[Dense(2)]
public partial class LstmPanelsD;

[RnnModel(InputSize = 3)]
[Gru(32)]
public partial class GruPanelsF;

[RnnModel(InputSize = 3, ElementType = typeof(double))]
[Gru(16)]
public partial class GruPanelsD;

// Bias = false (PyTorch's bias=False): no bias tensors at all, in the training passes and in every step-kernel shape
// (partial vectors, a register tile, panels, the reset-before fallback).
[RnnModel(InputSize = 4)]
[Lstm(6, Bias = false)]
[Gru(5, Bias = false)]
[SimpleRnn(3, Bias = false, Activation = Activation.Relu)]
[Dense(2)]
public partial class NoBiasStackF;

[RnnModel(InputSize = 4, ElementType = typeof(double))]
[Lstm(6, Bias = false)]
[Gru(5, Bias = false)]
[SimpleRnn(3, Bias = false, Activation = Activation.Relu)]
[Dense(2)]
public partial class NoBiasStackD;

[RnnModel(InputSize = 3)]
[Lstm(16, Bias = false)]
[Gru(32, Bias = false)]
public partial class NoBiasKernelsF;

[RnnModel(InputSize = 3, ElementType = typeof(double))]
[Lstm(16, Bias = false)]
[Gru(32, Bias = false)]
public partial class NoBiasKernelsD;

[RnnModel]
[Embedding(7, 4)]
[Gru(4, Bias = false, ResetAfter = false, Bidirectional = true)]
[Dense(7)]
public partial class NoBiasBiGruF;

[RnnModel(ElementType = typeof(double))]
[Embedding(7, 4)]
[Gru(4, Bias = false, ResetAfter = false, Bidirectional = true)]
[Dense(7)]
public partial class NoBiasBiGruD;

/// <summary>The gated test models with the architecture each is expected to have.</summary>
public static class GatedCatalog
{
    public static readonly NetworkSpec LstmSmall = new(3, [new(LayerKind.Lstm, 7)], 2);
    public static readonly NetworkSpec LstmWide = new(13, [new(LayerKind.Lstm, 33)], 0);
    public static readonly NetworkSpec GruAfter = new(7, [new(LayerKind.Gru, 13)], 3);
    public static readonly NetworkSpec GruBefore = new(3, [new(LayerKind.Gru, 9, ResetAfter: false)], 1);
    public static readonly NetworkSpec BiLstm = new(5, [new(LayerKind.Lstm, 3, Bidirectional: true)], 2);
    public static readonly NetworkSpec BiGru = new(4, [new(LayerKind.Gru, 7, Bidirectional: true)], 0);
    public static readonly NetworkSpec BiRnn = new(3, [new(LayerKind.SimpleRnn, 5, Bidirectional: true), new(LayerKind.Gru, 3, ResetAfter: false, Bidirectional: true)], 1);
    public static readonly NetworkSpec MixedStack = new(5, [new(LayerKind.SimpleRnn, 7, Activation.Sigmoid), new(LayerKind.Lstm, 9, Bidirectional: true), new(LayerKind.Gru, 13)], 3);
    public static readonly NetworkSpec TokenStack = new(6, [new(LayerKind.Lstm, 8), new(LayerKind.Gru, 5)], 11, Vocabulary: 11);
    public static readonly NetworkSpec TokenBiGru = new(3, [new(LayerKind.Gru, 4, Bidirectional: true)], 5, Vocabulary: 5);
    public static readonly NetworkSpec LstmPanelsFloat = new(5, [new(LayerKind.Lstm, 32)], 2);
    public static readonly NetworkSpec LstmPanelsDouble = new(5, [new(LayerKind.Lstm, 16)], 2);
    public static readonly NetworkSpec GruPanelsFloat = new(3, [new(LayerKind.Gru, 32)], 0);
    public static readonly NetworkSpec GruPanelsDouble = new(3, [new(LayerKind.Gru, 16)], 0);
    public static readonly NetworkSpec NoBiasStack = new(4, [new(LayerKind.Lstm, 6, Bias: false), new(LayerKind.Gru, 5, Bias: false), new(LayerKind.SimpleRnn, 3, Activation.Relu, Bias: false)], 2);
    public static readonly NetworkSpec NoBiasKernels = new(3, [new(LayerKind.Lstm, 16, Bias: false), new(LayerKind.Gru, 32, Bias: false)], 0);
    public static readonly NetworkSpec NoBiasBiGru = new(4, [new(LayerKind.Gru, 4, Bidirectional: true, ResetAfter: false, Bias: false)], 7, Vocabulary: 7);

    public static IEnumerable<ModelCase<float>> Float()
    {
        yield return new("LstmSmallF", LstmSmall, seed => new LstmSmallF(seed));
        yield return new("LstmWideF", LstmWide, seed => new LstmWideF(seed));
        yield return new("GruAfterF", GruAfter, seed => new GruAfterF(seed));
        yield return new("GruBeforeF", GruBefore, seed => new GruBeforeF(seed));
        yield return new("BiLstmF", BiLstm, seed => new BiLstmF(seed));
        yield return new("BiGruF", BiGru, seed => new BiGruF(seed));
        yield return new("BiRnnF", BiRnn, seed => new BiRnnF(seed));
        yield return new("MixedStackF", MixedStack, seed => new MixedStackF(seed));
        yield return new("TokenStackF", TokenStack, seed => new TokenStackF(seed));
        yield return new("TokenBiGruF", TokenBiGru, seed => new TokenBiGruF(seed));
        yield return new("LstmPanelsF", LstmPanelsFloat, seed => new LstmPanelsF(seed));
        yield return new("GruPanelsF", GruPanelsFloat, seed => new GruPanelsF(seed));
        yield return new("NoBiasStackF", NoBiasStack, seed => new NoBiasStackF(seed));
        yield return new("NoBiasKernelsF", NoBiasKernels, seed => new NoBiasKernelsF(seed));
        yield return new("NoBiasBiGruF", NoBiasBiGru, seed => new NoBiasBiGruF(seed));
    }

    public static IEnumerable<ModelCase<double>> Double()
    {
        yield return new("LstmSmallD", LstmSmall, seed => new LstmSmallD(seed));
        yield return new("LstmWideD", LstmWide, seed => new LstmWideD(seed));
        yield return new("GruAfterD", GruAfter, seed => new GruAfterD(seed));
        yield return new("GruBeforeD", GruBefore, seed => new GruBeforeD(seed));
        yield return new("BiLstmD", BiLstm, seed => new BiLstmD(seed));
        yield return new("BiGruD", BiGru, seed => new BiGruD(seed));
        yield return new("BiRnnD", BiRnn, seed => new BiRnnD(seed));
        yield return new("MixedStackD", MixedStack, seed => new MixedStackD(seed));
        yield return new("TokenStackD", TokenStack, seed => new TokenStackD(seed));
        yield return new("TokenBiGruD", TokenBiGru, seed => new TokenBiGruD(seed));
        yield return new("LstmPanelsD", LstmPanelsDouble, seed => new LstmPanelsD(seed));
        yield return new("GruPanelsD", GruPanelsDouble, seed => new GruPanelsD(seed));
        yield return new("NoBiasStackD", NoBiasStack, seed => new NoBiasStackD(seed));
        yield return new("NoBiasKernelsD", NoBiasKernels, seed => new NoBiasKernelsD(seed));
        yield return new("NoBiasBiGruD", NoBiasBiGru, seed => new NoBiasBiGruD(seed));
    }
}

/// <summary>Every test model.</summary>
public static class Catalog
{
    public static IEnumerable<ModelCase<float>> Float()
    {
        foreach (ModelCase<float> c in SimpleRnnCatalog.Float())
        {
            yield return c;
        }

        foreach (ModelCase<float> c in GatedCatalog.Float())
        {
            yield return c;
        }
    }

    public static IEnumerable<ModelCase<double>> Double()
    {
        foreach (ModelCase<double> c in SimpleRnnCatalog.Double())
        {
            yield return c;
        }

        foreach (ModelCase<double> c in GatedCatalog.Double())
        {
            yield return c;
        }
    }
}
