using System;
using System.Linq;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Models;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests.Training;

/// <summary>Misuse that used to give a wrong answer silently now gets a clear error, and nothing is lost.</summary>
public class ContractTests
{
    [Fact]
    public void A_final_state_gradient_can_only_be_set_between_forward_and_its_backward()
    {
        var model = new LstmSmallD(1);
        var tape = new LstmSmallD.Tape(3, 2);
        double[] x = ModelTools.Uniform(1, 1, 3 * 2 * 3), y = new double[3 * 2 * 2], g = new double[LstmSmallD.ParameterCount];
        double[] seed = ModelTools.Uniform(1, 2, 2 * 7);

        // Before any Forward: PyTorch-style "set the gradient, then run" would be silently cleared, so it is refused.
        InvalidOperationException early = Assert.Throws<InvalidOperationException>(() => tape.SetFinalHiddenGradient(0, 0, seed));
        Assert.Contains("after Forward and before Backward", early.Message, StringComparison.Ordinal);

        model.Forward(tape, x, y);
        tape.SetFinalHiddenGradient(0, 0, seed);
        tape.SetFinalCellGradient(0, 0, seed);
        Assert.Equal(seed, tape.FinalHiddenGradient(0).ToArray());
        model.Backward(tape, y, g);

        // After Backward: it would only apply to a pass that has already been differentiated.
        Assert.Throws<InvalidOperationException>(() => tape.SetFinalHiddenGradient(0, 0, seed));

        // The next Forward clears it, and the window opens again.
        model.Forward(tape, x, y);
        Assert.All(tape.FinalHiddenGradient(0).ToArray(), v => Assert.Equal(0, v));
        Assert.Throws<ArgumentException>(() => tape.SetFinalHiddenGradient(0, 0, seed.AsSpan(1)));
        seed[0] = double.NaN;
        Assert.Throws<ArgumentException>(() => tape.SetFinalHiddenGradient(0, 0, seed));
    }

    [Fact]
    public void Backward_refuses_a_tape_recorded_by_another_model()
    {
        var first = new LstmSmallF(1);
        var second = new LstmSmallF(2);
        var tape = new LstmSmallF.Tape(2, 1);
        float[] x = new float[2 * 3], y = new float[2 * 2], g = new float[LstmSmallF.ParameterCount];
        first.Forward(tape, x, y);
        ArgumentException e = Assert.Throws<ArgumentException>(() => second.Backward(tape, y, g));
        Assert.Contains("another LstmSmallF", e.Message, StringComparison.Ordinal);
        Assert.All(g, v => Assert.Equal(0, v));
        first.Backward(tape, y, g);

        // A struct model's copies share one parameter block, so they are the same model.
        var token = new TokenBiGruF(3);
        TokenBiGruF copy = token;
        var tokenTape = new TokenBiGruF.Tape(2, 1);
        float[] logits = new float[2 * TokenBiGruF.OutputSize];
        token.Forward(tokenTape, [1, 2], logits);
        copy.Backward(tokenTape, logits, new float[TokenBiGruF.ParameterCount]);
    }

    [Fact]
    public void Writing_the_initial_state_before_backward_does_not_change_the_gradient()
    {
        // A carry (CarryState) between Forward and Backward used to make BPTT read the wrong h0.
        var model = new LstmSmallD(4);
        var tape = new LstmSmallD.Tape(4, 2);
        ModelTools.Uniform(4, 5, 14).CopyTo(tape.InitialHidden(0));
        double[] x = ModelTools.Uniform(4, 1, 4 * 2 * 3), y = new double[4 * 2 * 2];
        double[] g1 = new double[LstmSmallD.ParameterCount], g2 = new double[g1.Length];
        model.Forward(tape, x, y);
        double[] h0 = tape.InitialHidden(0).ToArray();
        model.Backward(tape, y, g1);
        h0.CopyTo(tape.InitialHidden(0));
        model.Forward(tape, x, y);
        tape.CarryState();
        tape.InitialCell(0).Fill(3);
        model.Backward(tape, y, g2);
        Assert.Equal(g1, g2);
    }

    [Fact]
    public void Step_and_streaming_forward_refuse_a_non_finite_state_and_leave_it_unchanged()
    {
        var model = new LstmSmallF(1);
        var state = new LstmSmallF.State();
        float[] output = new float[2];
        model.Step(ref state, [0.1f, 0.2f, 0.3f], output);
        state.Cell(0)[3] = float.NaN;
        float[] before = ((Span<float>)state).ToArray();
        ArgumentException e = Assert.Throws<ArgumentException>(() => model.Step(ref state, [0.1f, 0.2f, 0.3f], output));
        Assert.Contains("'state'", e.Message, StringComparison.Ordinal);
        float[] after = ((Span<float>)state).ToArray();
        Assert.True(before.AsSpan().SequenceEqual(after), $"state changed at {string.Join(",", Enumerable.Range(0, before.Length).Where(i => !before[i].Equals(after[i])))}: {string.Join(",", before)} vs {string.Join(",", after)}");
        state.Cell(0)[3] = float.PositiveInfinity;
        Assert.Throws<ArgumentException>(() => model.Forward(ref state, new float[5 * 3], new float[5 * 2]));

        // Through the interface too.
        IStreamingModel<float> streaming = model;
        float[] flat = new float[streaming.StateSize];
        flat[0] = float.NegativeInfinity;
        Assert.Throws<ArgumentException>(() => streaming.Step(flat, [0f, 0f, 0f], output));

        var tokens = new TokenStackF(1);
        var tokenState = new TokenStackF.State();
        tokenState.Hidden(1)[0] = float.NaN;
        Assert.Throws<ArgumentException>(() => tokens.Step(ref tokenState, 3, new float[TokenStackF.OutputSize]));
    }

    [Fact]
    public void Backward_refuses_a_gradient_block_that_already_holds_nan_and_writes_nothing()
    {
        var model = new LstmSmallF(1);
        var tape = new LstmSmallF.Tape(2, 1);
        float[] x = new float[2 * 3], y = new float[2 * 2], g = new float[LstmSmallF.ParameterCount];
        model.Forward(tape, x, y);
        g[5] = float.NaN;
        ArgumentException e = Assert.Throws<ArgumentException>(() => model.Backward(tape, y, g));
        Assert.Contains("already holds NaN at index 5", e.Message, StringComparison.Ordinal);
        Assert.All(g.Where((_, i) => i != 5), v => Assert.Equal(0, v));
    }

    [Fact]
    public void Huge_finite_output_gradients_overflow_into_the_block_and_are_caught_downstream()
    {
        // 3e37 is finite, but summed over 16 rows into head.bias it exceeds float: the block holds ∞, and
        // clipping reports it while every optimiser refuses it (the trainer's guard skips such a step).
        var model = new LstmSmallF(1);
        var tape = new LstmSmallF.Tape(8, 2);
        float[] x = new float[8 * 2 * 3], y = new float[8 * 2 * 2], g = new float[LstmSmallF.ParameterCount];
        model.Forward(tape, x, y);
        float[] huge = Enumerable.Repeat(3e37f, y.Length).ToArray();
        model.Backward(tape, huge, g);
        Assert.Contains(g, v => float.IsInfinity(v));
        Assert.False(GradientClipping.ClipByGlobalNorm<float>(g, 5).IsFinite);
        float[] parameters = model.Parameters.ToArray();
        Assert.False(new Adam<float>(g.Length).TryStep(model.Parameters, g));
        Assert.Equal(parameters, model.Parameters.ToArray());
    }
}
