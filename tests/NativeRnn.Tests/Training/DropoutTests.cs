using System;
using System.Linq;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Reference;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests.Training;

/// <summary>
/// Dropout as declared: BPTT through a fixed mask equals finite differences, the masks are reproducible and independent
/// of how a batch is split over tapes, and inference is exactly the model without dropout.
/// </summary>
public class DropoutTests(ITestOutputHelper output)
{
    private static readonly NetworkSpec Everywhere = new(3, [new(LayerKind.Lstm, 4), new(LayerKind.Gru, 5, Bidirectional: true)], 6, Vocabulary: 6);

    [Fact]
    public void Bptt_through_a_fixed_mask_matches_finite_differences()
    {
        var modelCase = new ModelCase<double>("DropoutEverywhereD", Everywhere, seed => new DropoutEverywhereD(seed));
        double worst = 0;
        foreach ((ulong seed, int steps, int batch) in new[] { (1UL, 5, 3), (2UL, 3, 2), (3UL, 6, 1) })
        {
            Harness.Problem<double> problem = Harness.Create(modelCase, seed, steps, batch);
            problem.Tape.SetDropoutStream(seed * 77); // every forward pass of the check draws this same mask
            foreach (GradientCheck.Report report in GradientCheck.Run(problem, seed))
            {
                worst = Math.Max(worst, report.Worst.Error);
                Assert.True(report.Worst.Error <= 1e-6, $"seed {seed}: ∂L/∂{report.Name} {report.Worst}");
            }
        }

        output.WriteLine($"worst relative error through dropout: {worst:E2}");
    }

    [Fact]
    public void Masks_keep_one_minus_the_rate_scaled_up_reproducibly_and_fresh_for_each_seed()
    {
        const int steps = 50, batch = 40, width = 64;
        double[] x = Enumerable.Repeat(1.0, steps * batch * width).ToArray();
        double[] dropped = new double[x.Length], mask = new double[x.Length], again = new double[x.Length], other = new double[x.Length];
        Kernels.Dropout.Apply<double>(x, width, dropped, mask, steps, batch, width, 0.3, seed: 5, site: 1, firstSequence: 0);
        Kernels.Dropout.Apply<double>(x, width, again, new double[x.Length], steps, batch, width, 0.3, seed: 5, site: 1, firstSequence: 0);
        Kernels.Dropout.Apply<double>(x, width, other, new double[x.Length], steps, batch, width, 0.3, seed: 6, site: 1, firstSequence: 0);
        double kept = mask.Count(m => m != 0) / (double)mask.Length;
        Assert.InRange(kept, 0.69, 0.71); // 128,000 draws: the standard error is 0.0013
        Assert.All(mask, m => Assert.True(m == 0 || m == 1 / 0.7));
        Assert.Equal(dropped, again);
        Assert.NotEqual(dropped, other);
        Assert.Equal(dropped, mask);
    }

    [Fact]
    public void A_batch_split_over_two_tapes_draws_the_masks_of_one_tape_holding_it_all()
    {
        var model = new DropoutEverywhereD(4);
        int[] tokens = Enumerable.Range(0, 7 * 4).Select(i => (i * 5) % 6).ToArray();
        var whole = new DropoutEverywhereD.Tape(7, 4);
        whole.SetDropoutStream(123);
        double[] all = new double[7 * 4 * 6];
        model.Forward(whole, tokens, all);
        for (int first = 0; first < 4; first += 2)
        {
            var half = new DropoutEverywhereD.Tape(7, 2);
            half.SetDropoutStream(123, firstSequence: first);
            int[] mine = Enumerable.Range(0, 7).SelectMany(t => new[] { tokens[(t * 4) + first], tokens[(t * 4) + first + 1] }).ToArray();
            double[] outputs = new double[7 * 2 * 6];
            model.Forward(half, mine, outputs);
            for (int t = 0; t < 7; t++)
            {
                Assert.Equal(all.AsSpan(((t * 4) + first) * 6, 12).ToArray(), outputs.AsSpan(t * 12, 12).ToArray());
            }
        }
    }

    [Fact]
    public void Dropout_changes_training_passes_and_nothing_else()
    {
        var withDropout = new DropoutEverywhereD(8);
        var without = new DropoutNowhereD(8);
        Assert.Equal(DropoutEverywhereD.ParameterCount, DropoutNowhereD.ParameterCount);
        withDropout.Parameters.CopyTo(without.Parameters);
        int[] tokens = Enumerable.Range(0, 6 * 3).Select(i => (i * 7) % 6).ToArray();
        double[] a = new double[6 * 3 * 6], b = new double[a.Length], c = new double[a.Length];

        var tape = new DropoutEverywhereD.Tape(6, 3);
        withDropout.Forward(tape, tokens, a);
        without.Forward(new DropoutNowhereD.Tape(6, 3), tokens, b);
        Assert.NotEqual(a, b); // a training pass drops

        tape.DropoutEnabled = false;
        withDropout.Forward(tape, tokens, c);
        Assert.Equal(b, c); // an evaluation pass does not, bit for bit

        // Streaming inference (Step and Forward) is the same code with or without dropout.
        var streaming = new DropoutStreamF(3);
        var plain = new NoDropoutStreamF(3);
        streaming.Parameters.CopyTo(plain.Parameters);
        float[] inputs = ModelTools.Convert<float>(ModelTools.Uniform(3, 3, 20 * 3));
        var s1 = new DropoutStreamF.State();
        var s2 = new NoDropoutStreamF.State();
        float[] y1 = new float[2], y2 = new float[2];
        for (int t = 0; t < 20; t++)
        {
            streaming.Step(ref s1, inputs.AsSpan(t * 3, 3), y1);
            plain.Step(ref s2, inputs.AsSpan(t * 3, 3), y2);
            Assert.Equal(y2, y1);
        }

        float[] f1 = new float[40], f2 = new float[40];
        streaming.Forward(ref s1, inputs, f1);
        plain.Forward(ref s2, inputs, f2);
        Assert.Equal(f2, f1);
    }

    [Fact]
    public void Backward_follows_the_forward_pass_it_differentiates()
    {
        // Switching dropout off between Forward and Backward must not change the gradient: the mask is on the tape.
        var model = new DropoutEverywhereD(9);
        int[] tokens = Enumerable.Range(0, 5 * 2).Select(i => i % 6).ToArray();
        double[] outputs = new double[5 * 2 * 6];
        double[] dOutputs = ModelTools.Uniform(9, 9, outputs.Length);
        double[] g1 = new double[DropoutEverywhereD.ParameterCount], g2 = new double[g1.Length];
        var tape = new DropoutEverywhereD.Tape(5, 2);
        model.Forward(tape, tokens, outputs);
        model.Backward(tape, dOutputs, g1);
        model.Forward(tape, tokens, outputs);
        tape.DropoutEnabled = false;
        model.Backward(tape, dOutputs, g2);
        Assert.Equal(g1, g2);
    }
}
