using System;
using System.Buffers.Binary;
using System.IO;
using System.Linq;
using System.Text;
using NativeRnn.Serialization;
using Xunit;

namespace NativeRnn.Tests;

/// <summary>The safetensors reader refuses every malformed file with a clear message and reads valid ones exactly.</summary>
public class SerializationTests
{
    private static byte[] File(string header, byte[] data, ulong? claimedLength = null)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        byte[] bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    private static byte[] Floats(params float[] values)
    {
        byte[] bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    [Fact]
    public void Reads_a_valid_file()
    {
        byte[] bytes = File("""{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"__metadata__":{"format":"pt"}}""", Floats(1, 2, 3, 4, 5));
        SafeTensorsFile file = SafeTensorsFile.Parse(bytes);
        Assert.Equal([1f, 2f, 3f, 4f], file["a"].ToArray<float>());
        Assert.Equal([2, 2], file["a"].Shape.ToArray());
        Assert.Equal([5.0], file["b"].ToArray<double>());
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}""", "offsets span")]
    [InlineData("""{"a":{"dtype":"F32","shape":[5],"data_offsets":[0,24]}}""", "outside")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[3],"data_offsets":[4,16]}}""", "overlaps")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}}""", "gap")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "cover")]
    [InlineData("""{"a":{"dtype":"Q4","shape":[5],"data_offsets":[0,20]}}""", "unsupported dtype")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-5],"data_offsets":[0,20]}}""", "invalid dimension")]
    [InlineData("""{"a":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,20]}}""", "more elements")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,20]}}""", "lacks")]
    [InlineData("""{"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20]},"a":{"dtype":"F32","shape":[0],"data_offsets":[20,20]}}""", "twice")]
    [InlineData("""{"a":{"dtype":"F32","shape":5,"data_offsets":[0,20]}}""", "wrong kind")]
    [InlineData("""[1,2,3]""", "not a JSON object")]
    [InlineData("""{"a":""", "not valid JSON")]
    public void Refuses_malformed_headers(string header, string expected)
    {
        InvalidDataException e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(File(header, Floats(1, 2, 3, 4, 5))));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_truncated_files_and_lying_lengths()
    {
        Assert.Contains("fewer than the 8", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(new byte[5])).Message, StringComparison.Ordinal);
        byte[] lying = File("{}", [], claimedLength: ulong.MaxValue);
        Assert.Contains("header claims", Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(lying)).Message, StringComparison.Ordinal);
        byte[] valid = File("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", Floats(1, 2, 3, 4));
        for (int cut = 0; cut < valid.Length; cut += 3)
        {
            Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(valid.AsMemory(0, cut)));
        }
    }

    [Fact]
    public void Reads_every_fixture()
    {
        foreach (string path in Directory.EnumerateFiles(PyTorchParityTests.FixtureDirectory, "*.safetensors"))
        {
            SafeTensorsFile file = SafeTensorsFile.Read(path);
            Assert.True(file.Tensors.Count > 10);
            Assert.All(file.Tensors.Values, t => Assert.Equal(t.ElementCount * SafeTensor.SizeOf(t.Type), t.Data.Length));
        }
    }
}
