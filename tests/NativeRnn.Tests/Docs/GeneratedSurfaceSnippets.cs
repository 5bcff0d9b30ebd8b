using System;
using System.Collections.Generic;
using System.Linq;
using NativeRnn;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests.Docs.Surface;

// The declarations and snippets of docs/generated-surface.md, run.

[RnnModel(InputSize = 3)]
[Lstm(16)]
[Gru(8)]
[Dense(2)]
public partial class Sensor;

[RnnModel]
[Embedding(32, 8)]
[Lstm(16)]
[Dense(32)]
public partial class Chars;

public class GeneratedSurfaceSnippets
{
    [Fact]
    public void The_layout_lists_every_tensor_with_its_PyTorch_name_and_shape()
    {
        var lines = new List<string>();
        foreach (TensorInfo tensor in Sensor.Layout)
        {
            lines.Add($"{tensor.Name} [{string.Join(", ", tensor.Shape.ToArray())}]");
        }

        Assert.Equal(
            ["weight_ih_l0 [64, 3]", "weight_hh_l0 [64, 16]", "bias_ih_l0 [64]", "bias_hh_l0 [64]",
             "weight_ih_l1 [24, 16]", "weight_hh_l1 [24, 8]", "bias_ih_l1 [24]", "bias_hh_l1 [24]",
             "head.weight [2, 8]", "head.bias [2]"],
            lines);
        Assert.Equal(Sensor.ParameterCount, Sensor.Layout.Sum(t => t.Length));
        Assert.Equal(1986, Sensor.ParameterCount);
        Assert.Equal(40, Sensor.StateSize);
    }

    [Fact]
    public void A_tensor_is_read_and_written_in_PyTorch_layout()
    {
        var model = new Sensor(seed: 42);
        float[] w = new float[4 * 16 * 3];              // weight_ih_l0 [4·16, 3]: gate blocks i, f, g, o
        model.ExportTensor("weight_ih_l0", w);
        w[(1 * 16 * 3) + 0] = 0.5f;                     // row 16: unit 0 of the forget gate, column 0
        model.ImportTensor("weight_ih_l0", w);
        float f00 = Sensor.Layout["weight_ih_l0"].At(model.Parameters, row: 16, column: 0); // 0.5

        Assert.Equal(0.5f, f00);
        float[] back = new float[w.Length];
        model.ExportTensor("weight_ih_l0", back);
        Assert.Equal(w, back);
    }

    [Fact]
    public void A_state_steps_forks_and_exposes_each_layers_h_and_c()
    {
        var model = new Sensor(seed: 42);
        var state = new Sensor.State();                 // all zero: the state before the first step
        float[] y = new float[Sensor.OutputSize];
        model.Step(ref state, [0.1f, 0.2f, 0.3f], y);   // x_1 → y_1
        Span<float> h0 = state.Hidden(0);               // the LSTM's h, 16 values
        Span<float> c0 = state.Cell(0);                 // the LSTM's c, 16 values
        Span<float> h1 = state.Hidden(1);               // the GRU's h, 8 values
        Sensor.State fork = state;                      // a copy: two streams from here on
        Span<float> all = state;                        // all 40 elements: h0, c0, h1

        Assert.Equal(16, h0.Length);
        Assert.Equal(16, c0.Length);
        Assert.Equal(8, h1.Length);
        Assert.Equal(Sensor.StateSize, all.Length);
        Assert.True(all[..16].SequenceEqual(h0) && all[16..32].SequenceEqual(c0) && all[32..].SequenceEqual(h1));
        Assert.Contains(h0.ToArray(), v => v != 0);
        Assert.Throws<InvalidOperationException>(() => fork.Cell(1)); // layer 1 is a GRU: no c

        float[] y2 = new float[Sensor.OutputSize], yFork = new float[Sensor.OutputSize];
        model.Step(ref state, [0.4f, 0.5f, 0.6f], y2);
        model.Step(ref fork, [0.4f, 0.5f, 0.6f], yFork);
        Assert.Equal(y2, yFork);
    }

    [Fact]
    public void The_streaming_forward_continues_a_state_as_steps_would()
    {
        var model = new Sensor(seed: 42);
        float[] xs = Enumerable.Range(0, 100 * Sensor.InputSize).Select(i => MathF.Sin(i * 0.1f)).ToArray();
        var state = new Sensor.State();
        float[] ys = new float[100 * Sensor.OutputSize];
        model.Forward(ref state, xs, ys);               // xs [100, InputSize] → ys [100, OutputSize]

        var stepped = new Sensor.State();
        float[] y = new float[Sensor.OutputSize];
        for (int t = 0; t < 100; t++)
        {
            model.Step(ref stepped, xs.AsSpan(t * Sensor.InputSize, Sensor.InputSize), y);
            Assert.Equal(y[0], ys[t * Sensor.OutputSize], 5e-6f);
            Assert.Equal(y[1], ys[(t * Sensor.OutputSize) + 1], 5e-6f);
        }
    }

    [Fact]
    public void A_bad_argument_throws_and_leaves_the_state_as_it_was()
    {
        var model = new Sensor(seed: 42);
        var state = new Sensor.State();
        float[] y = new float[Sensor.OutputSize];
        model.Step(ref state, [0.1f, 0.2f, 0.3f], y);
        float[] before = ((Span<float>)state).ToArray();

        ArgumentException wrongLength = Assert.Throws<ArgumentException>(() => model.Step(ref state, [0.1f, 0.2f], y));
        Assert.Contains("input", wrongLength.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.Step(ref state, [0.1f, float.NaN, 0.3f], y));
        Assert.Throws<ArgumentException>(() => model.Forward(ref state, new float[10 * Sensor.InputSize], new float[9 * Sensor.OutputSize]));
        Assert.Equal(before, ((Span<float>)state).ToArray());
    }

    [Fact]
    public void Many_streams_step_in_one_call_as_each_would_alone()
    {
        var model = new Sensor(seed: 42);
        const int B = 8;
        var states = new Sensor.State[B];                      // one state per stream, all zero
        float[] x = new float[B * Sensor.InputSize];            // [B, InputSize]: row b is stream b's x_t
        float[] y = new float[B * Sensor.OutputSize];           // [B, OutputSize]
        for (int b = 0; b < B; b++)
        {
            x[b * Sensor.InputSize] = 0.1f * b;
        }

        model.Step(states, x, y);                               // every stream by one step, weights read once

        float[] xs = new float[50 * B * Sensor.InputSize];      // time-major [steps, B, InputSize]
        float[] ys = new float[50 * B * Sensor.OutputSize];     // [steps, B, OutputSize]
        model.Forward(states, xs, ys);                          // 50 more steps of all eight streams

        for (int b = 0; b < B; b++)
        {
            var alone = new Sensor.State();
            float[] yb = new float[Sensor.OutputSize];
            model.Step(ref alone, x.AsSpan(b * Sensor.InputSize, Sensor.InputSize), yb);
            Assert.Equal(yb[0], y[b * Sensor.OutputSize], 5e-6f);
            float[] rest = new float[50 * Sensor.OutputSize];
            model.Forward(ref alone, new float[50 * Sensor.InputSize], rest);
            Assert.Equal(rest[(49 * Sensor.OutputSize) + 1], ys[(((49 * B) + b) * Sensor.OutputSize) + 1], 5e-6f); // step 49, stream b
            Assert.True(((Span<float>)alone).ToArray().Zip(((Span<float>)states[b]).ToArray()).All(p => MathF.Abs(p.First - p.Second) <= 5e-6f));
        }
    }

    [Fact]
    public void Many_streams_reach_raw_state_memory_through_the_interface()
    {
        var model = new Sensor(seed: 42);
        IStreamingModel<float> any = model;
        float[] states = new float[4 * any.StateSize];         // four states end to end
        float[] y = new float[4 * Sensor.OutputSize];
        any.StepStreams(states, new float[4 * Sensor.InputSize], y);

        var typed = new Sensor.State[4];
        float[] expected = new float[4 * Sensor.OutputSize];
        model.Step(typed, new float[4 * Sensor.InputSize], expected);
        Assert.Equal(expected, y);
        Assert.Throws<ArgumentException>(() => any.StepStreams(new float[any.StateSize + 1], new float[Sensor.InputSize], new float[Sensor.OutputSize]));
    }

    [Fact]
    public void A_token_model_steps_on_ids_and_runs_sequences_of_ids()
    {
        var model = new Chars(seed: 1);
        var state = new Chars.State();
        float[] logits = new float[Chars.OutputSize];  // 32 logits over the next token
        model.Step(ref state, 7, logits);               // token id 7 ∈ [0, Vocabulary)
        int[] ids = [3, 1, 4, 1, 5];
        float[] all = new float[ids.Length * Chars.OutputSize];
        model.Forward(ref state, ids, all);             // [5] ids → [5, 32] logits

        Assert.Contains(all, v => v != 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Step(ref state, Chars.Vocabulary, logits));
    }

    [Fact]
    public void One_training_step_by_hand_lowers_the_loss()
    {
        var model = new Sensor(seed: 42);
        var random = new Random(3);
        float[] inputs = new float[20 * 4 * Sensor.InputSize];      // time-major [steps, batch, InputSize]
        float[] targets = new float[20 * 4 * Sensor.OutputSize];    // [steps, batch, OutputSize]
        for (int i = 0; i < inputs.Length; i++)
        {
            inputs[i] = (float)random.NextDouble() - 0.5f;
        }

        for (int i = 0; i < targets.Length; i++)
        {
            targets[i] = inputs[(i / Sensor.OutputSize) * Sensor.InputSize];
        }

        var tape = new Sensor.Tape(maxSteps: 20, maxBatch: 4);     // allocated once, reused by every step
        float[] outputs = new float[20 * 4 * Sensor.OutputSize];
        float[] outputGradients = new float[outputs.Length];
        float[] gradients = new float[Sensor.ParameterCount];      // laid out as model.Parameters
        var sgd = new Sgd<float>(Sensor.ParameterCount, learningRate: 0.5);
        var losses = new List<double>();

        for (int step = 0; step < 30; step++)
        {
            model.Forward(tape, inputs, outputs);                  // records what BPTT needs
            double loss = Losses.MeanSquaredError<float>(outputs, targets, outputGradients);
            Array.Clear(gradients);                                // Backward adds to the block
            model.Backward(tape, outputGradients, gradients);      // ∂L/∂θ, t = T−1 … 0
            GradientClipping.ClipByGlobalNorm<float>(gradients, maxNorm: 5);
            sgd.Step(model.Parameters, gradients);                 // θ ← θ − η·g
            losses.Add(loss);
        }

        Assert.True(losses[^1] < losses[0] * 0.9, $"the loss went from {losses[0]} to {losses[^1]}");
        Assert.Contains(Sensor.Layout["head.bias"].Slice<float>(gradients).ToArray(), g => g != 0);
    }

    [Fact]
    public void A_gradient_is_read_per_tensor_in_PyTorch_layout()
    {
        var model = new Sensor(seed: 42);
        var tape = new Sensor.Tape(maxSteps: 5, maxBatch: 2);
        float[] inputs = Enumerable.Range(0, 5 * 2 * Sensor.InputSize).Select(i => 0.1f * (i % 7)).ToArray();
        float[] outputs = new float[5 * 2 * Sensor.OutputSize];
        float[] dOutputs = Enumerable.Repeat(0.01f, outputs.Length).ToArray();
        float[] gradients = new float[Sensor.ParameterCount];
        model.Forward(tape, inputs, outputs);
        model.Backward(tape, dOutputs, gradients);

        float[] dWhh = new float[4 * 16 * 16];
        Sensor.Layout["weight_hh_l0"].Export<float>(gradients, dWhh); // ∂L/∂weight_hh_l0 as [64, 16]
        ReadOnlySpan<float> dx = tape.InputGradients;                   // ∂L/∂x_t, [5, 2, 3]
        ReadOnlySpan<float> dh0 = tape.InitialHiddenGradient(0);        // ∂L/∂h_0 of layer 0, [2, 16]

        Assert.Contains(dWhh, g => g != 0);
        Assert.Equal(inputs.Length, dx.Length);
        Assert.Equal(2 * 16, dh0.Length);
        Assert.Equal(Sensor.Layout["weight_hh_l0"].At<float>(gradients, 5, 3), dWhh[(5 * 16) + 3]);
    }

    [Fact]
    public void Truncated_BPTT_carries_the_tapes_final_states_into_the_next_chunk()
    {
        var model = new Sensor(seed: 42);
        float[] sequence = Enumerable.Range(0, 40 * Sensor.InputSize).Select(i => MathF.Cos(i * 0.05f)).ToArray();
        float[] outputs = new float[20 * Sensor.OutputSize];
        var tape = new Sensor.Tape(maxSteps: 20);
        model.Forward(tape, sequence.AsSpan(0, 20 * Sensor.InputSize), outputs);           // steps 0 … 19
        tape.CarryState();                                                                 // h_0, c_0 ← h_T, c_T
        model.Forward(tape, sequence.AsSpan(20 * Sensor.InputSize), outputs);             // steps 20 … 39

        var state = new Sensor.State();
        float[] streamed = new float[40 * Sensor.OutputSize];
        model.Forward(ref state, sequence, streamed);
        for (int i = 0; i < outputs.Length; i++)
        {
            Assert.Equal(streamed[(20 * Sensor.OutputSize) + i], outputs[i], 5e-6f);
        }
    }

    [Fact]
    public void Generic_code_reaches_any_model_through_its_interfaces()
    {
        var model = new Sensor(seed: 42);
        IStreamingModel<float> any = model;
        float[] raw = new float[any.StateSize];                  // a state as plain memory
        float[] y = new float[any.Description.OutputSize];
        any.Step(raw, [0.1f, 0.2f, 0.3f], y);
        IRecurrentTape<float> tape = any.CreateTape(maxSteps: 8, maxBatch: 2);

        var typed = new Sensor.State();
        float[] expected = new float[Sensor.OutputSize];
        model.Step(ref typed, [0.1f, 0.2f, 0.3f], expected);
        Assert.Equal(expected, y);
        Assert.Equal(((Span<float>)typed).ToArray(), raw);
        Assert.IsType<Sensor.Tape>(tape);
        Assert.Throws<ArgumentException>(() => any.Step(new float[any.StateSize - 1], [0.1f, 0.2f, 0.3f], y));
    }
}
