using System;
using System.Collections.Generic;
using System.Linq;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests.Training;

/// <summary>The data sources serve exactly the batches their documents describe, reproducibly, resumably, without allocating.</summary>
public class DataTests
{
    [Fact]
    public void Token_streams_are_char_rnn_chunks_whose_targets_are_the_next_tokens()
    {
        int[] text = Enumerable.Range(0, 103).ToArray();
        var data = new TokenStreams<float>(text, streams: 4, steps: 10);
        Assert.Equal(25, data.StreamLength); // (103 − 1) / 4
        Assert.Equal(3, data.BatchesPerEpoch);
        Batch<float> batch = data.CreateBatch();
        var seen = new List<int>[4];
        for (int b = 0; b < 4; b++)
        {
            seen[b] = [];
        }

        int count = 0;
        while (data.Next(batch))
        {
            Assert.Equal(count > 0, batch.ContinuesStreams);
            Assert.Equal(count < 2 ? 10 : 5, batch.Steps);
            for (int t = 0; t < batch.Steps; t++)
            {
                for (int b = 0; b < 4; b++)
                {
                    int token = batch.Tokens[(t * 4) + b];
                    Assert.Equal(token + 1, batch.Classes[(t * 4) + b]);
                    seen[b].Add(token);
                }
            }

            count++;
        }

        Assert.Equal(3, count);
        for (int b = 0; b < 4; b++)
        {
            Assert.Equal(Enumerable.Range(b * 25, 25), seen[b]); // stream b is text[25b, 25b + 25)
        }

        Assert.Equal(new DataPosition(1, 0), data.Position);
    }

    [Fact]
    public void A_saved_position_resumes_the_same_batches_and_seeded_epochs_move_their_chunk_edges()
    {
        int[] text = Enumerable.Range(0, 500).Select(i => (i * 7) % 31).ToArray();
        var data = new TokenStreams<double>(text, streams: 3, steps: 8, seed: 42);
        Batch<double> batch = data.CreateBatch();
        for (int i = 0; i < 30; i++)
        {
            if (!data.Next(batch))
            {
                data.Next(batch);
            }
        }

        DataPosition saved = data.Position;
        int[] next = Serve(data, batch);
        var resumed = new TokenStreams<double>(text, streams: 3, steps: 8, seed: 42) { Position = saved };
        Assert.Equal(next, Serve(resumed, resumed.CreateBatch()));

        // Epoch 0 starts at offset 0, later ones at a seeded offset below the chunk length.
        var fresh = new TokenStreams<double>(text, streams: 3, steps: 8, seed: 42);
        Batch<double> first = fresh.CreateBatch();
        fresh.Next(first);
        Assert.Equal(text[0], first.Tokens[0]);
        Assert.Contains(Enumerable.Range(1, 5), epoch =>
        {
            fresh.Position = new DataPosition(epoch, 0);
            fresh.Next(first);
            return first.Tokens[0] != text[0];
        });
    }

    private static int[] Serve(TokenStreams<double> data, Batch<double> batch)
    {
        var tokens = new List<int>();
        for (int i = 0; i < 5; i++)
        {
            if (!data.Next(batch))
            {
                data.Next(batch);
            }

            tokens.AddRange(batch.Tokens.ToArray());
        }

        return [.. tokens];
    }

    [Fact]
    public void Series_windows_give_many_to_many_and_many_to_one_targets_at_the_horizon()
    {
        // Two features: f0 = t, f1 = 100 + t; predict f1 three steps ahead.
        float[] series = Enumerable.Range(0, 20).SelectMany(t => new[] { (float)t, 100f + t }).ToArray();
        var every = new SeriesWindows<float>(series, features: 2, window: 5, batchSize: 4, SeriesTargets.EveryStep, horizon: 3, stride: 2, targetColumns: [1]);
        Assert.Equal(((20 - 5 - 3) / 2) + 1, every.WindowCount);
        Batch<float> batch = every.CreateBatch();
        Assert.True(every.Next(batch));
        Assert.Equal(LossSteps.All, batch.LossSteps);
        for (int b = 0; b < 4; b++)
        {
            for (int t = 0; t < 5; t++)
            {
                int row = (t * 4) + b;
                Assert.Equal((b * 2) + t, batch.Inputs[row * 2]);
                Assert.Equal(100 + (b * 2) + t + 3, batch.Values[row]);
            }
        }

        var last = new SeriesWindows<float>(series, 2, 5, 4, SeriesTargets.LastStep, horizon: 1);
        Batch<float> lastBatch = last.CreateBatch();
        last.Next(lastBatch);
        Assert.Equal(LossSteps.Last, lastBatch.LossSteps);
        Assert.Equal(4, lastBatch.CountedPositions());
        Assert.Equal(0f, lastBatch.Values[0]);
        Assert.Equal(5f, lastBatch.Values[(4 * 4 * 2) + 0]); // window 0 ends at t = 4; its target is t = 5, feature 0

        (ReadOnlyMemory<float> training, ReadOnlyMemory<float> validation) = DataSplit.ByTime<float>(series, 2, 0.25);
        Assert.Equal(15 * 2, training.Length);
        Assert.Equal(5 * 2, validation.Length);
        Assert.Equal(series[30], validation.Span[0]);
    }

    [Fact]
    public void Shuffled_windows_cover_every_window_once_per_epoch_in_a_seeded_order()
    {
        float[] series = Enumerable.Range(0, 60).Select(t => (float)t).ToArray();
        var data = new SeriesWindows<float>(series, 1, 4, 7, seed: 3);
        Batch<float> batch = data.CreateBatch();
        var starts = new List<float>();
        while (data.Next(batch))
        {
            for (int b = 0; b < batch.Sequences; b++)
            {
                starts.Add(batch.Inputs[b]);
            }
        }

        Assert.Equal(Enumerable.Range(0, data.WindowCount).Select(i => (float)i), starts.Order());
        Assert.NotEqual(Enumerable.Range(0, data.WindowCount).Select(i => (float)i), starts);
    }

    [Fact]
    public void Sequence_pairs_read_the_source_then_answer_after_the_lag_with_a_mask()
    {
        var pairs = new List<(int[], int[])> { ([1, 2, 3], [7, 8]), ([4], [9, 9, 9]) };
        var data = new SequencePairs<float>(pairs, batchSize: 2, lag: 2, padToken: 0);
        Batch<float> batch = data.CreateBatch();
        Assert.True(data.Next(batch));
        Assert.Equal(5, batch.Steps); // max(3, 2 + 2), max(1, 2 + 3)
        Assert.Equal([1, 4, 2, 0, 3, 0, 0, 0, 0, 0], batch.Tokens.ToArray());
        Assert.Equal([false, false, false, false, true, true, true, true, false, true], batch.Mask.ToArray());
        Assert.Equal([7, 9, 8, 9, 9], Enumerable.Range(0, 10).Where(r => batch.Mask[r]).Select(r => batch.Classes[r]));
        Assert.Equal(5, batch.CountedPositions());
    }

    [Fact]
    public void A_split_is_seeded_disjoint_and_complete()
    {
        (int[] training, int[] validation) = DataSplit.Split(100, 0.2, seed: 9);
        Assert.Equal(80, training.Length);
        Assert.Equal(20, validation.Length);
        Assert.Equal(Enumerable.Range(0, 100), training.Concat(validation).Order());
        Assert.Equal(validation, DataSplit.Split(100, 0.2, seed: 9).Validation);
        Assert.NotEqual(validation, DataSplit.Split(100, 0.2, seed: 10).Validation);
    }

    [Fact]
    public void Serving_batches_allocates_nothing()
    {
        var streams = new TokenStreams<float>(Enumerable.Range(0, 2000).Select(i => i % 50).ToArray(), 8, 16, seed: 1);
        Batch<float> a = streams.CreateBatch();
        var windows = new SeriesWindows<float>(new float[3000], 3, 20, 16, seed: 1);
        Batch<float> b = windows.CreateBatch();
        var adding = new AddingProblem<float>(30, 16, 1);
        Batch<float> c = adding.CreateBatch();
        Assert.Equal(0, Helpers.Allocation.Measure(() =>
        {
            _ = streams.Next(a) || streams.Next(a);
            _ = windows.Next(b) || windows.Next(b);
            _ = adding.Next(c) || adding.Next(c);
        }));
    }
}
