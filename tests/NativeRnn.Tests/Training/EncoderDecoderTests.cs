using System;
using System.Collections.Generic;
using System.Linq;
using NativeRnn.Tests.Helpers;
using NativeRnn.Training;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests.Training;

/// <summary>Two declared models joined by the encoder's final state: gradients through the join, and a task learned.</summary>
public class EncoderDecoderTests(ITestOutputHelper output)
{
    [Fact]
    public void Gradients_through_the_joined_pair_equal_finite_differences()
    {
        var encoder = new TinyEncoderD(1);
        var decoder = new TinyDecoderD(2);
        var random = new Initialization.DeterministicRandom(3, 3);
        foreach (IRecurrentModel<double> model in new IRecurrentModel<double>[] { encoder, decoder })
        {
            Span<double> p = model.Parameters;
            for (int i = 0; i < p.Length; i++)
            {
                p[i] = random.NextUniform(-0.6, 0.6);
            }
        }

        var pairs = new List<(int[], int[])> { ([1, 2, 3], [2, 1]), ([4], [3, 3, 1]), ([2, 4], [1]) };
        var data = new TranslationPairs<double>(pairs, batchSize: 3, padToken: 0, startToken: 5, endToken: 4);
        TranslationBatch<double> batch = data.CreateBatch();
        Assert.True(data.Next(batch));
        var joined = new EncoderDecoder<double>(encoder, decoder, new Sgd<double>(TinyEncoderD.ParameterCount, 1), new Sgd<double>(TinyDecoderD.ParameterCount, 1), data.MaxSourceSteps, data.MaxTargetSteps, 3);
        joined.Backpropagate(batch);
        double[] encoderGradients = joined.EncoderGradients.ToArray(), decoderGradients = joined.DecoderGradients.ToArray();
        Assert.Contains(encoderGradients, g => Math.Abs(g) > 1e-4); // the gradient really crosses the join

        double worst = 0;
        foreach ((IRecurrentModel<double> model, double[] analytic) in new[] { ((IRecurrentModel<double>)encoder, encoderGradients), (decoder, decoderGradients) })
        {
            Span<double> p = model.Parameters;
            for (int i = 0; i < p.Length; i++)
            {
                double saved = p[i];
                double Loss(double value)
                {
                    model.Parameters[i] = value;
                    return joined.Backpropagate(batch);
                }

                const double h = 1e-4;
                double numeric = ((8 * (Loss(saved + h) - Loss(saved - h))) - (Loss(saved + (2 * h)) - Loss(saved - (2 * h)))) / (12 * h);
                model.Parameters[i] = saved;
                double error = Math.Abs(numeric - analytic[i]) / Math.Max(1e-3, Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])));
                worst = Math.Max(worst, error);
                Assert.True(error < 1e-6, $"{model.Layout.First(t => i >= t.Offset && i < t.Offset + t.Length).Name}[{i}]: numeric {numeric:R}, BPTT {analytic[i]:R}");
            }
        }

        output.WriteLine($"worst relative error over {TinyEncoderD.ParameterCount + TinyDecoderD.ParameterCount} parameters of both models: {worst:E2}");
    }

    /// <summary>Random digit strings of 3–6 digits, each once.</summary>
    private static List<int[]> Strings(int count, ulong seed)
    {
        var random = new Initialization.DeterministicRandom(seed, 0);
        var seen = new HashSet<string>();
        var strings = new List<int[]>();
        while (strings.Count < count)
        {
            int[] digits = Enumerable.Range(0, 3 + random.NextInt(4)).Select(_ => random.NextInt(10)).ToArray();
            if (seen.Add(string.Concat(digits)))
            {
                strings.Add(digits);
            }
        }

        return strings;
    }

    [Fact]
    public void An_encoder_decoder_learns_to_reverse_digit_strings_it_never_saw()
    {
        List<int[]> strings = Strings(4200, seed: 1);
        var training = strings.Take(4000).Select(s => (s, Enumerable.Reverse(s).ToArray())).ToList();
        var heldOut = strings.Skip(4000).ToList();
        var data = new TranslationPairs<float>(training, batchSize: 32, padToken: 10, startToken: 11, endToken: 12, seed: 2);
        var encoder = new ReverseEncoder(3);
        var decoder = new ReverseDecoder(4);
        var joined = new EncoderDecoder<float>(
            encoder,
            decoder,
            new Adam<float>(ReverseEncoder.ParameterCount, 1e-2),
            new Adam<float>(ReverseDecoder.ParameterCount, 1e-2),
            data.MaxSourceSteps,
            data.MaxTargetSteps,
            32,
            new TrainerOptions { ClipNorm = 1 });
        TranslationBatch<float> batch = data.CreateBatch();
        const int steps = 3000;
        for (int step = 0; step < steps; step++)
        {
            if (!data.Next(batch))
            {
                data.Next(batch);
            }

            joined.Step(batch);
        }

        int exact = 0;
        int[] answer = new int[8];
        foreach (int[] s in heldOut)
        {
            int length = joined.Translate(s, answer, startToken: 11, endToken: 12);
            exact += answer.AsSpan(0, length).SequenceEqual(Enumerable.Reverse(s).ToArray()) ? 1 : 0;
        }

        double accuracy = (double)exact / heldOut.Count;
        output.WriteLine($"exact match on {heldOut.Count} unseen strings after {steps} steps: {accuracy:P1}");
        Assert.True(accuracy >= 0.9, $"Only {accuracy:P1} of the unseen strings came back reversed.");
    }
}
