using System;
using NativeRnn.Tests.Models;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests;

/// <summary>Every hot entry point allocates zero bytes once warm (allocation is deterministic, so it is asserted).</summary>
public class AllocationTests
{
    private static long Allocated(Action action)
    {
        for (int i = 0; i < 50; i++)
        {
            action(); // warm up: tiering, static constructors
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void Simple_rnn_entry_points_allocate_nothing()
    {
        var model = new StackedF(1);
        float[] input = new float[StackedF.InputSize];
        float[] output = new float[StackedF.OutputSize];
        float[] inputs = new float[100 * StackedF.InputSize];
        float[] outputs = new float[100 * StackedF.OutputSize];
        var tape = new StackedF.Tape(16, 4);
        float[] batchInputs = new float[16 * 4 * StackedF.InputSize];
        float[] batchOutputs = new float[16 * 4 * StackedF.OutputSize];
        float[] gradients = new float[StackedF.ParameterCount];
        var state = new StackedF.State();
        model.Forward(tape, batchInputs, batchOutputs);

        Assert.Equal(0, Allocated(() => model.Step(ref state, input, output)));
        Assert.Equal(0, Allocated(() => model.Forward(ref state, inputs, outputs)));
        Assert.Equal(0, Allocated(() => model.Forward(tape, batchInputs, batchOutputs)));
        Assert.Equal(0, Allocated(() => model.Backward(tape, batchOutputs, gradients)));
    }

    [Fact]
    public void Double_models_allocate_nothing()
    {
        var model = new WideInputD(2);
        var tape = new WideInputD.Tape(8, 2);
        double[] x = new double[8 * 2 * WideInputD.InputSize];
        double[] y = new double[8 * 2 * WideInputD.OutputSize];
        double[] gradients = new double[WideInputD.ParameterCount];
        var state = new WideInputD.State();
        model.Forward(tape, x, y);
        Assert.Equal(0, Allocated(() => model.Step(ref state, x.AsSpan(0, WideInputD.InputSize), y.AsSpan(0, WideInputD.OutputSize))));
        Assert.Equal(0, Allocated(() => model.Forward(tape, x, y)));
        Assert.Equal(0, Allocated(() => model.Backward(tape, y, gradients)));
    }

    [Fact]
    public void Losses_clipping_and_sgd_allocate_nothing()
    {
        float[] logits = new float[64 * 65];
        float[] gradient = new float[64 * 65];
        int[] targets = new int[64];
        float[] parameters = new float[10_000];
        float[] gradients = new float[10_000];
        gradients.AsSpan().Fill(0.01f);
        var sgd = new Sgd(1e-3);
        Assert.Equal((0, "cross-entropy"), (Allocated(() => Losses.SoftmaxCrossEntropy<float>(logits, targets, gradient)), "cross-entropy"));
        Assert.Equal((0, "mse"), (Allocated(() => Losses.MeanSquaredError<float>(logits, gradient, gradient)), "mse"));
        Assert.Equal((0, "norm"), (Allocated(() => GradientClipping.ClipByGlobalNorm<float>(gradients, 0.5)), "norm"));
        Assert.Equal((0, "value"), (Allocated(() => GradientClipping.ClipByValue<float>(gradients, 0.001)), "value"));
        Assert.Equal((0, "sgd"), (Allocated(() => sgd.Step<float>(parameters, gradients)), "sgd"));
    }
}
