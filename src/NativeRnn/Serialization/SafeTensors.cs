using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Numerics;
using System.Text.Json;

namespace NativeRnn.Serialization;

/// <summary>Element types of the safetensors format.</summary>
public enum SafeTensorType
{
    /// <summary>IEEE 754 binary32.</summary>
    F32,

    /// <summary>IEEE 754 binary64.</summary>
    F64,

    /// <summary>IEEE 754 binary16.</summary>
    F16,

    /// <summary>bfloat16.</summary>
    BF16,

    /// <summary>Signed 32-bit integers.</summary>
    I32,

    /// <summary>Signed 64-bit integers.</summary>
    I64,
}

/// <summary>One tensor of a safetensors file: name, element type, shape and its little-endian bytes.</summary>
public sealed class SafeTensor
{
    private readonly int[] _shape;

    internal SafeTensor(string name, SafeTensorType type, int[] shape, ReadOnlyMemory<byte> data)
    {
        Name = name;
        Type = type;
        _shape = shape;
        Data = data;
    }

    /// <summary>The tensor's name (a PyTorch <c>state_dict</c> key).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SafeTensorType Type { get; }

    /// <summary>The shape, row-major.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of elements.</summary>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (int d in _shape)
            {
                count *= d;
            }

            return count;
        }
    }

    /// <summary>The raw little-endian bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The elements converted to <typeparamref name="T"/> (float types widen exactly or round to nearest).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>A new array of <see cref="ElementCount"/> elements.</returns>
    /// <exception cref="NotSupportedException">The element type is not a floating-point type.</exception>
    public T[] ToArray<T>()
        where T : IFloatingPointIeee754<T>
    {
        ReadOnlySpan<byte> bytes = Data.Span;
        var result = new T[ElementCount];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = Type switch
            {
                SafeTensorType.F32 => T.CreateTruncating(BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * 4))),
                SafeTensorType.F64 => T.CreateTruncating(BinaryPrimitives.ReadDoubleLittleEndian(bytes.Slice(i * 8))),
                SafeTensorType.F16 => T.CreateTruncating((float)BinaryPrimitives.ReadHalfLittleEndian(bytes.Slice(i * 2))),
                SafeTensorType.BF16 => T.CreateTruncating(BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(i * 2)) << 16)),
                _ => throw new NotSupportedException($"Tensor '{Name}' holds {Type} values, not floating-point ones."),
            };
        }

        return result;
    }

    /// <summary>The size of one element of <paramref name="type"/> in bytes.</summary>
    /// <param name="type">The element type.</param>
    /// <returns>The size.</returns>
    public static int SizeOf(SafeTensorType type) => type switch
    {
        SafeTensorType.F64 or SafeTensorType.I64 => 8,
        SafeTensorType.F32 or SafeTensorType.I32 => 4,
        _ => 2,
    };
}

/// <summary>
/// Reads the safetensors format (an 8-byte little-endian header length, a JSON header mapping names to
/// <c>dtype</c>, <c>shape</c> and <c>data_offsets</c>, then the raw data). Every claim of the header is
/// checked against the bytes, so a truncated, corrupt or hostile file is refused with a message that
/// says what is wrong, and never causes an out-of-range read or an outsized allocation.
/// </summary>
public sealed class SafeTensorsFile
{
    /// <summary>The largest header accepted (the format's reference implementation uses the same bound).</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private readonly Dictionary<string, SafeTensor> _tensors;

    private SafeTensorsFile(Dictionary<string, SafeTensor> tensors, Dictionary<string, string> metadata)
    {
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The tensors by name.</summary>
    public IReadOnlyDictionary<string, SafeTensor> Tensors => _tensors;

    /// <summary>The optional <c>__metadata__</c> entries.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <param name="name">Name.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public SafeTensor this[string name]
        => _tensors.TryGetValue(name, out SafeTensor? tensor) ? tensor : throw new KeyNotFoundException($"The file has no tensor '{name}'.");

    /// <summary>Reads a file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The parsed file.</returns>
    /// <exception cref="InvalidDataException">The file is not valid safetensors.</exception>
    public static SafeTensorsFile Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Parses safetensors bytes.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="source">A name for the bytes in error messages.</param>
    /// <returns>The parsed file, whose tensors refer to <paramref name="bytes"/>.</returns>
    /// <exception cref="InvalidDataException">The bytes are not valid safetensors.</exception>
    public static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes, string source = "the data")
    {
        ReadOnlySpan<byte> span = bytes.Span;
        if (span.Length < 8)
        {
            throw Invalid(source, $"it has {span.Length} bytes, fewer than the 8 of the header length");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(span);
        if (headerLength > MaxHeaderBytes || headerLength > (ulong)(span.Length - 8))
        {
            throw Invalid(source, $"its header claims {headerLength} bytes but {span.Length - 8} follow (at most {MaxHeaderBytes} are accepted)");
        }

        ReadOnlyMemory<byte> data = bytes.Slice(8 + (int)headerLength);
        var tensors = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var ranges = new List<(long Begin, long End, string Name)>();
        try
        {
            using JsonDocument document = JsonDocument.Parse(bytes.Slice(8, (int)headerLength), new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(source, "its header is not a JSON object");
            }

            foreach (JsonProperty entry in document.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    foreach (JsonProperty item in entry.Value.EnumerateObject())
                    {
                        metadata[item.Name] = item.Value.GetString() ?? string.Empty;
                    }

                    continue;
                }

                SafeTensor tensor = ParseTensor(entry, data, source, ranges);
                if (!tensors.TryAdd(tensor.Name, tensor))
                {
                    throw Invalid(source, $"tensor '{tensor.Name}' appears twice");
                }
            }
        }
        catch (JsonException exception)
        {
            throw Invalid(source, "its header is not valid JSON: " + exception.Message);
        }
        catch (InvalidOperationException exception)
        {
            throw Invalid(source, "its header has a value of the wrong kind: " + exception.Message);
        }

        // The tensors must tile the data section: no overlaps, no gaps, nothing after.
        ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        long next = 0;
        foreach ((long begin, long end, string name) in ranges)
        {
            if (begin != next)
            {
                throw Invalid(source, begin < next ? $"tensor '{name}' overlaps the one before it" : $"there is a gap of {begin - next} bytes before tensor '{name}'");
            }

            next = end;
        }

        if (next != data.Length)
        {
            throw Invalid(source, $"its data section has {data.Length} bytes but the tensors cover {next}");
        }

        return new SafeTensorsFile(tensors, metadata);
    }

    private static SafeTensor ParseTensor(JsonProperty entry, ReadOnlyMemory<byte> data, string source, List<(long, long, string)> ranges)
    {
        string name = entry.Name;
        JsonElement value = entry.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out JsonElement dtype)
            || !value.TryGetProperty("shape", out JsonElement shapeElement)
            || !value.TryGetProperty("data_offsets", out JsonElement offsets))
        {
            throw Invalid(source, $"tensor '{name}' lacks dtype, shape or data_offsets");
        }

        SafeTensorType type = dtype.GetString() switch
        {
            "F32" => SafeTensorType.F32,
            "F64" => SafeTensorType.F64,
            "F16" => SafeTensorType.F16,
            "BF16" => SafeTensorType.BF16,
            "I32" => SafeTensorType.I32,
            "I64" => SafeTensorType.I64,
            string other => throw Invalid(source, $"tensor '{name}' has the unsupported dtype '{other}'"),
            null => throw Invalid(source, $"tensor '{name}' has no dtype"),
        };

        if (shapeElement.GetArrayLength() > 8)
        {
            throw Invalid(source, $"tensor '{name}' has {shapeElement.GetArrayLength()} dimensions");
        }

        int[] shape = new int[shapeElement.GetArrayLength()];
        long count = 1;
        int d = 0;
        foreach (JsonElement dimension in shapeElement.EnumerateArray())
        {
            if (!dimension.TryGetInt32(out int size) || size < 0)
            {
                throw Invalid(source, $"tensor '{name}' has an invalid dimension {dimension}");
            }

            shape[d++] = size;
            count *= size;
            if (count > int.MaxValue)
            {
                throw Invalid(source, $"tensor '{name}' has more elements than an array holds");
            }
        }

        if (offsets.GetArrayLength() != 2 || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end)
            || begin < 0 || end < begin || end > data.Length)
        {
            throw Invalid(source, $"tensor '{name}' has data offsets {offsets} outside the {data.Length}-byte data section");
        }

        long expected = count * SafeTensor.SizeOf(type);
        if (end - begin != expected)
        {
            throw Invalid(source, $"tensor '{name}' is {type}[{string.Join(", ", shape)}], {expected} bytes, but its offsets span {end - begin}");
        }

        ranges.Add((begin, end, name));
        return new SafeTensor(name, type, shape, data.Slice((int)begin, (int)(end - begin)));
    }

    private static InvalidDataException Invalid(string source, string what) => new($"{source} is not a valid safetensors file: {what}.");
}
