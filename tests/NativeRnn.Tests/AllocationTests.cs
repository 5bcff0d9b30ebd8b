using System;
using NativeRnn.Tests.Models;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests;

/// <summary>Every hot entry point allocates zero bytes once warm (allocation is deterministic, so it is asserted).</summary>
public class AllocationTests
{
    private static long Allocated(Action action) => Helpers.Allocation.Measure(action);

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
    public void Gated_and_bidirectional_entry_points_allocate_nothing()
    {
        Streaming(new LstmWideF(1), new float[7 * LstmWideF.InputSize], new float[7 * LstmWideF.OutputSize]);
        Streaming(new GruBeforeF(1), new float[7 * GruBeforeF.InputSize], new float[7 * GruBeforeF.OutputSize]);
        Training(new MixedStackF(1), 6, 3);
        Training(new BiRnnF(1), 6, 3);
        Training(new GruBeforeD(1), 6, 3);
        Training(new BiLstmD(1), 6, 3);
    }

    [Fact]
    public void Token_models_allocate_nothing()
    {
        var model = new TokenStackF(1);
        var state = new TokenStackF.State();
        float[] output = new float[TokenStackF.OutputSize];
        int[] tokens = [1, 4, 2, 10, 0, 3, 3, 7];
        float[] outputs = new float[tokens.Length * TokenStackF.OutputSize];
        Assert.Equal(0, Allocated(() => model.Step(ref state, 5, output)));
        Assert.Equal(0, Allocated(() => model.Forward(ref state, tokens, outputs)));
        var tape = new TokenStackF.Tape(4, 2);
        float[] gradients = new float[TokenStackF.ParameterCount];
        model.Forward(tape, tokens, outputs);
        Assert.Equal(0, Allocated(() => model.Forward(tape, tokens, outputs)));
        Assert.Equal(0, Allocated(() => model.Backward(tape, outputs, gradients)));

        var bidirectional = new TokenBiGruF(1);
        var biTape = new TokenBiGruF.Tape(4, 2);
        float[] biOutputs = new float[8 * TokenBiGruF.OutputSize];
        float[] biGradients = new float[TokenBiGruF.ParameterCount];
        int[] small = [1, 4, 2, 0, 0, 3, 3, 2];
        bidirectional.Forward(biTape, small, biOutputs);
        Assert.Equal(0, Allocated(() => bidirectional.Forward(biTape, small, biOutputs)));
        Assert.Equal(0, Allocated(() => bidirectional.Backward(biTape, biOutputs, biGradients)));
    }

    private static void Streaming<T>(IStreamingModel<T> model, T[] inputs, T[] outputs)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        T[] state = new T[model.StateSize];
        int steps = outputs.Length / model.Description.OutputSize;
        Assert.Equal(0, Allocated(() => model.Step(state, inputs.AsSpan(0, inputs.Length / steps), outputs.AsSpan(0, outputs.Length / steps))));
        Assert.Equal(0, Allocated(() => model.Forward(state, inputs, outputs)));
    }

    private static void Training<T>(ISequenceModel<T> model, int steps, int batch)
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        IRecurrentTape<T> tape = model.CreateTape(steps, batch);
        T[] x = new T[steps * batch * model.Description.InputSize];
        T[] y = new T[steps * batch * model.Description.OutputSize];
        T[] g = new T[model.Parameters.Length];
        model.Forward(tape, x, y);
        Assert.Equal(0, Allocated(() => model.Forward(tape, x, y)));
        Assert.Equal(0, Allocated(() => model.Backward(tape, y, g)));
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
        var sgd = new Sgd<float>(parameters.Length, 1e-3);
        Assert.Equal((0, "cross-entropy"), (Allocated(() => Losses.SoftmaxCrossEntropy<float>(logits, targets, gradient)), "cross-entropy"));
        Assert.Equal((0, "mse"), (Allocated(() => Losses.MeanSquaredError<float>(logits, gradient, gradient)), "mse"));
        Assert.Equal((0, "norm"), (Allocated(() => GradientClipping.ClipByGlobalNorm<float>(gradients, 0.5)), "norm"));
        Assert.Equal((0, "value"), (Allocated(() => GradientClipping.ClipByValue<float>(gradients, 0.001)), "value"));
        Assert.Equal((0, "sgd"), (Allocated(() => sgd.Step(parameters, gradients)), "sgd"));
    }

    [Fact]
    public void The_measure_sees_an_allocation_on_every_call_and_one_in_a_window()
    {
        // The helper measures again on a non-zero reading; code that allocates still reads non-zero.
        object? kept = null;
        Assert.True(Allocated(() => kept = new object()) >= 100 * 24);
        int calls = 0;
        Assert.True(Allocated(() => kept = ++calls % 100 == 0 ? new byte[8] : kept) > 0);
        GC.KeepAlive(kept);
    }
}
