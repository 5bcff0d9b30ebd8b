using System.Collections.Generic;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Reference;

namespace NativeRnn.Tests.Models;

// Sizes 1, 3, 7, 13 and 33 hit every vector remainder (512-, 256- and 128-bit, float and double),
// and every activation appears, alone and stacked. Each model is declared in float and in double.

[RnnModel(InputSize = 1)]
[SimpleRnn(1)]
public partial class SingleUnitF;

[RnnModel(InputSize = 1, ElementType = typeof(double))]
[SimpleRnn(1)]
public partial class SingleUnitD;

[RnnModel(InputSize = 3)]
[SimpleRnn(7, Activation = Activation.Relu)]
[Dense(3)]
public partial class ReluSmallF;

[RnnModel(InputSize = 3, ElementType = typeof(double))]
[SimpleRnn(7, Activation = Activation.Relu)]
[Dense(3)]
public partial class ReluSmallD;

[RnnModel(InputSize = 7)]
[SimpleRnn(13, Activation = Activation.Sigmoid)]
[Dense(1)]
public partial class SigmoidMidF;

[RnnModel(InputSize = 7, ElementType = typeof(double))]
[SimpleRnn(13, Activation = Activation.Sigmoid)]
[Dense(1)]
public partial class SigmoidMidD;

[RnnModel(InputSize = 13)]
[SimpleRnn(33)]
[SimpleRnn(7, Activation = Activation.Relu)]
[Dense(13)]
public partial struct StackedF;

[RnnModel(InputSize = 13, ElementType = typeof(double))]
[SimpleRnn(33)]
[SimpleRnn(7, Activation = Activation.Relu)]
[Dense(13)]
public partial struct StackedD;

[RnnModel(InputSize = 33)]
[SimpleRnn(3, Activation = Activation.Sigmoid)]
[SimpleRnn(33)]
public partial class WideInputF;

[RnnModel(InputSize = 33, ElementType = typeof(double))]
[SimpleRnn(3, Activation = Activation.Sigmoid)]
[SimpleRnn(33)]
public partial class WideInputD;

/// <summary>The simple-RNN test models with the architecture each is expected to have.</summary>
public static class SimpleRnnCatalog
{
    public static readonly NetworkSpec SingleUnit = new(1, [new(LayerKind.SimpleRnn, 1)], 0);
    public static readonly NetworkSpec ReluSmall = new(3, [new(LayerKind.SimpleRnn, 7, Activation.Relu)], 3);
    public static readonly NetworkSpec SigmoidMid = new(7, [new(LayerKind.SimpleRnn, 13, Activation.Sigmoid)], 1);
    public static readonly NetworkSpec Stacked = new(13, [new(LayerKind.SimpleRnn, 33), new(LayerKind.SimpleRnn, 7, Activation.Relu)], 13);
    public static readonly NetworkSpec WideInput = new(33, [new(LayerKind.SimpleRnn, 3, Activation.Sigmoid), new(LayerKind.SimpleRnn, 33)], 0);

    public static IEnumerable<ModelCase<float>> Float()
    {
        yield return new("SingleUnitF", SingleUnit, seed => new SingleUnitF(seed));
        yield return new("ReluSmallF", ReluSmall, seed => new ReluSmallF(seed));
        yield return new("SigmoidMidF", SigmoidMid, seed => new SigmoidMidF(seed));
        yield return new("StackedF", Stacked, seed => new StackedF(seed));
        yield return new("WideInputF", WideInput, seed => new WideInputF(seed));
    }

    public static IEnumerable<ModelCase<double>> Double()
    {
        yield return new("SingleUnitD", SingleUnit, seed => new SingleUnitD(seed));
        yield return new("ReluSmallD", ReluSmall, seed => new ReluSmallD(seed));
        yield return new("SigmoidMidD", SigmoidMid, seed => new SigmoidMidD(seed));
        yield return new("StackedD", Stacked, seed => new StackedD(seed));
        yield return new("WideInputD", WideInput, seed => new WideInputD(seed));
    }
}
