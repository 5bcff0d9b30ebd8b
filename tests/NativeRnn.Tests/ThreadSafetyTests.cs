using System;
using System.Linq;
using System.Threading;
using NativeRnn.Tests.Docs.Surface;
using NativeRnn.Tests.Models;
using Xunit;

namespace NativeRnn.Tests;

/// <summary>
/// What docs/generated-surface.md promises about threads: a model's parameters may be read by many streams at once,
/// each thread with its own <c>State</c> or <c>Tape</c>, and every thread then gets, bit for bit, what it gets alone.
/// The step model has layers larger than L1, whose kernels alternate their sweep through a shared counter.
/// </summary>
public class ThreadSafetyTests
{
    private const int Threads = 4;
    private const int Steps = 300;

    private static float[] Inputs(int thread, int length)
        => Enumerable.Range(0, length).Select(i => MathF.Sin((0.37f * i) + thread)).ToArray();

    /// <summary>Runs <paramref name="work"/> on <see cref="Threads"/> threads released together, and rethrows the first failure.</summary>
    private static void RunTogether(Action<int> work)
    {
        using var barrier = new Barrier(Threads);
        var failures = new Exception?[Threads];
        Thread[] threads = Enumerable.Range(0, Threads).Select(k => new Thread(() =>
        {
            try
            {
                barrier.SignalAndWait();
                work(k);
            }
            catch (Exception e)
            {
                failures[k] = e;
            }
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.All(failures, e => Assert.Null(e));
    }

    [Fact]
    public void Threads_stepping_their_own_states_over_one_model_match_sequential_runs_bit_for_bit()
    {
        var model = new StepPanelsF(5);
        float[] parameters = model.Parameters.ToArray();
        float[][] inputs = Enumerable.Range(0, Threads).Select(k => Inputs(k, Steps * StepPanelsF.InputSize)).ToArray();

        float[][] Run(bool together)
        {
            float[][] outputs = Enumerable.Range(0, Threads).Select(_ => new float[Steps * StepPanelsF.OutputSize]).ToArray();
            void Stream(int k)
            {
                var state = new StepPanelsF.State();
                for (int t = 0; t < Steps; t++)
                {
                    model.Step(ref state, inputs[k].AsSpan(t * StepPanelsF.InputSize, StepPanelsF.InputSize), outputs[k].AsSpan(t * StepPanelsF.OutputSize, StepPanelsF.OutputSize));
                }
            }

            if (together)
            {
                RunTogether(Stream);
            }
            else
            {
                for (int k = 0; k < Threads; k++)
                {
                    Stream(k);
                }
            }

            return outputs;
        }

        float[][] sequential = Run(together: false);
        for (int round = 0; round < 3; round++)
        {
            float[][] concurrent = Run(together: true);
            for (int k = 0; k < Threads; k++)
            {
                Assert.Equal(sequential[k], concurrent[k]);
            }
        }

        Assert.Equal(parameters, model.Parameters.ToArray()); // inference never writes the parameters
        Assert.NotEqual(sequential[0], sequential[1]);
    }

    [Fact]
    public void Threads_running_streaming_forward_passes_over_one_model_match_sequential_runs_bit_for_bit()
    {
        var model = new StepPanelsF(6);
        float[][] inputs = Enumerable.Range(0, Threads).Select(k => Inputs(k, Steps * StepPanelsF.InputSize)).ToArray();

        float[] Sequence(int k)
        {
            var state = new StepPanelsF.State();
            float[] outputs = new float[Steps * StepPanelsF.OutputSize];
            model.Forward(ref state, inputs[k], outputs); // longer than a stack chunk: a pooled buffer
            return outputs;
        }

        float[][] sequential = Enumerable.Range(0, Threads).Select(Sequence).ToArray();
        var concurrent = new float[Threads][];
        RunTogether(k =>
        {
            for (int round = 0; round < 5; round++)
            {
                concurrent[k] = Sequence(k);
            }
        });

        for (int k = 0; k < Threads; k++)
        {
            Assert.Equal(sequential[k], concurrent[k]);
        }
    }

    [Fact]
    public void Threads_training_through_their_own_tapes_over_one_model_match_sequential_runs_bit_for_bit()
    {
        const int steps = 24, batch = 3;
        var model = new Sensor(seed: 9);
        float[][] inputs = Enumerable.Range(0, Threads).Select(k => Inputs(k, steps * batch * Sensor.InputSize)).ToArray();
        float[] outputGradients = Enumerable.Range(0, steps * batch * Sensor.OutputSize).Select(i => 0.01f * ((i % 5) - 2)).ToArray();

        (float[] Outputs, float[] Gradients) Pass(int k, Sensor.Tape tape)
        {
            float[] outputs = new float[steps * batch * Sensor.OutputSize];
            float[] gradients = new float[Sensor.ParameterCount];
            model.Forward(tape, inputs[k], outputs);
            model.Backward(tape, outputGradients, gradients);
            return (outputs, gradients);
        }

        var sequential = Enumerable.Range(0, Threads).Select(k => Pass(k, new Sensor.Tape(steps, batch))).ToArray();
        var concurrent = new (float[] Outputs, float[] Gradients)[Threads];
        RunTogether(k =>
        {
            var tape = new Sensor.Tape(steps, batch); // each thread its own tape and gradient block
            for (int round = 0; round < 5; round++)
            {
                concurrent[k] = Pass(k, tape);
            }
        });

        for (int k = 0; k < Threads; k++)
        {
            Assert.Equal(sequential[k].Outputs, concurrent[k].Outputs);
            Assert.Equal(sequential[k].Gradients, concurrent[k].Gradients);
        }
    }

    [Fact]
    public void Threads_stepping_their_own_groups_of_streams_over_one_model_match_sequential_runs_bit_for_bit()
    {
        const int streams = 6, steps = 40;
        var model = new StepPanelsF(8);
        float[][] inputs = Enumerable.Range(0, Threads).Select(k => Inputs(k, steps * streams * StepPanelsF.InputSize)).ToArray();

        float[] Group(int k)
        {
            var states = new StepPanelsF.State[streams];
            float[] outputs = new float[steps * streams * StepPanelsF.OutputSize];
            int rowIn = streams * StepPanelsF.InputSize, rowOut = streams * StepPanelsF.OutputSize;
            for (int t = 0; t < steps / 2; t++)
            {
                model.Step(states, inputs[k].AsSpan(t * rowIn, rowIn), outputs.AsSpan(t * rowOut, rowOut));
            }

            model.Forward(states, inputs[k].AsSpan(steps / 2 * rowIn), outputs.AsSpan(steps / 2 * rowOut));
            return outputs;
        }

        float[][] sequential = Enumerable.Range(0, Threads).Select(Group).ToArray();
        var concurrent = new float[Threads][];
        RunTogether(k =>
        {
            for (int round = 0; round < 5; round++)
            {
                concurrent[k] = Group(k);
            }
        });

        for (int k = 0; k < Threads; k++)
        {
            Assert.Equal(sequential[k], concurrent[k]);
        }
    }

    [Fact]
    public void A_state_copied_to_other_threads_forks_the_stream_identically_on_each()
    {
        var model = new StepPanelsF(7);
        float[] prefix = Inputs(9, 40 * StepPanelsF.InputSize);
        var shared = new StepPanelsF.State();
        model.Forward(ref shared, prefix, new float[40 * StepPanelsF.OutputSize]);
        float[] continuation = Inputs(3, 50 * StepPanelsF.InputSize);
        var results = new float[Threads][];
        RunTogether(k =>
        {
            StepPanelsF.State own = shared; // a copy: the state is a value
            float[] outputs = new float[50 * StepPanelsF.OutputSize];
            model.Forward(ref own, continuation, outputs);
            results[k] = outputs;
        });

        Assert.All(results, r => Assert.Equal(results[0], r));
    }
}
