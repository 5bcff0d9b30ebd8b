using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NativeRnn.Serialization;

/// <summary>A tensor as a header describes it, before its offsets are known.</summary>
internal readonly record struct TensorHeader(string Name, SafeTensorType Type, int[] Shape)
{
    public long ByteLength
    {
        get
        {
            long count = 1;
            foreach (int d in Shape)
            {
                count *= d;
            }

            return count * SafeTensorTypes.SizeOf(Type);
        }
    }
}

/// <summary>Writes safetensors headers: the 8-byte length, the JSON (data laid out in the order given) padded with spaces so the data starts on an 8-byte boundary.</summary>
internal static class SafeTensorsHeaderWriter
{
    public static byte[] Build(IReadOnlyList<TensorHeader> tensors, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var json = new ArrayBufferWriter<byte>(256 + (tensors.Count * 96));
        // Relaxed escaping keeps names readable (UTF-8 as written); the output is JSON either way.
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false }))
        {
            writer.WriteStartObject();
            bool any = false;
            foreach (KeyValuePair<string, string> entry in metadata)
            {
                if (!any)
                {
                    writer.WriteStartObject("__metadata__");
                    any = true;
                }

                CheckName(entry.Key, "metadata key");
                writer.WriteString(entry.Key, entry.Value);
            }

            if (any)
            {
                writer.WriteEndObject();
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            long offset = 0;
            foreach (TensorHeader tensor in tensors)
            {
                CheckName(tensor.Name, "tensor");
                if (tensor.Name == "__metadata__" || !names.Add(tensor.Name))
                {
                    throw new ArgumentException($"The tensor name {FileText.Quote(tensor.Name)} is reserved or used twice.");
                }

                writer.WriteStartObject(tensor.Name);
                writer.WriteString("dtype"u8, SafeTensorTypes.Name(tensor.Type));
                writer.WriteStartArray("shape"u8);
                foreach (int d in tensor.Shape)
                {
                    writer.WriteNumberValue(d);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets"u8);
                writer.WriteNumberValue(offset);
                offset += tensor.ByteLength;
                writer.WriteNumberValue(offset);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        int length = json.WrittenCount;
        int padded = (length + 7) / 8 * 8;
        byte[] bytes = new byte[SafeTensorsHeader.PrefixLength + padded];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        json.WrittenSpan.CopyTo(bytes.AsSpan(SafeTensorsHeader.PrefixLength));
        bytes.AsSpan(SafeTensorsHeader.PrefixLength + length).Fill((byte)' ');
        return bytes;
    }

    private static void CheckName(string name, string what)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!FileText.IsValidName(name))
        {
            throw new ArgumentException($"The {what} name {FileText.Quote(name)} is empty or holds control characters; readers refuse such names.");
        }
    }
}

/// <summary>
/// Writes a safetensors file of arbitrary tensors. Tensors are added by reference (the memory is read
/// when the file is written and must not change before); <see cref="Save"/> writes atomically.
/// To save a model, use <c>SaveSafeTensors</c>.
/// </summary>
public sealed class SafeTensorsWriter
{
    private readonly List<(TensorHeader Header, Action<Stream> Write)> _tensors = [];

    /// <summary>Entries for the file's <c>__metadata__</c>.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Adds a tensor of <see cref="float"/>, <see cref="double"/>, <see cref="Half"/>, <see cref="sbyte"/>, <see cref="byte"/>, <see cref="short"/>, <see cref="ushort"/>, <see cref="int"/>, <see cref="uint"/>, <see cref="long"/> or <see cref="ulong"/> values.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="values">Row-major values; <c>shape</c>'s product of them.</param>
    /// <param name="shape">The shape; empty for a scalar.</param>
    /// <typeparam name="T">The element type, which gives the dtype.</typeparam>
    /// <exception cref="ArgumentException">The shape does not match the values, or the type has no dtype.</exception>
    public void Add<T>(string name, ReadOnlyMemory<T> values, ReadOnlySpan<int> shape)
        where T : unmanaged
    {
        SafeTensorType type = typeof(T) switch
        {
            Type t when t == typeof(float) => SafeTensorType.F32,
            Type t when t == typeof(double) => SafeTensorType.F64,
            Type t when t == typeof(Half) => SafeTensorType.F16,
            Type t when t == typeof(sbyte) => SafeTensorType.I8,
            Type t when t == typeof(byte) => SafeTensorType.U8,
            Type t when t == typeof(short) => SafeTensorType.I16,
            Type t when t == typeof(ushort) => SafeTensorType.U16,
            Type t when t == typeof(int) => SafeTensorType.I32,
            Type t when t == typeof(uint) => SafeTensorType.U32,
            Type t when t == typeof(long) => SafeTensorType.I64,
            Type t when t == typeof(ulong) => SafeTensorType.U64,
            _ => throw new ArgumentException($"{typeof(T).Name} has no safetensors dtype.", nameof(values)),
        };

        if (!BitConverter.IsLittleEndian && SafeTensorTypes.SizeOf(type) > 1)
        {
            throw new PlatformNotSupportedException("Writing typed values needs a little-endian machine; add their little-endian bytes instead.");
        }

        AddCore(name, type, shape, (long)values.Length * SafeTensorTypes.SizeOf(type), stream => stream.Write(MemoryMarshal.AsBytes(values.Span)));
    }

    /// <summary>Adds a tensor given as little-endian bytes.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="type">The element type.</param>
    /// <param name="shape">The shape; empty for a scalar.</param>
    /// <param name="bytes">The row-major little-endian elements.</param>
    /// <exception cref="ArgumentException">The shape does not match the bytes, a dimension is negative, or the name is empty, holds control characters or is taken.</exception>
    public void Add(string name, SafeTensorType type, ReadOnlySpan<int> shape, ReadOnlyMemory<byte> bytes)
        => AddCore(name, type, shape, bytes.Length, stream => stream.Write(bytes.Span));

    private void AddCore(string name, SafeTensorType type, ReadOnlySpan<int> shape, long byteLength, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (shape.Length > SafeTensorsLimits.MaxDimensions || shape.IndexOfAnyExceptInRange(0, int.MaxValue) >= 0)
        {
            throw new ArgumentException($"Tensor {FileText.Quote(name)} has an invalid shape {FileText.Shape(shape)}.", nameof(shape));
        }

        if (!FileText.IsValidName(name) || name == "__metadata__")
        {
            throw new ArgumentException($"The tensor name {FileText.Quote(name)} is empty, reserved or holds control characters; readers refuse such names.", nameof(name));
        }

        var header = new TensorHeader(name, type, shape.ToArray());
        if (header.ByteLength != byteLength)
        {
            throw new ArgumentException($"Tensor {FileText.Quote(name)} is {SafeTensorTypes.Name(type)}{FileText.Shape(shape)}, {header.ByteLength} bytes, but {byteLength} were given.", nameof(shape));
        }

        foreach ((TensorHeader existing, _) in _tensors)
        {
            if (existing.Name == name)
            {
                throw new ArgumentException($"A tensor named {FileText.Quote(name)} was already added.", nameof(name));
            }
        }

        _tensors.Add((header, write));
    }

    /// <summary>Writes the file to a stream.</summary>
    /// <param name="destination">The stream.</param>
    /// <exception cref="ArgumentException">A name is invalid.</exception>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Write(SafeTensorsHeaderWriter.Build(_tensors.ConvertAll(t => t.Header), Metadata));
        foreach ((_, Action<Stream> write) in _tensors)
        {
            write(destination);
        }
    }

    /// <summary>Writes the file atomically: a crash leaves the old file or the whole new one.</summary>
    /// <param name="path">The file.</param>
    public void Save(string path)
    {
        using AtomicFile file = AtomicFile.Create(path);
        WriteTo(file.Stream);
        file.Commit();
    }
}
