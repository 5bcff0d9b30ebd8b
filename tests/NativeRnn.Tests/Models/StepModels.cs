using System.Collections.Generic;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Reference;

namespace NativeRnn.Tests.Models;

// Models shaped to reach every form of the generated step kernels at every vector width (register tiles
// of one panel, tiles of L1-resident weights, panel streams with full and partial panels and remainders,
// the alternating sweep of weights larger than L1, and the reset-before GRU's two phases of panels).
// Checked by the streaming tests only: they are too large for finite differences.

[RnnModel(InputSize = 16)]
[Lstm(16)]
[Gru(16)]
[SimpleRnn(64)]
[Dense(3)]
public partial class StepTilesF;

[RnnModel(InputSize = 16, ElementType = typeof(double))]
[Lstm(16)]
[Gru(16)]
[SimpleRnn(64)]
[Dense(3)]
public partial class StepTilesD;

[RnnModel(InputSize = 1)]
[Lstm(16)]
[SimpleRnn(16, Activation = Activation.Relu)]
public partial class StepOneInputF;

[RnnModel(InputSize = 24)]
[Lstm(64)]
[Gru(48)]
[SimpleRnn(80, Activation = Activation.Sigmoid)]
[Dense(2)]
public partial class StepPanelsF;

[RnnModel(InputSize = 24, ElementType = typeof(double))]
[Lstm(64)]
[Gru(48)]
[SimpleRnn(80, Activation = Activation.Sigmoid)]
[Dense(2)]
public partial class StepPanelsD;

[RnnModel(InputSize = 40)]
[Gru(192)]
[Dense(1)]
public partial class StepSweepF;

// Reset-before GRUs: the r and z columns end inside a panel (hidden 16: one panel of 48 floats; 40: the second
// panel, 56 wide, holds z and n), on a panel's edge (96), or (doubles, 32-wide panels) both.
[RnnModel(InputSize = 24)]
[Gru(16, ResetAfter = false)]
[Gru(40, ResetAfter = false)]
[Gru(96, ResetAfter = false, Bias = false)]
[Dense(2)]
public partial class StepResetBeforeF;

[RnnModel(InputSize = 24, ElementType = typeof(double))]
[Gru(16, ResetAfter = false)]
[Gru(40, ResetAfter = false)]
[Gru(96, ResetAfter = false, Bias = false)]
[Dense(2)]
public partial class StepResetBeforeD;

/// <summary>The step-kernel test models with their architectures.</summary>
public static class StepCatalog
{
    public static readonly NetworkSpec Tiles = new(16, [new(LayerKind.Lstm, 16), new(LayerKind.Gru, 16), new(LayerKind.SimpleRnn, 64)], 3);
    public static readonly NetworkSpec OneInput = new(1, [new(LayerKind.Lstm, 16), new(LayerKind.SimpleRnn, 16, Activation.Relu)], 0);
    public static readonly NetworkSpec Panels = new(24, [new(LayerKind.Lstm, 64), new(LayerKind.Gru, 48), new(LayerKind.SimpleRnn, 80, Activation.Sigmoid)], 2);
    public static readonly NetworkSpec Sweep = new(40, [new(LayerKind.Gru, 192)], 1);
    public static readonly NetworkSpec ResetBefore = new(24, [new(LayerKind.Gru, 16, ResetAfter: false), new(LayerKind.Gru, 40, ResetAfter: false), new(LayerKind.Gru, 96, ResetAfter: false, Bias: false)], 2);

    public static IEnumerable<ModelCase<float>> Float()
    {
        yield return new("StepTilesF", Tiles, seed => new StepTilesF(seed));
        yield return new("StepOneInputF", OneInput, seed => new StepOneInputF(seed));
        yield return new("StepPanelsF", Panels, seed => new StepPanelsF(seed));
        yield return new("StepSweepF", Sweep, seed => new StepSweepF(seed));
        yield return new("StepResetBeforeF", ResetBefore, seed => new StepResetBeforeF(seed));
    }

    public static IEnumerable<ModelCase<double>> Double()
    {
        yield return new("StepTilesD", Tiles, seed => new StepTilesD(seed));
        yield return new("StepPanelsD", Panels, seed => new StepPanelsD(seed));
        yield return new("StepResetBeforeD", ResetBefore, seed => new StepResetBeforeD(seed));
    }
}
