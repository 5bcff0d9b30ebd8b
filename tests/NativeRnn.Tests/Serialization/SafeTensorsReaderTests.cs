using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text;
using NativeRnn.Serialization;
using Xunit;
using static NativeRnn.Tests.Serialization.SafeTensorsBytes;

namespace NativeRnn.Tests.Serialization;

/// <summary>The safetensors reader refuses every malformed file with the one documented exception and a clear, bounded message, and reads valid ones exactly.</summary>
public class SafeTensorsReaderTests
{
    private static WeightFileException Refused(byte[] bytes, SafeTensorsLimits? limits = null)
        => Assert.Throws<WeightFileException>(() => SafeTensorsFile.Parse(bytes, "test.safetensors", limits));

    [Fact]
    public void Reads_a_valid_file()
    {
        byte[] bytes = File("""{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"__metadata__":{"format":"pt"}}""", Floats(1, 2, 3, 4, 5));
        SafeTensorsFile file = SafeTensorsFile.Parse(bytes);
        Assert.Equal([1f, 2f, 3f, 4f], file["a"].ToArray<float>());
        Assert.Equal([2, 2], file["a"].Shape.ToArray());
        Assert.Equal([5.0], file["b"].ToArray<double>());
        Assert.Equal("pt", file.Metadata["format"]);

        using SafeTensorsReader reader = SafeTensorsReader.Open(bytes);
        Assert.Equal(["a", "b"], reader.Tensors.Select(t => t.Name));
        Assert.Equal(16, reader["b"].DataOffset);
        Assert.Equal([5f], reader.ReadArray<float>(reader["b"]));
    }

    [Fact]
    public void Accepts_what_the_format_allows()
    {
        // Scalars, empty tensors sharing an offset, escaped names and dtypes, padding spaces, tensors listed out of data order.
        string header = """{"b\u00e9":{"dtype":"F\u0033\u0032","shape":[],"data_offsets":[4,8]},"e":{"dtype":"I64","shape":[0,3],"data_offsets":[8,8]},"f":{"dtype":"U8","shape":[0],"data_offsets":[8,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}    """;
        SafeTensorsFile file = SafeTensorsFile.Parse(File(header, Floats(1, 2)));
        Assert.Equal([2f], file["bé"].ToArray<float>());
        Assert.Equal(0, file["e"].ElementCount);
        Assert.Equal(SafeTensorType.U8, file["f"].Type);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}""", WeightFileError.InvalidOffsets, "offsets span")]
    [InlineData("""{"a":{"dtype":"F32","shape":[5],"data_offsets":[0,24]}}""", WeightFileError.InvalidOffsets, "outside")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", WeightFileError.InvalidOffsets, "outside")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}}""", WeightFileError.InvalidOffsets, "two non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[-4,4]}}""", WeightFileError.InvalidOffsets, "two non-negative")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}""", WeightFileError.InvalidDataLayout, "overlaps")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}""", WeightFileError.InvalidDataLayout, "gap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", WeightFileError.InvalidDataLayout, "cover")]
    [InlineData("""{"a":{"dtype":"Q4","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.UnsupportedType, "unsupported dtype")]
    [InlineData("""{"a":{"dtype":"f32","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.UnsupportedType, "unsupported dtype")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-5],"data_offsets":[0,20]}}""", WeightFileError.InvalidShape, "invalid dimension")]
    [InlineData("""{"a":{"dtype":"F32","shape":[5.0],"data_offsets":[0,20]}}""", WeightFileError.InvalidShape, "invalid dimension")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1e1],"data_offsets":[0,20]}}""", WeightFileError.InvalidShape, "invalid dimension")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3000000000],"data_offsets":[0,20]}}""", WeightFileError.InvalidShape, "invalid dimension")]
    [InlineData("""{"a":{"dtype":"F32","shape":["5"],"data_offsets":[0,20]}}""", WeightFileError.InvalidShape, "invalid dimension")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,20]}}""", WeightFileError.InvalidShape, "more elements")]
    [InlineData("""{"a":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,20]}}""", WeightFileError.InvalidOffsets, "offsets span")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,20]}}""", WeightFileError.InvalidHeader, "lacks shape")]
    [InlineData("""{"a":{"shape":[5],"data_offsets":[0,20]}}""", WeightFileError.InvalidHeader, "lacks dtype")]
    [InlineData("""{"a":{"dtype":"F32","shape":[5]}}""", WeightFileError.InvalidHeader, "lacks data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20],"extra":1}}""", WeightFileError.InvalidHeader, "unknown field")]
    [InlineData("""{"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20]},"a":{"dtype":"F32","shape":[0],"data_offsets":[20,20]}}""", WeightFileError.DuplicateKey, "appears twice")]
    [InlineData("""{"a":{"dtype":"I64","dtype":"F32","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.DuplicateKey, "'dtype' twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":[5],"shape":[5],"data_offsets":[0,20]}}""", WeightFileError.DuplicateKey, "'shape' twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20],"data_offsets":[0,20]}}""", WeightFileError.DuplicateKey, "'data_offsets' twice")]
    [InlineData("""{"__metadata__":{"k":"1"},"__metadata__":{"k":"2"},"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.DuplicateKey, "'__metadata__' twice")]
    [InlineData("""{"__metadata__":{"k":"1","k":"2"},"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.DuplicateKey, "appears twice")]
    [InlineData("""{"__metadata__":{"k":1},"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.InvalidHeader, "not a string")]
    [InlineData("""{"__metadata__":[],"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.InvalidHeader, "not an object")]
    [InlineData("""{"a\u0000b":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.InvalidName, "control characters")]
    [InlineData("""{"a\u001bb":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.InvalidName, "control characters")]
    [InlineData("""{"":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.InvalidName, "empty")]
    [InlineData("""{"\ud800":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.InvalidName, "not valid Unicode")]
    [InlineData("""{"a":{"dtype":"F32","shape":5,"data_offsets":[0,20]}}""", WeightFileError.InvalidShape, "not an array")]
    [InlineData("""{"a":[1]}""", WeightFileError.InvalidHeader, "not an object")]
    [InlineData("""{"a":{"dtype":"F32","shape":[[5]],"data_offsets":[0,20]}}""", WeightFileError.InvalidHeader, "depth")]
    [InlineData("""[1,2,3]""", WeightFileError.InvalidHeader, "does not start with '{'")]
    [InlineData("""{"a":""", WeightFileError.InvalidHeader, "not valid JSON")]
    [InlineData("""{} trailing""", WeightFileError.InvalidHeader, "not valid JSON")]
    [InlineData("""{}{}""", WeightFileError.InvalidHeader, "not valid JSON")]
    [InlineData("""{"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20]},}""", WeightFileError.InvalidHeader, "not valid JSON")]
    [InlineData("""{/*c*/"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}""", WeightFileError.InvalidHeader, "not valid JSON")]
    public void Refuses_malformed_headers(string header, WeightFileError error, string expected)
    {
        WeightFileException e = Refused(File(header, Floats(1, 2, 3, 4, 5)));
        Assert.Equal(error, e.Error);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.safetensors is not a valid safetensors file: ", e.Message, StringComparison.Ordinal);
        Assert.Equal("test.safetensors", e.SourceName);
    }

    [Fact]
    public void Refuses_truncated_files_and_lying_lengths()
    {
        Assert.Equal(WeightFileError.Truncated, Refused(new byte[5]).Error);
        Assert.Equal(WeightFileError.HeaderTooLarge, Refused(File("{}", [], claimedLength: ulong.MaxValue)).Error);
        Assert.Equal(WeightFileError.Truncated, Refused(File("{}", [], claimedLength: 3)).Error);
        Assert.Equal(WeightFileError.InvalidHeader, Refused(File("{}", [], claimedLength: 1)).Error);
        byte[] valid = File("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", Floats(1, 2, 3, 4));
        for (int cut = 0; cut < valid.Length; cut++)
        {
            Assert.Throws<WeightFileException>(() => SafeTensorsFile.Parse(valid.AsMemory(0, cut)));
        }
    }

    [Fact]
    public void Bounds_the_header_and_the_number_of_entries()
    {
        string three = """{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"c":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""";
        Assert.Equal(3, SafeTensorsFile.Parse(File(three, []), limits: new SafeTensorsLimits { MaxTensors = 3 }).Tensors.Count);
        Assert.Equal(WeightFileError.TooManyEntries, Refused(File(three, []), new SafeTensorsLimits { MaxTensors = 2 }).Error);
        Assert.Equal(WeightFileError.HeaderTooLarge, Refused(File(three, []), new SafeTensorsLimits { MaxHeaderBytes = 100 }).Error);
        string metadata = """{"__metadata__":{"a":"1","b":"2"}}""";
        Assert.Equal(WeightFileError.TooManyEntries, Refused(File(metadata, []), new SafeTensorsLimits { MaxMetadataEntries = 1 }).Error);
        string deep = "{\"a\":{\"dtype\":\"F32\",\"shape\":[" + string.Join(",", Enumerable.Repeat("1", 65)) + "],\"data_offsets\":[0,4]}}";
        Assert.Equal(WeightFileError.InvalidShape, Refused(File(deep, Floats(1))).Error);
    }

    [Fact]
    public void Messages_quote_a_bounded_sanitised_piece_of_the_file()
    {
        // A megabyte-long name with a bidirectional override, in a tensor whose offsets are wrong.
        string name = "evil\\u202e" + new string('x', 1 << 20);
        WeightFileException e = Refused(File("{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", Floats(1)));
        Assert.Equal(WeightFileError.InvalidOffsets, e.Error);
        Assert.True(e.Message.Length < 600, $"The message has {e.Message.Length} characters.");
        Assert.DoesNotContain(e.Message, c => char.IsControl(c) || c == '\u202E');
        Assert.Contains("evil\\u202Exxx", e.Message, StringComparison.Ordinal);
        Assert.Contains("more characters", e.Message, StringComparison.Ordinal);
        Assert.True(e.TensorName!.Length < 200);

        // A name with a control character is refused as such, and quoted escaped.
        WeightFileException control = Refused(File("{\"bell\\u0007" + new string('y', 1 << 20) + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", Floats(1)));
        Assert.Equal(WeightFileError.InvalidName, control.Error);
        Assert.True(control.Message.Length < 600);
        Assert.Contains("bell\\u0007", control.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(control.Message, char.IsControl);

        // An unsupported dtype of a megabyte.
        WeightFileException dtype = Refused(File("{\"a\":{\"dtype\":\"" + new string('Q', 1 << 20) + "\",\"shape\":[1],\"data_offsets\":[0,4]}}", Floats(1)));
        Assert.True(dtype.Message.Length < 600);
        Assert.True(dtype.Found!.Length < 200);
    }

    [Fact]
    public void A_file_larger_than_its_tensors_is_refused_without_reading_the_data()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nativernn-sparse-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (FileStream stream = System.IO.File.Create(path))
            {
                stream.Write(File("{}", []));
                stream.SetLength(600L << 20); // sparse: 600 MiB that were never written
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            WeightFileException e = Assert.Throws<WeightFileException>(() => SafeTensorsFile.Read(path));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(WeightFileError.InvalidDataLayout, e.Error);
            Assert.True(allocated < 1 << 20, $"Refusing the file allocated {allocated} bytes.");
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void Parsing_a_header_of_many_tiny_tensors_costs_a_small_multiple_of_its_size()
    {
        var header = new StringBuilder("{");
        const int count = 100_000;
        for (int i = 0; i < count; i++)
        {
            header.Append(i == 0 ? "" : ",").Append("\"t").Append(i).Append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }

        byte[] bytes = File(header.Append('}').ToString(), []);
        long before = GC.GetAllocatedBytesForCurrentThread();
        using (SafeTensorsReader reader = SafeTensorsReader.Open(bytes))
        {
            Assert.Equal(count, reader.Tensors.Count);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // About 60 bytes of header per tensor is the worst case: the entries, names and index cost 4–5 times
        // that (the format's reference reader, 14 times). Typical headers, with longer names and shapes, cost less.
        Assert.True(allocated < 5L * bytes.Length, $"Parsing {bytes.Length} bytes allocated {allocated}.");
    }

    [Fact]
    public void A_header_of_a_million_tensors_is_refused_at_the_limit_without_exhausting_memory()
    {
        var header = new StringBuilder("{");
        for (int i = 0; i < 1_000_000; i++)
        {
            header.Append(i == 0 ? "" : ",").Append("\"t").Append(i).Append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }

        byte[] bytes = File(header.Append('}').ToString(), []);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(WeightFileError.TooManyEntries, Refused(bytes).Error);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The limit stops the parse a tenth of the way in: what it allocated is a small multiple of what it read.
        Assert.True(allocated < bytes.Length / 2, $"Refusing a {bytes.Length}-byte header allocated {allocated} bytes.");
    }

    [Fact]
    public void Reads_every_fixture()
    {
        foreach (string path in Directory.EnumerateFiles(PyTorchParityTests.FixtureDirectory, "*.safetensors"))
        {
            SafeTensorsFile file = SafeTensorsFile.Read(path);
            Assert.True(file.Tensors.Count > 10);
            Assert.All(file.Tensors.Values, t => Assert.Equal(t.ElementCount * SafeTensor.SizeOf(t.Type), t.Data.Length));
            using SafeTensorsReader reader = SafeTensorsReader.Open(path);
            foreach (SafeTensor tensor in file.Tensors.Values)
            {
                Assert.Equal(tensor.ToArray<double>(), reader.ReadArray<double>(reader[tensor.Name]));
            }
        }
    }

    [Fact]
    public void A_tensor_that_is_not_there_is_named_with_those_that_are()
    {
        using SafeTensorsReader reader = SafeTensorsReader.Open(File("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", Floats(1)));
        WeightFileException e = Assert.Throws<WeightFileException>(() => reader["b"]);
        Assert.Equal(WeightFileError.MissingTensor, e.Error);
        Assert.Contains("'a'", e.Message, StringComparison.Ordinal);
        Assert.Throws<NotSupportedException>(() => SafeTensorsFile.Parse(File("""{"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}""", Floats(1)))["a"].ToArray<float>());
    }

    [Fact]
    public void The_writer_writes_what_the_reader_reads()
    {
        var writer = new SafeTensorsWriter();
        writer.Metadata["note"] = "line\nbreak \"quoted\" é";
        writer.Add<float>("w", new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        writer.Add<long>("step", new long[] { 42 }, []);
        writer.Add<Half>("h", new Half[] { (Half)0.5 }, [1]);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        byte[] bytes = stream.ToArray();
        Assert.Equal(0, (8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes)) % 8);
        SafeTensorsFile file = SafeTensorsFile.Parse(bytes);
        Assert.Equal([1f, 2, 3, 4, 5, 6], file["w"].ToArray<float>());
        Assert.Equal([2, 3], file["w"].Shape.ToArray());
        Assert.Equal(42, BinaryPrimitives.ReadInt64LittleEndian(file["step"].Data.Span));
        Assert.Empty(file["step"].Shape.ToArray());
        Assert.Equal([0.5], file["h"].ToArray<double>());
        Assert.Equal("line\nbreak \"quoted\" é", file.Metadata["note"]);

        Assert.Throws<ArgumentException>(() => writer.Add<float>("w", new float[] { 1 }, [1]));
        Assert.Throws<ArgumentException>(() => writer.Add<float>("x", new float[] { 1 }, [2]));
        Assert.Throws<ArgumentException>(() => new SafeTensorsWriter().Add<float>("bad\0name", new float[] { 1 }, [1]));
    }
}
