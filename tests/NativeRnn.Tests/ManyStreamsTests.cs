using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Models;
using NativeRnn.Tests.Reference;
using Xunit;

namespace NativeRnn.Tests;

/// <summary>
/// The many-stream <c>Step</c> and <c>Forward</c> agree with the scalar reference network stream by stream, keep
/// streams independent, check their arguments before touching a state, and allocate nothing.
/// </summary>
public class ManyStreamsTests
{
    private static IEnumerable<ModelCase<float>> FloatCases()
        => Catalog.Float().Concat(StepCatalog.Float()).Where(c => c.Spec.Layers.All(l => !l.Bidirectional));

    private static IEnumerable<ModelCase<double>> DoubleCases()
        => Catalog.Double().Concat(StepCatalog.Double()).Where(c => c.Spec.Layers.All(l => !l.Bidirectional));

    public static IEnumerable<object[]> FloatModels() => FloatCases().Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> DoubleModels() => DoubleCases().Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(FloatModels))]
    public void Many_streams_match_reference(string name) => ManyStreamsMatch(FloatCases().Single(c => c.Name == name), 2e-5);

    [Theory]
    [MemberData(nameof(DoubleModels))]
    public void Many_streams_match_reference_in_double(string name) => ManyStreamsMatch(DoubleCases().Single(c => c.Name == name), 1e-12);

    /// <summary>
    /// B streams from random states over random inputs: a first stretch one <c>StepStreams</c> at a time, the rest in
    /// one <c>ForwardStreams</c>, against the reference run of the same B sequences. Up to 40 streams and 60 steps, so
    /// both the stack and the pooled buffer and several chunks per call are reached.
    /// </summary>
    private static void ManyStreamsMatch<T>(ModelCase<T> modelCase, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Arbitrary<(ulong Seed, int Steps, int Batch, int Split)> sizes =
            (from seed in Gen.Choose(0, int.MaxValue)
             from steps in Gen.Choose(1, 60)
             from batch in Gen.Choose(1, 40)
             from split in Gen.Choose(0, steps)
             select ((ulong)seed, steps, batch, split)).ToArbitrary();
        Prop.ForAll(sizes, size =>
        {
            (int steps, int batch) = (size.Steps, size.Batch);
            Harness.Problem<T> problem = Harness.Create(modelCase, size.Seed, steps, batch, weightScale: 0.2);
            ReferenceNetwork.Result expected = problem.RunReference();
            var streams = new Streams<T>(problem.Model);
            T[] states = InitialStates(problem, streams.StateSize);
            int inputSize = problem.Spec.HasEmbedding ? 1 : problem.Spec.InputSize, outputSize = problem.Spec.OutputSize;
            T[] inputs = ModelTools.Convert<T>(problem.Inputs);
            T[] outputs = new T[steps * batch * outputSize];

            for (int t = 0; t < size.Split; t++)
            {
                streams.Step(states, problem.Tokens, inputs, t * batch * inputSize, batch * inputSize, outputs.AsSpan(t * batch * outputSize, batch * outputSize));
            }

            int rest = steps - size.Split;
            streams.Forward(states, problem.Tokens, inputs, size.Split * batch * inputSize, rest * batch * inputSize, outputs.AsSpan(size.Split * batch * outputSize));

            string label = $"{modelCase} seed {size.Seed}, {batch} streams × {steps} steps, {size.Split} by Step";
            TensorCheck.Close<T>(expected.Outputs, outputs, tolerance, label + " outputs");
            for (int b = 0; b < batch; b++)
            {
                int offset = b * streams.StateSize;
                for (int k = 0; k < problem.Spec.Layers.Length; k++)
                {
                    int h = problem.Spec.Layers[k].Hidden;
                    TensorCheck.Close(expected.FinalHidden[(k, 0)].AsSpan(b * h, h), states.AsSpan(offset, h), tolerance, $"{label}: h_T of stream {b}, layer {k}");
                    offset += h;
                    if (problem.Spec.Layers[k].Kind == LayerKind.Lstm)
                    {
                        TensorCheck.Close(expected.FinalCell[(k, 0)].AsSpan(b * h, h), states.AsSpan(offset, h), tolerance, $"{label}: c_T of stream {b}, layer {k}");
                        offset += h;
                    }
                }
            }
        }).Check(Harness.Config(12));
    }

    /// <summary>The reference problem's initial states, stream after stream, each laid out as the model's state.</summary>
    private static T[] InitialStates<T>(Harness.Problem<T> problem, int stateSize)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] states = new T[problem.Batch * stateSize];
        for (int b = 0; b < problem.Batch; b++)
        {
            int offset = b * stateSize;
            for (int k = 0; k < problem.Spec.Layers.Length; k++)
            {
                int h = problem.Spec.Layers[k].Hidden;
                ModelTools.Convert<T>(problem.InitialHidden[(k, 0)].AsSpan(b * h, h).ToArray()).CopyTo(states.AsSpan(offset));
                offset += h;
                if (problem.Spec.Layers[k].Kind == LayerKind.Lstm)
                {
                    ModelTools.Convert<T>(problem.InitialCell[(k, 0)].AsSpan(b * h, h).ToArray()).CopyTo(states.AsSpan(offset));
                    offset += h;
                }
            }
        }

        return states;
    }

    [Fact]
    public void Streams_do_not_depend_on_their_neighbours()
    {
        // Stream 2 of five gives the same result (to rounding) as the same stream alone or among others in another order.
        var model = new StepPanelsF(11);
        const int Streams = 5, Steps = 9;
        var random = new Random(3);
        float[] inputs = Enumerable.Range(0, Steps * Streams * StepPanelsF.InputSize).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var states = new StepPanelsF.State[Streams];
        float[] outputs = new float[Steps * Streams * StepPanelsF.OutputSize];
        model.Forward(states, inputs, outputs);

        // Reversed order: stream b becomes stream 4 − b.
        float[] reversedInputs = new float[inputs.Length];
        for (int t = 0; t < Steps; t++)
        {
            for (int b = 0; b < Streams; b++)
            {
                inputs.AsSpan(((t * Streams) + b) * StepPanelsF.InputSize, StepPanelsF.InputSize).CopyTo(reversedInputs.AsSpan(((t * Streams) + (Streams - 1 - b)) * StepPanelsF.InputSize));
            }
        }

        var reversedStates = new StepPanelsF.State[Streams];
        float[] reversedOutputs = new float[outputs.Length];
        model.Forward(reversedStates, reversedInputs, reversedOutputs);

        // Stream 2 alone, through the single-stream path.
        var alone = default(StepPanelsF.State);
        float[] aloneInputs = new float[Steps * StepPanelsF.InputSize];
        for (int t = 0; t < Steps; t++)
        {
            inputs.AsSpan(((t * Streams) + 2) * StepPanelsF.InputSize, StepPanelsF.InputSize).CopyTo(aloneInputs.AsSpan(t * StepPanelsF.InputSize));
        }

        float[] aloneOutputs = new float[Steps * StepPanelsF.OutputSize];
        model.Forward(ref alone, aloneInputs, aloneOutputs);

        for (int t = 0; t < Steps; t++)
        {
            for (int o = 0; o < StepPanelsF.OutputSize; o++)
            {
                float many = outputs[(((t * Streams) + 2) * StepPanelsF.OutputSize) + o];
                float reversed = reversedOutputs[(((t * Streams) + 2) * StepPanelsF.OutputSize) + o];
                Assert.True(Math.Abs(many - aloneOutputs[(t * StepPanelsF.OutputSize) + o]) <= 2e-5, $"step {t} output {o}: {many} among five, {aloneOutputs[(t * StepPanelsF.OutputSize) + o]} alone");
                Assert.True(Math.Abs(many - reversed) <= 2e-5, $"step {t} output {o}: {many} in order, {reversed} reversed");
            }
        }

        Span<float> manyState = states[2];
        Span<float> aloneState = alone;
        for (int i = 0; i < StepPanelsF.StateSize; i++)
        {
            Assert.True(Math.Abs(manyState[i] - aloneState[i]) <= 2e-5, $"state element {i}: {manyState[i]} among five, {aloneState[i]} alone");
        }

        Assert.True(states.Select(s => ((Span<float>)s).ToArray()).Distinct(new ArrayComparer()).Count() == Streams, "different inputs must give different states");
    }

    [Fact]
    public void Bad_arguments_are_refused_before_any_state_changes()
    {
        var model = new LstmSmallF(5);
        var states = new LstmSmallF.State[4];
        for (int b = 0; b < states.Length; b++)
        {
            ((Span<float>)states[b]).Fill(0.1f * (b + 1));
        }

        float[] before = states.SelectMany(s => ((Span<float>)s).ToArray()).ToArray();
        float[] inputs = new float[states.Length * LstmSmallF.InputSize];
        float[] outputs = new float[states.Length * LstmSmallF.OutputSize];

        var empty = Assert.Throws<ArgumentException>(() => model.Step(Span<LstmSmallF.State>.Empty, inputs, outputs));
        Assert.Contains("one or more whole states", empty.Message, StringComparison.Ordinal);

        var shortInput = Assert.Throws<ArgumentException>(() => model.Step(states, inputs.AsSpan(1), outputs));
        Assert.Equal("inputs", shortInput.ParamName);
        Assert.Contains("[states.Length, InputSize]", shortInput.Message, StringComparison.Ordinal);

        var ragged = Assert.Throws<ArgumentException>(() => model.Forward(states, new float[(3 * states.Length * LstmSmallF.InputSize) + 1], new float[3 * states.Length * LstmSmallF.OutputSize]));
        Assert.Equal("inputs", ragged.ParamName);

        var shortOutput = Assert.Throws<ArgumentException>(() => model.Step(states, inputs, outputs.AsSpan(1)));
        Assert.Equal("outputs", shortOutput.ParamName);

        inputs[5] = float.NaN;
        var nanInput = Assert.Throws<ArgumentException>(() => model.Step(states, inputs, outputs));
        Assert.Equal("inputs", nanInput.ParamName);
        inputs[5] = 0;

        ((Span<float>)states[2])[3] = float.PositiveInfinity;
        before[(2 * LstmSmallF.StateSize) + 3] = float.PositiveInfinity;
        var badState = Assert.Throws<ArgumentException>(() => model.Forward(states, inputs, outputs));
        Assert.Contains("'states[2]'", badState.Message, StringComparison.Ordinal);
        Assert.Contains("element 3", badState.Message, StringComparison.Ordinal);

        // Through the interface, the states must be whole states.
        IStreamingModel<float> streaming = model;
        float[] flat = new float[(2 * LstmSmallF.StateSize) + 1];
        var partial = Assert.Throws<ArgumentException>(() => streaming.StepStreams(flat, new float[2 * LstmSmallF.InputSize], new float[2 * LstmSmallF.OutputSize]));
        Assert.Equal("states", partial.ParamName);

        Assert.Equal(before, states.SelectMany(s => ((Span<float>)s).ToArray()).ToArray());
        Assert.All(outputs, o => Assert.Equal(0f, o));
    }

    [Fact]
    public void Token_streams_refuse_an_unknown_token()
    {
        var model = new TokenStackF(2);
        var states = new TokenStackF.State[3];
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Step(states, [1, TokenStackF.Vocabulary, 0], new float[3 * TokenStackF.OutputSize]));
        Assert.Contains("tokens", error.ParamName, StringComparison.Ordinal);
        Assert.All(states, s => Assert.All(((Span<float>)s).ToArray(), v => Assert.Equal(0f, v)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(128)]
    public void Many_streams_allocate_nothing(int streams)
    {
        // 128 streams of this model need more than the stack buffer: the pooled path is measured too.
        var model = new StepPanelsF(4);
        var states = new StepPanelsF.State[streams];
        float[] inputs = new float[16 * streams * StepPanelsF.InputSize];
        inputs.AsSpan().Fill(0.25f);
        float[] outputs = new float[16 * streams * StepPanelsF.OutputSize];
        Assert.Equal(0, Allocation.Measure(() => model.Step(states, inputs.AsSpan(0, streams * StepPanelsF.InputSize), outputs.AsSpan(0, streams * StepPanelsF.OutputSize)), warmup: 5, runs: 20));
        Assert.Equal(0, Allocation.Measure(() => model.Forward(states, inputs, outputs), warmup: 5, runs: 20));

        var tokens = new TokenStackF(1);
        var tokenStates = new TokenStackF.State[streams];
        int[] ids = Enumerable.Range(0, 16 * streams).Select(i => i % TokenStackF.Vocabulary).ToArray();
        float[] logits = new float[ids.Length * TokenStackF.OutputSize];
        Assert.Equal(0, Allocation.Measure(() => tokens.Forward(tokenStates, ids, logits), warmup: 5, runs: 20));
    }

    /// <summary>The many-stream calls of a vector or a token model, through the interfaces.</summary>
    private sealed class Streams<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        private readonly IStreamingModel<T>? _vectors;
        private readonly ITokenStreamingModel<T>? _tokens;

        public Streams(IRecurrentModel<T> model)
        {
            _vectors = model as IStreamingModel<T>;
            _tokens = model as ITokenStreamingModel<T>;
            StateSize = _vectors?.StateSize ?? _tokens!.StateSize;
        }

        public int StateSize { get; }

        public void Step(T[] states, int[] tokens, T[] inputs, int start, int length, Span<T> outputs)
        {
            if (_tokens is not null)
            {
                _tokens.StepStreams(states, tokens.AsSpan(start, length), outputs);
            }
            else
            {
                _vectors!.StepStreams(states, inputs.AsSpan(start, length), outputs);
            }
        }

        public void Forward(T[] states, int[] tokens, T[] inputs, int start, int length, Span<T> outputs)
        {
            if (_tokens is not null)
            {
                _tokens.ForwardStreams(states, tokens.AsSpan(start, length), outputs);
            }
            else
            {
                _vectors!.ForwardStreams(states, inputs.AsSpan(start, length), outputs);
            }
        }
    }

    private sealed class ArrayComparer : IEqualityComparer<float[]>
    {
        public bool Equals(float[]? x, float[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(float[] obj) => obj.Length == 0 ? 0 : obj[0].GetHashCode();
    }
}
