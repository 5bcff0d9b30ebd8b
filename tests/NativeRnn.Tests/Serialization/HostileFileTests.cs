using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text;
using System.Threading.Tasks;
using FsCheck;
using FsCheck.Fluent;
using NativeRnn.Initialization;
using NativeRnn.Kernels;
using NativeRnn.Serialization;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests.Serialization;

/// <summary>
/// Mutants of valid weight files and checkpoints — truncations, byte flips, header-length, offset, shape
/// and dtype edits, JSON edits, duplicate keys, renamed tensors, poisoned values, huge counts — either load
/// into a valid model or raise <see cref="WeightFileException"/>, never another exception; a refused file
/// leaves the model bit for bit as it was; and no file makes the loader allocate more than a small multiple
/// of its own size plus the model.
/// </summary>
public class HostileFileTests(ITestOutputHelper output)
{
    /// <summary>One edit of a file, described by small numbers so that FsCheck can show and shrink it.</summary>
    public sealed record Mutation(int Kind, int A, int B, int C)
    {
        public override string ToString() => $"{Kinds[Kind % Kinds.Length]}({A}, {B}, {C})";
    }

    private static readonly string[] Kinds =
        ["truncate", "flip bytes", "header length", "number", "dtype", "duplicate key", "character", "rename", "huge count", "poison value", "metadata", "two edits"];

    private static Arbitrary<Mutation> Mutations()
        => (from kind in Gen.Choose(0, Kinds.Length - 1)
            from a in Gen.Choose(0, int.MaxValue)
            from b in Gen.Choose(0, int.MaxValue)
            from c in Gen.Choose(0, int.MaxValue)
            select new Mutation(kind, a, b, c)).ToArbitrary();

    private static readonly SafeTensorsLimits Limits = new() { MaxTensors = 2_000 };

    private static byte[] Save<T>(IRecurrentModel<T> model, SafeTensorsOptions? options = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
        => ModelWeightsTests.Save(model, options);

    [Fact]
    public async Task Mutants_of_weight_files_load_or_are_refused_with_the_documented_exception()
    {
        var outcomes = new Dictionary<string, int>();
        Task run = Task.Run(() =>
        {
            Property(Catalog.Float().Single(c => c.Name == "TokenStackF").CreateRandomized(1), null, 1500, outcomes);
            Property(Catalog.Double().Single(c => c.Name == "BiGruD").CreateRandomized(2), null, 1000, outcomes);
            Property(Catalog.Float().Single(c => c.Name == "LstmSmallF").CreateRandomized(3), new SafeTensorsOptions { SaveType = SafeTensorType.F16 }, 1000, outcomes);
        });

        // A hang fails the test instead of stopping the run.
        await run.WaitAsync(TimeSpan.FromMinutes(10));
        output.WriteLine(string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}")));
        Assert.True(outcomes.GetValueOrDefault("loaded") > 0, "No mutant loaded: the mutations never leave a file valid.");
        Assert.True(outcomes.Count >= 12, $"Only {outcomes.Count} outcomes: the mutations reach too few checks.");
    }

    private static void Property<T>(IRecurrentModel<T> model, SafeTensorsOptions? saveOptions, int cases, Dictionary<string, int> outcomes)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        byte[] valid = Save(model, saveOptions);
        T[] original = model.Parameters.ToArray();
        long parameterBytes = (long)original.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        Prop.ForAll(Mutations(), mutation =>
        {
            byte[] bytes = Apply(valid, mutation);
            bool ignore = (mutation.C & 1) == 1;
            string outcome;
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var options = new SafeTensorsOptions { IgnoreUnexpected = ignore, Limits = Limits };
                if (mutation.C % 8 == 0)
                {
                    LoadFromDisk(model, bytes, options);
                }
                else
                {
                    model.LoadSafeTensors(bytes, options);
                }

                Assert.True(Guard.AllFinite<T>(model.Parameters), $"{mutation} loaded non-finite parameters.");
                outcome = "loaded";
            }
            catch (WeightFileException e)
            {
                Assert.True(original.AsSpan().SequenceEqual(model.Parameters), $"{mutation} was refused ({e.Error}) but changed the model.");
                Assert.True(e.Message.Length < 4096, $"{mutation}: a message of {e.Message.Length} characters.");
                outcome = e.Error.ToString();
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated <= (6L * bytes.Length) + parameterBytes + (2 << 20), $"{mutation} allocated {allocated} bytes for a {bytes.Length}-byte file.");
            original.CopyTo(model.Parameters);
            lock (outcomes)
            {
                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            }
        }).Check(Harness.Config(cases));
    }

    private static void LoadFromDisk<T>(IRecurrentModel<T> model, byte[] bytes, SafeTensorsOptions options)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        string path = Path.Combine(Path.GetTempPath(), $"nativernn-mutant-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, bytes);
        try
        {
            model.LoadSafeTensors(path, options);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Mutants_of_checkpoints_load_or_are_refused_with_the_documented_exception()
    {
        var model = (MixedStackF)Catalog.Float().Single(c => c.Name == "MixedStackF").CreateRandomized(5);
        Checkpoint checkpoint = Checkpoint.Create(model);
        checkpoint.SetBlock<float>("m", ModelTools.Convert<float>(ModelTools.Uniform(1, 1, 50)));
        checkpoint.Integers["step"] = 3;
        checkpoint.SetRandom("r", new DeterministicRandom(1));
        checkpoint.Vocabulary = ["a", "bc", ""];
        using var stream = new MemoryStream();
        checkpoint.WriteTo(stream);
        byte[] valid = stream.ToArray();
        float[] original = model.Parameters.ToArray();
        var outcomes = new Dictionary<string, int>();
        Task run = Task.Run(() => Prop.ForAll(Mutations(), mutation =>
        {
            byte[] bytes = Apply(valid, mutation);
            string outcome;
            try
            {
                Checkpoint loaded = Checkpoint.Load(bytes, limits: Limits);
                loaded.RestoreParameters(model);

                // The checksum covers every byte: only a mutation that changed nothing loads.
                Assert.True(bytes.AsSpan().SequenceEqual(valid), $"{mutation} changed the checkpoint and it still loaded.");
                outcome = "loaded";
            }
            catch (WeightFileException e)
            {
                Assert.True(original.AsSpan().SequenceEqual(model.Parameters), $"{mutation} was refused ({e.Error}) but changed the model.");
                outcome = e.Error.ToString();
            }

            original.CopyTo(model.Parameters);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }).Check(Harness.Config(1500)));
        await run.WaitAsync(TimeSpan.FromMinutes(10));
        output.WriteLine(string.Join(", ", outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}")));

        Assert.True(outcomes.GetValueOrDefault("ChecksumMismatch") > 0);
    }

    [Fact]
    public void Every_truncation_of_every_kind_of_file_is_refused()
    {
        var model = new TokenBiGruF(1);
        byte[][] files = [Save(model), Save(model, new SafeTensorsOptions { SaveType = SafeTensorType.BF16 }), Save(model, new SafeTensorsOptions { Convention = WeightConvention.Keras })];
        float[] original = model.Parameters.ToArray();
        foreach (byte[] file in files)
        {
            for (int length = 0; length < file.Length; length++)
            {
                WeightFileException e = Assert.Throws<WeightFileException>(() => model.LoadSafeTensors(file.AsSpan(0, length), file == files[2] ? new SafeTensorsOptions { Convention = WeightConvention.Keras } : null));
                Assert.True(e.Error is WeightFileError.Truncated or WeightFileError.InvalidHeader or WeightFileError.InvalidDataLayout or WeightFileError.InvalidOffsets, $"Cut at {length}: {e.Error}.");
            }
        }

        Assert.Equal(original, model.Parameters.ToArray());
    }

    /// <summary>Applies a mutation; the header is edited as bytes and the file rebuilt around it with a consistent length unless the length is the edit.</summary>
    internal static byte[] Apply(byte[] file, Mutation m)
    {
        int kind = m.Kind % Kinds.Length;
        ulong claimed = file.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(file) : ulong.MaxValue;
        if (claimed > (ulong)(file.Length - 8) && kind > 2 && kind != Kinds.Length - 1)
        {
            // An earlier edit left no header to edit: only byte-level edits apply.
            return file;
        }

        int headerLength = (int)Math.Min(claimed, (ulong)Math.Max(file.Length - 8, 0));
        List<byte> header = [.. file.AsSpan(Math.Min(8, file.Length), headerLength)];
        byte[] data = file[Math.Min(8 + headerLength, file.Length)..];
        var random = new DeterministicRandom((ulong)m.A, (ulong)m.B);
        switch (kind)
        {
            case 0:
                return file.Length == 0 ? file : file[..(m.A % file.Length)];
            case 1:
                byte[] flipped = (byte[])file.Clone();
                for (int i = 0, n = 1 + (m.B % 4); i < n; i++)
                {
                    if (flipped.Length > 0)
                    {
                        flipped[random.NextInt(flipped.Length)] ^= (byte)(1 + (m.C % 255));
                    }
                }

                return flipped;
            case 2:
                ulong[] lengths = [0, 1, 2, 7, (ulong)headerLength - 1, (ulong)headerLength + 1, (ulong)headerLength + 8, (ulong)file.Length - 8, (ulong)file.Length, 1UL << 31, (1UL << 32) + (ulong)headerLength, 1UL << 63, ulong.MaxValue];
                byte[] relabelled = (byte[])file.Clone();
                if (relabelled.Length >= 8)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(relabelled, lengths[m.C % lengths.Length]);
                }

                return relabelled;
            case 3:
                string[] numbers = ["0", "1", "-1", "2147483647", "2147483648", "4294967296", "9007199254740993", "9223372036854775808", "99999999999999999999999", "1.5", "1e3", "-0", "", "00", "3", "8", "64"];
                ReplaceRun(header, IsDigit, m.B, numbers[m.C % numbers.Length]);
                break;
            case 4:
                string[] types = ["F32", "F64", "F16", "BF16", "I64", "I32", "U8", "BOOL", "F8_E4M3", "f32", "", "F32\\u0000", "F\\u0033\\u0032", "Q4"];
                ReplaceQuoted(header, "\"dtype\":\"", m.B, types[m.C % types.Length]);
                break;
            case 5:
                string[] duplicates = ["\"dtype\":\"I64\",", "\"shape\":[1],", "\"data_offsets\":[0,0],", "\"extra\":1,"];
                int entry = Occurrence(header, "\"dtype\":", m.B);
                if (m.C % 5 == 4)
                {
                    // The metadata twice.
                    Insert(header, 1, "\"__metadata__\":{\"a\":\"b\"},\"__metadata__\":{},");
                }
                else if (entry >= 0)
                {
                    Insert(header, entry, duplicates[m.C % duplicates.Length]);
                }

                break;
            case 6:
                char[] characters = ['{', '}', '[', ']', ',', ':', '"', '\\', '\0', '\u0001', ' ', '0', 'e', '-', 'é'];
                int at = m.B % Math.Max(header.Count, 1);
                if (m.C % 3 == 0 && header.Count > 0)
                {
                    header.RemoveAt(at);
                }
                else
                {
                    Insert(header, at, characters[m.C % characters.Length].ToString());
                }

                break;
            case 7:
                string[] names = ["weight_ih_l0", "head.bias", "x.", "\\u0000", "\\u202e", "__metadata__", "", "a\\u0007b"];
                ReplaceQuoted(header, "\"", m.B, names[m.C % names.Length], prefixOnly: (m.C & 8) == 8);
                break;
            case 8:
                // Past the properties' limit of 2,000 tensors too (the default limit is tested on its own).
                int[] counts = [100, 1_500, Limits.MaxTensors + 1];
                var extra = new StringBuilder();
                int count = counts[m.C % counts.Length];
                for (int i = 0; i < count; i++)
                {
                    extra.Append("\"e").Append(i).Append("\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},");
                }

                if (m.B % 3 == 1)
                {
                    extra.Clear().Append("\"big\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,0]},");
                }
                else if (m.B % 3 == 2)
                {
                    extra.Clear().Append("\"deep\":{\"dtype\":\"U8\",\"shape\":[").Append(string.Join(",", Enumerable.Repeat("1", 65 + (m.A % 1000)))).Append("],\"data_offsets\":[0,1]},");
                }

                Insert(header, 1, extra.ToString());
                break;
            case 9:
                if (data.Length >= 8)
                {
                    byte[] poisoned = (byte[])file.Clone();
                    int offset = 8 + headerLength + (random.NextInt(data.Length / 2) * 2);
                    ulong[] patterns = [0x7FC00000UL, 0x7F800000UL, 0xFF800000UL, 0x7C00UL, 0xFC00UL, 0x7E00UL, 0x7FF8000000000000UL, 0x7FF0000000000000UL];
                    ulong pattern = patterns[m.C % patterns.Length];
                    for (int i = 0; i < 8 && offset + i < poisoned.Length; i++)
                    {
                        poisoned[offset + i] = (byte)(pattern >> (8 * i));
                    }

                    return poisoned;
                }

                break;
            case 10:
                string[] metadata = ["\"__metadata__\":{\"k\":1},", "\"__metadata__\":{\"k\":{\"a\":\"b\"}},", "\"__metadata__\":[],", "\"__metadata__\":{\"\":\"x\"},", $"\"__metadata__\":{{\"k\":\"{new string('v', 1 << 16)}\"}},", "\"__metadata__\":null,"];
                Insert(header, 1, metadata[m.C % metadata.Length]);
                break;
            default:
                return Apply(Apply(file, m with { Kind = m.A % (Kinds.Length - 1) }), m with { Kind = m.B % (Kinds.Length - 1), A = m.C, B = m.A });
        }

        byte[] rebuilt = new byte[8 + header.Count + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(rebuilt, (ulong)header.Count);
        header.CopyTo(rebuilt, 8);
        data.CopyTo(rebuilt, 8 + header.Count);
        return rebuilt;
    }

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static int Occurrence(List<byte> header, string text, int which)
    {
        byte[] pattern = Encoding.UTF8.GetBytes(text);
        var found = new List<int>();
        for (int i = 0; i + pattern.Length <= header.Count; i++)
        {
            if (header.Skip(i).Take(pattern.Length).SequenceEqual(pattern))
            {
                found.Add(i);
            }
        }

        return found.Count == 0 ? -1 : found[which % found.Count];
    }

    private static void Insert(List<byte> header, int at, string text) => header.InsertRange(Math.Min(at, header.Count), Encoding.UTF8.GetBytes(text));

    /// <summary>Replaces the <paramref name="which"/>-th run of bytes matching <paramref name="part"/>.</summary>
    private static void ReplaceRun(List<byte> header, Func<byte, bool> part, int which, string replacement)
    {
        var runs = new List<(int Start, int Length)>();
        for (int i = 0; i < header.Count; i++)
        {
            if (part(header[i]) && (i == 0 || !part(header[i - 1])))
            {
                int end = i;
                while (end < header.Count && part(header[end]))
                {
                    end++;
                }

                runs.Add((i, end - i));
            }
        }

        if (runs.Count > 0)
        {
            (int start, int length) = runs[which % runs.Count];
            header.RemoveRange(start, length);
            header.InsertRange(start, Encoding.UTF8.GetBytes(replacement));
        }
    }

    /// <summary>Replaces the text of the <paramref name="which"/>-th string that follows <paramref name="opening"/>, or puts <paramref name="replacement"/> before it.</summary>
    private static void ReplaceQuoted(List<byte> header, string opening, int which, string replacement, bool prefixOnly = false)
    {
        int start = Occurrence(header, opening, which);
        if (start < 0)
        {
            return;
        }

        start += opening.Length;
        int end = header.IndexOf((byte)'"', start);
        if (end < 0)
        {
            return;
        }

        if (!prefixOnly)
        {
            header.RemoveRange(start, end - start);
        }

        header.InsertRange(start, Encoding.UTF8.GetBytes(replacement));
    }
}
