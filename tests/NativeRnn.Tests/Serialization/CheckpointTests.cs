using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using NativeRnn.Initialization;
using NativeRnn.Serialization;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests.Serialization;

/// <summary>Checkpoints keep every value bit for bit, refuse other architectures by name, detect damage, and survive being killed mid-write.</summary>
public class CheckpointTests(ITestOutputHelper output)
{
    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"nativernn-{Guid.NewGuid():N}.ckpt.safetensors");

    private static byte[] Bytes(Checkpoint checkpoint)
    {
        using var stream = new MemoryStream();
        checkpoint.WriteTo(stream);
        return stream.ToArray();
    }

    private static Checkpoint Full()
    {
        var model = (TokenStackD)Catalog.Double().Single(c => c.Name == "TokenStackD").CreateRandomized(4);
        Checkpoint checkpoint = Checkpoint.Create(model);
        double[] moments = ModelTools.Uniform(1, 2, 2 * TokenStackD.ParameterCount);
        moments[0] = -0.0;
        moments[1] = BitConverter.Int64BitsToDouble(0x7FF8_0000_DEAD_BEEF); // a NaN with a payload: kept as is
        moments[2] = double.Epsilon;
        checkpoint.SetBlock<double>("adam", moments);
        checkpoint.SetBlock<float>("ema", ModelTools.Convert<float>(ModelTools.Uniform(1, 3, 10)));
        checkpoint.SetBlock<float>("empty", []);
        checkpoint.Integers["step"] = 123_456_789_012;
        checkpoint.Integers["epoch"] = -1;
        checkpoint.Integers["min"] = long.MinValue;
        checkpoint.Integers["max"] = long.MaxValue;
        var random = new DeterministicRandom(9, 3);
        random.NextUInt64();
        checkpoint.SetRandom("dropout", random);
        checkpoint.Vocabulary = ["", "a", "\0", "\n", "é", "😀", "\ud800", "\udfff", "token with spaces"];
        checkpoint.Metadata["run"] = "baseline\nsecond line";
        return checkpoint;
    }

    [Fact]
    public void Every_value_round_trips_bit_for_bit()
    {
        Checkpoint saved = Full();
        string path = TempPath();
        try
        {
            saved.Save(path);
            Checkpoint loaded = Checkpoint.Load(path);
            Assert.Equal(saved.Architecture, loaded.Architecture);
            Assert.Equal("float64: Embedding(11, 6) → LSTM(8) → GRU(5) → Dense(11)", loaded.Architecture.Description);
            Assert.Equal(typeof(double), loaded.ElementType);
            Assert.Equal(path, loaded.SourceName);

            Assert.Equal(BitsOf(saved.GetBlock<double>("adam")), BitsOf(loaded.GetBlock<double>("adam")));
            Assert.Equal(saved.GetBlock<float>("ema").ToArray(), loaded.GetBlock<float>("ema").ToArray());
            Assert.Equal(0, loaded.GetBlock<float>("empty").Length);
            Assert.Equal(saved.Integers, loaded.Integers);
            Assert.Equal(saved.Vocabulary, loaded.Vocabulary);
            Assert.Equal(saved.Metadata, loaded.Metadata);
            Assert.Equal(["adam", "ema", "empty"], loaded.BlockNames);

            DeterministicRandom a = saved.GetRandom("dropout"), b = loaded.GetRandom("dropout");
            for (int i = 0; i < 100; i++)
            {
                Assert.Equal(a.NextUInt64(), b.NextUInt64());
            }

            var model = new TokenStackD(77);
            loaded.RestoreParameters(model);
            var original = new TokenStackD(0);
            saved.RestoreParameters(original);
            Assert.True(original.Parameters.SequenceEqual(model.Parameters));
            Assert.False(File.Exists(path + ".tmp"));

            // The same file is a weight file: the parameters load by name, the rest is skipped.
            var weights = new TokenStackD(5);
            weights.LoadSafeTensors(path, new SafeTensorsOptions { IgnoreUnexpected = true });
            Assert.True(original.Parameters.SequenceEqual(weights.Parameters));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static long[] BitsOf(ReadOnlySpan<double> values) => values.ToArray().Select(BitConverter.DoubleToInt64Bits).ToArray();

    [Fact]
    public void A_random_generator_resumes_exactly()
    {
        var random = new DeterministicRandom(42, 1);
        for (int i = 0; i < 17; i++)
        {
            random.NextUInt64();
        }

        ulong[] state = new ulong[DeterministicRandom.StateLength];
        random.CopyStateTo(state);
        DeterministicRandom resumed = DeterministicRandom.FromState(state);
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(random.NextUInt64(), resumed.NextUInt64());
        }

        Assert.Throws<ArgumentException>(() => DeterministicRandom.FromState(new ulong[4]));
        Assert.Throws<ArgumentException>(() => DeterministicRandom.FromState(new ulong[3]));
    }

    [Fact]
    public void A_checkpoint_of_another_architecture_is_refused_by_name()
    {
        Checkpoint lstm = Checkpoint.Create(new LstmSmallF(1));
        Checkpoint loaded = Checkpoint.Load(Bytes(lstm), "lstm.ckpt");
        var gru = new GruAfterF(2);
        float[] before = gru.Parameters.ToArray();
        WeightFileException e = Assert.Throws<WeightFileException>(() => loaded.RestoreParameters(gru));
        Assert.Equal(WeightFileError.ArchitectureMismatch, e.Error);
        Assert.Contains("'float32: input 3 → LSTM(7) → Dense(2)'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'float32: input 7 → GRU(13) → Dense(3)'", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, gru.Parameters.ToArray());

        // Same words, other element type or other activation: still refused.
        Assert.Throws<WeightFileException>(() => Checkpoint.Load(Bytes(Checkpoint.Create(new LstmSmallD(1)))).RestoreParameters(new LstmSmallF(1)));
        var relu = new ReluSmallF(1);
        Assert.Throws<WeightFileException>(() => Checkpoint.Load(Bytes(Checkpoint.Create(new SigmoidMidF(1)))).RestoreParameters(relu));
        Assert.Throws<ArgumentException>(() => lstm.CaptureParameters(gru));
    }

    [Fact]
    public void Any_damaged_byte_or_truncation_is_detected()
    {
        var checkpoint = Checkpoint.Create(new SingleUnitF(1));
        checkpoint.SetBlock<float>("m", [1, 2, 3]);
        checkpoint.Integers["step"] = 5;
        checkpoint.Vocabulary = ["a", "b"];
        byte[] bytes = Bytes(checkpoint);
        Checkpoint.Load(bytes);
        for (int i = 0; i < bytes.Length; i++)
        {
            foreach (byte flip in new byte[] { 0x01, 0x80 })
            {
                byte[] damaged = (byte[])bytes.Clone();
                damaged[i] ^= flip;
                Assert.Throws<WeightFileException>(() => Checkpoint.Load(damaged));
            }
        }

        for (int cut = 0; cut < bytes.Length; cut++)
        {
            Assert.Throws<WeightFileException>(() => Checkpoint.Load(bytes.AsSpan(0, cut)));
        }

        byte[] body = (byte[])bytes.Clone();
        body[^20] ^= 0x10;
        Assert.Equal(WeightFileError.ChecksumMismatch, Assert.Throws<WeightFileException>(() => Checkpoint.Load(body)).Error);
    }

    [Fact]
    public void A_weight_file_is_not_taken_for_a_checkpoint()
    {
        using var stream = new MemoryStream();
        new LstmSmallF(1).SaveSafeTensors(stream);
        WeightFileException e = Assert.Throws<WeightFileException>(() => Checkpoint.Load(stream.ToArray()));
        Assert.Equal(WeightFileError.InvalidCheckpoint, e.Error);
        Assert.Contains("not a NativeRnn checkpoint", e.Message, StringComparison.Ordinal);

        Checkpoint checkpoint = Checkpoint.Create(new LstmSmallF(1));
        checkpoint.Metadata["nativernn.mine"] = "x";
        Assert.Throws<ArgumentException>(() => checkpoint.WriteTo(Stream.Null));
    }

    [Fact]
    public async Task A_run_resumed_in_a_new_process_continues_bit_for_bit()
    {
        TrainingRun straight = TrainingRun.Start(null);
        straight.Steps(10);

        string half = TempPath(), whole = TempPath();
        try
        {
            foreach (string[] args in new[] { new[] { ChildProcess.Train, "-", "5", half }, new[] { ChildProcess.Train, half, "5", whole } })
            {
                using Process child = ChildProcess.Start(args);
                await child.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
                Assert.Equal(0, child.ExitCode);
            }

            TrainingRun resumed = TrainingRun.Start(Checkpoint.Load(whole));
            Assert.Equal(10, resumed.Step);
            Assert.True(straight.Parameters.SequenceEqual(resumed.Parameters), "The parameters differ from the uninterrupted run's.");
            Assert.True(straight.Momentum.SequenceEqual(resumed.Momentum), "The momentum differs from the uninterrupted run's.");
            Assert.False(straight.Parameters.SequenceEqual(TrainingRun.Start(Checkpoint.Load(half)).Parameters));
        }
        finally
        {
            File.Delete(half);
            File.Delete(whole);
        }
    }

    [Fact]
    public async Task Killed_at_random_moments_the_checkpoint_on_disk_always_loads_and_verifies()
    {
        const int kills = 100;
        string directory = Path.Combine(Path.GetTempPath(), $"nativernn-crash-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, "run.ckpt.safetensors");
        var random = new Random(20261201);
        int interrupted = 0;
        long lastStep = -1;
        var clock = Stopwatch.StartNew();
        try
        {
            for (int kill = 0; kill < kills; kill++)
            {
                using Process child = ChildProcess.Start(ChildProcess.WriteCheckpoints, path);
                try
                {
                    // A timeout rather than a hang if the child never gets going.
                    string? line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2));
                    Assert.Equal("ready", line);
                    await Task.Delay(random.Next(0, 40));
                }
                finally
                {
                    child.Kill();
                    child.WaitForExit();
                }

                interrupted += File.Exists(path + ".tmp") ? 1 : 0;
                Checkpoint loaded = Checkpoint.Load(path);

                // The file is one step's state, whole: rebuilding that step gives the same bits.
                long step = loaded.Integers["step"];
                var model = new LstmWideF(1);
                Checkpoint expected = Checkpoint.Create(model);
                ChildProcess.StepState(step, model, expected);
                var restored = new LstmWideF(2);
                loaded.RestoreParameters(restored);
                Assert.True(model.Parameters.SequenceEqual(restored.Parameters), $"Kill {kill}: the parameters are not those of step {step}.");
                Assert.True(expected.GetBlock<float>("moments").SequenceEqual(loaded.GetBlock<float>("moments")), $"Kill {kill}: the block is not that of step {step}.");
                Assert.Equal(expected.GetRandom("data").NextUInt64(), loaded.GetRandom("data").NextUInt64());
                Assert.Equal(expected.Vocabulary, loaded.Vocabulary);
                Assert.Equal(step.ToString(System.Globalization.CultureInfo.InvariantCulture), loaded.Metadata["step"]);
                lastStep = step;
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        output.WriteLine($"{kills} kills in {clock.Elapsed.TotalSeconds:F1} s; {interrupted} interrupted a write (a temporary file was left); the last checkpoint on disk was of step {lastStep}.");

        // Most kills land in the middle of a write (writing is nearly all the child does), so the test exercises the danger.
        Assert.True(interrupted > 0, "No kill interrupted a write.");
    }
}
