using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using NativeRnn.Tests.Reference;

namespace NativeRnn.Tests.Helpers;

/// <summary>Runs a generated model and the reference network on the same random problem.</summary>
public static class Harness
{
    /// <summary>A random problem: parameters, inputs and initial states from one seed.</summary>
    public sealed class Problem<T>
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        public required IRecurrentModel<T> Model { get; init; }

        public required NetworkSpec Spec { get; init; }

        public required int Steps { get; init; }

        public required int Batch { get; init; }

        /// <summary>[T, B, I] as the model sees them (rounded to T), widened back to double; empty for a token model.</summary>
        public required double[] Inputs { get; init; }

        /// <summary>[T, B] token ids for a token model; empty otherwise.</summary>
        public required int[] Tokens { get; init; }

        public required Dictionary<(int Layer, int Direction), double[]> InitialHidden { get; init; }

        public required Dictionary<(int Layer, int Direction), double[]> InitialCell { get; init; }

        public required IRecurrentTape<T> Tape { get; init; }

        public ReferenceNetwork Reference()
        {
            Dictionary<string, double[]> tensors = ModelTools.ExportAll(Model);
            return new ReferenceNetwork(Spec, name => tensors[name]);
        }

        public ReferenceNetwork.Result RunReference()
            => Spec.HasEmbedding
                ? Reference().RunTokens(Tokens, Steps, Batch, (k, d) => InitialHidden[(k, d)], (k, d) => InitialCell.GetValueOrDefault((k, d)))
                : Reference().Run(Inputs, Steps, Batch, (k, d) => InitialHidden[(k, d)], (k, d) => InitialCell.GetValueOrDefault((k, d)));

        /// <summary>Runs the generated training forward pass; returns the outputs.</summary>
        public T[] RunModel()
        {
            T[] outputs = new T[Steps * Batch * Spec.OutputSize];
            Forward(Model, Tape, Inputs, Tokens, outputs);
            return outputs;
        }
    }

    /// <summary>The training forward pass of a vector or a token model.</summary>
    public static void Forward<T>(IRecurrentModel<T> model, IRecurrentTape<T> tape, double[] inputs, int[] tokens, Span<T> outputs)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (model is ITokenSequenceModel<T> tokenModel)
        {
            tokenModel.Forward(tape, tokens, outputs);
        }
        else
        {
            ((ISequenceModel<T>)model).Forward(tape, ModelTools.Convert<T>(inputs), outputs);
        }
    }

    /// <param name="weightScale">
    /// Parameters are uniform in ±this. Long float sequences need contractive recurrences (small weights):
    /// a chaotic one amplifies float rounding until no tolerance separates right from wrong.
    /// </param>
    public static Problem<T> Create<T>(ModelCase<T> modelCase, ulong seed, int steps, int batch, double stateScale = 0.8, double weightScale = 0.5)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        IRecurrentModel<T> model = modelCase.CreateRandomized(seed, weightScale);
        NetworkSpec spec = modelCase.Spec;
        double[] inputs = spec.HasEmbedding ? [] : Rounded<T>(ModelTools.Uniform(seed, 1, steps * batch * spec.InputSize, 1.5));
        var tokenRandom = new Initialization.DeterministicRandom(seed, 2);
        int[] tokens = spec.HasEmbedding ? Enumerable.Range(0, steps * batch).Select(_ => tokenRandom.NextInt(spec.Vocabulary)).ToArray() : [];
        IRecurrentTape<T> tape = model.CreateTape(steps, batch);
        var hidden = new Dictionary<(int, int), double[]>();
        var cell = new Dictionary<(int, int), double[]>();
        for (int k = 0; k < spec.Layers.Length; k++)
        {
            for (int d = 0; d < spec.Layers[k].Directions; d++)
            {
                int size = batch * spec.Layers[k].Hidden;
                double[] h = Rounded<T>(ModelTools.Uniform(seed, (ulong)(10 + (2 * k) + d), size, stateScale));
                hidden[(k, d)] = h;
                ModelTools.Convert<T>(h).CopyTo(tape.InitialHidden(k, d));
                if (spec.Layers[k].Kind == LayerKind.Lstm)
                {
                    double[] c = Rounded<T>(ModelTools.Uniform(seed, (ulong)(100 + (2 * k) + d), size, stateScale));
                    cell[(k, d)] = c;
                    ModelTools.Convert<T>(c).CopyTo(tape.InitialCell(k, d));
                }
            }
        }

        return new Problem<T>
        {
            Model = model,
            Spec = spec,
            Steps = steps,
            Batch = batch,
            Inputs = inputs,
            Tokens = tokens,
            InitialHidden = hidden,
            InitialCell = cell,
            Tape = tape,
        };
    }

    /// <summary>Values rounded to <typeparamref name="T"/> and widened back, so model and reference see the same numbers.</summary>
    public static double[] Rounded<T>(double[] values)
        where T : IFloatingPointIeee754<T>
        => Array.ConvertAll(values, v => double.CreateTruncating(T.CreateTruncating(v)));

    /// <summary>Problem sizes for properties: a seed, 1–8 steps, 1–4 sequences.</summary>
    public static Arbitrary<(ulong Seed, int Steps, int Batch)> Sizes(int maxSteps = 8, int maxBatch = 4)
        => (from seed in Gen.Choose(0, int.MaxValue)
            from steps in Gen.Choose(1, maxSteps)
            from batch in Gen.Choose(1, maxBatch)
            select ((ulong)seed, steps, batch)).ToArbitrary();

    /// <summary>FsCheck configuration: throws on failure with the counterexample; a fixed number of cases.</summary>
    public static Config Config(int tests) => FsCheck.Config.QuickThrowOnFailure.WithMaxTest(tests).WithQuietOnSuccess(true);
}
