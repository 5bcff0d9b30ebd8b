using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using NativeRnn.Serialization;
using NativeRnn.Tests.Serialization;
using NativeRnn.Training;
using Xunit;

namespace NativeRnn.Tests.Training;

/// <summary>
/// A run stopped half-way, checkpointed and resumed in a new process ends exactly where the uninterrupted run ends:
/// parameters and optimiser state bit for bit, through Adam's moments, the cosine schedule, dropout masks, truncated BPTT
/// with carried states, two threads and an epoch boundary.
/// </summary>
public class ResumeTests
{
    private const int Steps = 40;

    private static int[] Text()
    {
        var random = new Initialization.DeterministicRandom(12, 3);
        return Enumerable.Range(0, 2000).Select(_ => random.NextInt(30)).ToArray();
    }

    private static (CharGruDropout Model, Trainer<float> Trainer, TokenStreams<float> Data) Create()
    {
        var model = new CharGruDropout(5);
        var options = new TrainerOptions { ClipNorm = 1, Threads = 2, DropoutSeed = 77, Schedule = new CosineSchedule(3e-3, Steps, 5, 1e-4) };
        var trainer = new Trainer<float>(model, new Adam<float>(CharGruDropout.ParameterCount, 3e-3), 16, 8, options);
        return (model, trainer, new TokenStreams<float>(Text(), streams: 8, steps: 16, seed: 4));
    }

    /// <summary>The child process's part: restore, train the second half, save the end state.</summary>
    internal static void ResumeAndSave(string checkpointPath, string resultPath)
    {
        (_, Trainer<float> trainer, TokenStreams<float> data) = Create();
        using (trainer)
        {
            trainer.RestoreCheckpoint(Checkpoint.Load(checkpointPath), data);
            trainer.Train(data, Steps - trainer.StepCount);
            trainer.CreateCheckpoint(data).Save(resultPath);
        }
    }

    [Fact]
    public void A_run_resumed_in_a_new_process_ends_bit_for_bit_where_the_straight_run_ends()
    {
        (CharGruDropout straight, Trainer<float> straightTrainer, TokenStreams<float> straightData) = Create();
        using (straightTrainer)
        {
            straightTrainer.Train(straightData, Steps);
        }

        string folder = Directory.CreateTempSubdirectory("nativernn-resume-").FullName;
        try
        {
            string half = Path.Combine(folder, "half.ckpt"), end = Path.Combine(folder, "end.ckpt");
            (_, Trainer<float> first, TokenStreams<float> firstData) = Create();
            using (first)
            {
                first.Train(firstData, Steps / 2);
                Checkpoint checkpoint = first.CreateCheckpoint(firstData);
                Assert.Contains("streams.h0.0", checkpoint.BlockNames); // the carried state really travels
                checkpoint.Save(half);
            }

            using (Process child = ChildProcess.Start(ChildProcess.ResumeTraining, half, end))
            {
                Assert.True(child.WaitForExit(120_000), "The resuming process did not finish.");
                Assert.Equal(0, child.ExitCode);
            }

            Checkpoint result = Checkpoint.Load(end);
            var resumed = new CharGruDropout(0);
            result.RestoreParameters(resumed);
            Assert.Equal(straight.Parameters.ToArray(), resumed.Parameters.ToArray());
            Assert.Equal(straightTrainer.Optimizer.State.ToArray(), result.GetBlock<float>("optimizer.state").ToArray());
            Assert.Equal(straightTrainer.Optimizer.StepCount, result.Integers["optimizer.step"]);
            Assert.Equal(Steps, result.Integers["trainer.step"]);
            Assert.Equal(straightData.Position, new DataPosition(result.Integers["data.epoch"], result.Integers["data.index"]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_checkpoint_of_another_architecture_or_optimiser_is_refused_and_changes_nothing()
    {
        (CharGruDropout model, Trainer<float> trainer, TokenStreams<float> data) = Create();
        using (trainer)
        {
            trainer.Train(data, 3);
            Checkpoint checkpoint = trainer.CreateCheckpoint(data);

            var other = new CharLstm(1);
            using var otherTrainer = new Trainer<float>(other, new Adam<float>(CharLstm.ParameterCount), 16, 8);
            float[] before = other.Parameters.ToArray();
            WeightFileException e = Assert.Throws<WeightFileException>(() => otherTrainer.RestoreCheckpoint(checkpoint));
            Assert.Contains("another architecture", e.Message, StringComparison.Ordinal);
            Assert.Equal(before, other.Parameters.ToArray());

            using var sgdTrainer = new Trainer<float>(new CharGruDropout(2), new Sgd<float>(CharGruDropout.ParameterCount, 0.1), 16, 8);
            ArgumentException wrongOptimizer = Assert.Throws<ArgumentException>(() => sgdTrainer.RestoreCheckpoint(checkpoint));
            Assert.Contains("Adam", wrongOptimizer.Message, StringComparison.Ordinal);
        }
    }
}
