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

/// <summary>The generated forward passes agree with the scalar reference network.</summary>
public class ForwardTests
{
    public static IEnumerable<object[]> FloatModels() => Catalog.Float().Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> DoubleModels() => Catalog.Double().Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> FloatStreamingModels() => Catalog.Float().Where(c => c.Spec.Layers.All(l => !l.Bidirectional)).Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> DoubleStreamingModels() => Catalog.Double().Where(c => c.Spec.Layers.All(l => !l.Bidirectional)).Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(FloatModels))]
    public void Training_forward_matches_reference_in_float(string name)
        => TrainingForwardMatches(Catalog.Float().Single(c => c.Name == name), 2e-5);

    [Theory]
    [MemberData(nameof(DoubleModels))]
    public void Training_forward_matches_reference_in_double(string name)
        => TrainingForwardMatches(Catalog.Double().Single(c => c.Name == name), 1e-12);

    [Theory]
    [MemberData(nameof(FloatStreamingModels))]
    public void Streaming_step_and_forward_match_reference(string name)
        => StreamingMatches(Catalog.Float().Single(c => c.Name == name), 2e-5);

    [Theory]
    [MemberData(nameof(DoubleStreamingModels))]
    public void Streaming_step_and_forward_match_reference_in_double(string name)
        => StreamingMatches(Catalog.Double().Single(c => c.Name == name), 1e-12);

    public static IEnumerable<object[]> FloatStepModels() => StepCatalog.Float().Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> DoubleStepModels() => StepCatalog.Double().Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(FloatStepModels))]
    public void Step_kernel_shapes_match_reference(string name)
        => StreamingMatches(StepCatalog.Float().Single(c => c.Name == name), 2e-5);

    [Theory]
    [MemberData(nameof(DoubleStepModels))]
    public void Step_kernel_shapes_match_reference_in_double(string name)
        => StreamingMatches(StepCatalog.Double().Single(c => c.Name == name), 1e-12);

    private static void TrainingForwardMatches<T>(ModelCase<T> modelCase, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Prop.ForAll(Harness.Sizes(), size =>
        {
            Harness.Problem<T> problem = Harness.Create(modelCase, size.Seed, size.Steps, size.Batch);
            T[] outputs = problem.RunModel();
            ReferenceNetwork.Result expected = problem.RunReference();
            string label = $"{modelCase} seed {size.Seed}, {size.Steps} steps × {size.Batch}";
            TensorCheck.Close<T>(expected.Outputs, outputs, tolerance, label + " outputs");
            for (int k = 0; k < problem.Spec.Layers.Length; k++)
            {
                TensorCheck.Close(expected.LayerOutputs[k], problem.Tape.LayerOutputs(k), tolerance, $"{label} layer {k} outputs");
                for (int d = 0; d < problem.Spec.Layers[k].Directions; d++)
                {
                    TensorCheck.Close(expected.FinalHidden[(k, d)], problem.Tape.FinalHidden(k, d), tolerance, $"{label} h_T of layer {k}.{d}");
                    if (problem.Spec.Layers[k].Kind == LayerKind.Lstm)
                    {
                        TensorCheck.Close(expected.FinalCell[(k, d)], problem.Tape.FinalCell(k, d), tolerance, $"{label} c_T of layer {k}.{d}");
                    }
                }
            }
        }).Check(Harness.Config(25));
    }

    private static void StreamingMatches<T>(ModelCase<T> modelCase, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Prop.ForAll(Harness.Sizes(maxSteps: 150, maxBatch: 1), size =>
        {
            Harness.Problem<T> problem = Harness.Create(modelCase, size.Seed, size.Steps, 1, weightScale: 0.2);
            var vectorModel = problem.Model as IStreamingModel<T>;
            var tokenModel = problem.Model as ITokenStreamingModel<T>;
            int stateSize = vectorModel?.StateSize ?? tokenModel!.StateSize;
            ReferenceNetwork.Result expected = problem.RunReference();
            string label = $"{modelCase} seed {size.Seed}, {size.Steps} steps";

            // The streaming state starts from the same initial states, layer after layer.
            T[] initial = new T[stateSize];
            int offset = 0;
            for (int k = 0; k < problem.Spec.Layers.Length; k++)
            {
                int hidden = problem.Spec.Layers[k].Hidden;
                ModelTools.Convert<T>(problem.InitialHidden[(k, 0)]).CopyTo(initial.AsSpan(offset));
                if (problem.Spec.Layers[k].Kind == LayerKind.Lstm)
                {
                    ModelTools.Convert<T>(problem.InitialCell[(k, 0)]).CopyTo(initial.AsSpan(offset + hidden));
                }

                offset += hidden * (problem.Spec.Layers[k].Kind == LayerKind.Lstm ? 2 : 1);
            }

            int inputSize = problem.Spec.InputSize, outputSize = problem.Spec.OutputSize;
            T[] inputs = ModelTools.Convert<T>(problem.Inputs);
            inputSize = problem.Spec.HasEmbedding ? 0 : inputSize;

            // Step, once per time step.
            T[] stepState = (T[])initial.Clone();
            T[] stepOutputs = new T[size.Steps * outputSize];
            for (int t = 0; t < size.Steps; t++)
            {
                if (tokenModel is not null)
                {
                    tokenModel.Step(stepState, problem.Tokens[t], stepOutputs.AsSpan(t * outputSize, outputSize));
                }
                else
                {
                    vectorModel!.Step(stepState, inputs.AsSpan(t * inputSize, inputSize), stepOutputs.AsSpan(t * outputSize, outputSize));
                }
            }

            TensorCheck.Close<T>(expected.Outputs, stepOutputs, tolerance, label + " Step outputs");

            // Forward over the whole sequence: the same outputs and final state.
            T[] forwardState = (T[])initial.Clone();
            T[] forwardOutputs = new T[size.Steps * outputSize];
            if (tokenModel is not null)
            {
                tokenModel.Forward(forwardState, problem.Tokens, forwardOutputs);
            }
            else
            {
                vectorModel!.Forward(forwardState, inputs, forwardOutputs);
            }
            TensorCheck.Close<T>(expected.Outputs, forwardOutputs, tolerance, label + " Forward outputs");
            offset = 0;
            for (int k = 0; k < problem.Spec.Layers.Length; k++)
            {
                int h = problem.Spec.Layers[k].Hidden;
                TensorCheck.Close(expected.FinalHidden[(k, 0)], stepState.AsSpan(offset, h), tolerance, $"{label} Step h_T of layer {k}");
                TensorCheck.Close(expected.FinalHidden[(k, 0)], forwardState.AsSpan(offset, h), tolerance, $"{label} Forward h_T of layer {k}");
                if (problem.Spec.Layers[k].Kind == LayerKind.Lstm)
                {
                    TensorCheck.Close(expected.FinalCell[(k, 0)], stepState.AsSpan(offset + h, h), tolerance, $"{label} Step c_T of layer {k}");
                    TensorCheck.Close(expected.FinalCell[(k, 0)], forwardState.AsSpan(offset + h, h), tolerance, $"{label} Forward c_T of layer {k}");
                    offset += h;
                }

                offset += h;
            }
        }).Check(Harness.Config(15));
    }
}
