using System;
using System.Linq;
using System.Numerics;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Models;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests.Training;

/// <summary>The trainer's guard, truncated BPTT, data parallelism and allocation.</summary>
public class TrainerTests
{
    /// <summary>A token stream over a small vocabulary.</summary>
    private static int[] Tokens(int count, int vocabulary, ulong seed)
    {
        var random = new Initialization.DeterministicRandom(seed, 3);
        return Enumerable.Range(0, count).Select(_ => random.NextInt(vocabulary)).ToArray();
    }

    [Fact]
    public void Truncated_bptt_with_a_chunk_as_long_as_the_sequence_is_full_bptt_exactly()
    {
        // One chunk of 24 steps through the trainer and the hand-written loop give the same gradient, bit for bit.
        int[] text = Tokens(24 * 4 + 1, TokenStackD.Vocabulary, 1);
        var model = new TokenStackD(2);
        using var trainer = new Trainer<double>(model, new Sgd<double>(TokenStackD.ParameterCount, 1e-9), 24, 4);
        var data = new TokenStreams<double>(text, streams: 4, steps: 24);
        Batch<double> batch = data.CreateBatch();
        Assert.True(data.Next(batch));
        double[] before = model.Parameters.ToArray();
        trainer.Step(batch);
        double[] trained = trainer.Gradients.ToArray();

        before.CopyTo(model.Parameters);
        var tape = new TokenStackD.Tape(24, 4);
        double[] logits = new double[24 * 4 * TokenStackD.OutputSize];
        double[] dLogits = new double[logits.Length];
        double[] gradients = new double[TokenStackD.ParameterCount];
        model.Forward(tape, batch.Tokens, logits);
        Losses.SoftmaxCrossEntropy<double>(logits, batch.Classes, dLogits);
        model.Backward(tape, dLogits, gradients);
        Assert.Equal(gradients, trained);
    }

    [Fact]
    public void Shorter_chunks_carry_the_state_of_an_uninterrupted_forward_pass_bit_for_bit()
    {
        // Five chunks of 7 steps (the last shorter) carry the state; the final state equals one pass over all 32 steps.
        const int streams = 3, chunk = 7;
        int[] text = Tokens(100, TokenStackF.Vocabulary, 2);
        var model = new TokenStackF(4);
        var data = new TokenStreams<float>(text, streams, chunk);
        int length = data.StreamLength;
        using var trainer = new Trainer<float>(model, new Sgd<float>(TokenStackF.ParameterCount, 1e-30), chunk, streams);
        Batch<float> batch = data.CreateBatch();
        float[] parameters = model.Parameters.ToArray();
        while (data.Next(batch))
        {
            trainer.Step(batch);
            parameters.CopyTo(model.Parameters); // keep the weights fixed, so only the carried state matters
        }

        var whole = new TokenStackF.Tape(length, streams);
        int[] all = new int[length * streams];
        for (int b = 0; b < streams; b++)
        {
            for (int t = 0; t < length; t++)
            {
                all[(t * streams) + b] = text[(b * length) + t];
            }
        }

        model.Forward(whole, all, new float[length * streams * TokenStackF.OutputSize]);
        IRecurrentTape<float> carried = trainer.Tape();
        for (int k = 0; k < TokenStackF.LayerCount; k++)
        {
            Assert.Equal(whole.FinalHidden(k).ToArray(), carried.InitialHidden(k).ToArray());
        }

        Assert.Equal(whole.FinalCell(0).ToArray(), carried.InitialCell(0).ToArray());
    }

    /// <summary>A model that forwards to a real one and poisons its outputs or gradients on request.</summary>
    private sealed class Poisoned<T>(ISequenceModel<T> inner) : ISequenceModel<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public bool PoisonOutput { get; set; }

        public bool PoisonGradient { get; set; }

        public ModelDescription Description => inner.Description;

        public ModelLayout Layout => inner.Layout;

        public Span<T> Parameters => inner.Parameters;

        public IRecurrentTape<T> CreateTape(int maxSteps, int maxBatch = 1) => inner.CreateTape(maxSteps, maxBatch);

        public void Initialize(ulong seed, Initialization.InitializationOptions? options = null) => inner.Initialize(seed, options);

        public void Forward(IRecurrentTape<T> tape, ReadOnlySpan<T> inputs, Span<T> outputs)
        {
            inner.Forward(tape, inputs, outputs);
            if (PoisonOutput)
            {
                outputs[^1] = T.NaN; // the last step, which the loss counts
            }
        }

        public void Backward(IRecurrentTape<T> tape, ReadOnlySpan<T> outputGradients, Span<T> gradients)
        {
            inner.Backward(tape, outputGradients, gradients);
            if (PoisonGradient)
            {
                gradients[gradients.Length / 3] = T.PositiveInfinity;
            }
        }
    }

    [Fact]
    public void The_guard_skips_a_step_with_a_nan_loss_gradient_target_or_update_and_changes_nothing()
    {
        var model = new Poisoned<float>(new AddingLstm(1));
        var adam = new Adam<float>(AddingLstm.ParameterCount, 1e-2);
        using var trainer = new Trainer<float>(model, adam, 10, 4, new TrainerOptions { ClipNorm = 1 });
        var data = new AddingProblem<float>(10, 4, seed: 1);
        Batch<float> batch = data.CreateBatch();
        data.Next(batch);
        Assert.True(trainer.Step(batch).Applied); // moments now hold something worth protecting

        void Skipped(StepOutcome expected, Action poison, Action heal)
        {
            data.Next(batch);
            float[] parameters = model.Parameters.ToArray();
            float[] moments = adam.State.ToArray();
            long step = adam.StepCount;
            poison();
            TrainingReport report = trainer.Step(batch);
            heal();
            Assert.Equal(expected, report.Outcome);
            Assert.False(report.Applied);
            Assert.Equal(parameters, model.Parameters.ToArray());
            Assert.Equal(moments, adam.State.ToArray());
            Assert.Equal(step, adam.StepCount);
            data.Next(batch);
            Assert.True(trainer.Step(batch).Applied); // and training goes on
        }

        Skipped(StepOutcome.NonFiniteLoss, () => model.PoisonOutput = true, () => model.PoisonOutput = false);
        Skipped(StepOutcome.NonFiniteGradient, () => model.PoisonGradient = true, () => model.PoisonGradient = false);
        Skipped(StepOutcome.NonFiniteLoss, () => batch.Values[batch.Values.Length - 1] = float.NaN, () => { });
        Skipped(StepOutcome.NonFiniteUpdate, () => adam.LearningRate = 3e38, () => adam.LearningRate = 1e-2);
        Assert.Equal(4, trainer.SkippedSteps);
    }

    [Fact]
    public void Two_threads_repeat_bit_for_bit_and_match_one_thread_to_rounding()
    {
        float[] Run(int threads)
        {
            var model = new CharGruDropout(5);
            using var trainer = new Trainer<float>(model, new Adam<float>(CharGruDropout.ParameterCount, 3e-3), 16, 8, new TrainerOptions { ClipNorm = 5, Threads = threads, DropoutSeed = 9 });
            trainer.Train(new TokenStreams<float>(Tokens(2000, 30, 4), streams: 8, steps: 16, seed: 1), 30);
            return model.Parameters.ToArray();
        }

        float[] one = Run(1), two = Run(2), twoAgain = Run(2);
        Assert.Equal(two, twoAgain);
        TensorCheck.Worst worst = TensorCheck.MaxRelative(one.Select(v => (double)v).ToArray(), two.Select(v => (double)v).ToArray(), floor: 1e-2);
        Assert.True(worst.Error < 2e-4, $"Two threads drifted from one: {worst}.");
        Assert.NotEqual(one, two); // different summation orders: equal only to rounding
    }

    [Fact]
    public void Evaluation_runs_without_dropout_on_its_own_tapes()
    {
        var model = new CharGruDropout(2);
        using var trainer = new Trainer<float>(model, new Sgd<float>(CharGruDropout.ParameterCount, 0.1), 16, 4);
        var validation = new TokenStreams<float>(Tokens(400, 30, 8), streams: 4, steps: 16);
        EvaluationReport first = trainer.Evaluate(validation);
        EvaluationReport second = trainer.Evaluate(validation);
        Assert.Equal(first, second); // no dropout, no training: the same numbers
        Assert.Equal(validation.BatchesPerEpoch, first.Batches);
        Assert.Equal(validation.TokensPerEpoch, first.Positions);
        Assert.InRange(first.Accuracy, 0, 1);
        Assert.Equal(first.Loss / Math.Log(2), first.Bits, 1e-12);
    }

    [Fact]
    public void Steps_evaluations_and_every_optimiser_allocate_nothing()
    {
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (Func<int, Optimizer<float>> create in new Func<int, Optimizer<float>>[]
            {
                n => new Sgd<float>(n, 0.1, momentum: 0.9, nesterov: true),
                n => new Adam<float>(n),
                n => new AdamW<float>(n),
                n => new RmsProp<float>(n, momentum: 0.5, centered: true),
                n => new Adagrad<float>(n),
            })
            {
                var model = new CharGruDropout(1);
                Optimizer<float> optimizer = create(CharGruDropout.ParameterCount);
                var options = new TrainerOptions { ClipNorm = 1, ClipValue = 0.5, Threads = threads, Schedule = new CosineSchedule(1e-2, 1000, 10) };
                using var trainer = new Trainer<float>(model, optimizer, 16, 4, options);
                var data = new TokenStreams<float>(Tokens(1000, 30, 5), streams: 4, steps: 16, seed: 3);
                Batch<float> batch = data.CreateBatch();
                void Step()
                {
                    if (!data.Next(batch))
                    {
                        data.Next(batch);
                    }

                    trainer.Step(batch);
                }

                string what = $"{optimizer.GetType().Name} on {threads} thread(s)";
                Assert.Equal((0L, what), (Allocation.Measure(Step, warmup: 30, runs: 50, otherThreads: () => trainer.WorkerThreadAllocatedBytes), what));
                var validation = new TokenStreams<float>(Tokens(300, 30, 6), streams: 4, steps: 16);
                Assert.Equal((0L, what), (Allocation.Measure(() => trainer.Evaluate(validation, 1), warmup: 10, runs: 20, otherThreads: () => trainer.WorkerThreadAllocatedBytes), what));
            }
        }
    }
}
