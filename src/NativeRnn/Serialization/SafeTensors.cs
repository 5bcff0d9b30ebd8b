using System;
using System.Collections.Generic;
using System.IO;
using System.Numerics;

namespace NativeRnn.Serialization;

/// <summary>One tensor of a <see cref="SafeTensorsFile"/>: name, element type, shape and its little-endian bytes.</summary>
public sealed class SafeTensor
{
    private readonly SafeTensorEntry _entry;

    internal SafeTensor(SafeTensorEntry entry, ReadOnlyMemory<byte> data)
    {
        _entry = entry;
        Data = data;
    }

    /// <summary>The tensor's name (a PyTorch <c>state_dict</c> key).</summary>
    public string Name => _entry.Name;

    /// <summary>The element type.</summary>
    public SafeTensorType Type => _entry.Type;

    /// <summary>The shape, row-major.</summary>
    public ReadOnlySpan<int> Shape => _entry.Shape;

    /// <summary>Number of elements.</summary>
    public long ElementCount => _entry.ElementCount;

    /// <summary>The raw little-endian bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The elements converted to <typeparamref name="T"/> (float types widen exactly or round to nearest).</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>A new array of <see cref="ElementCount"/> elements.</returns>
    /// <exception cref="NotSupportedException">The element type is not a floating-point type.</exception>
    public T[] ToArray<T>()
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!SafeTensorTypes.IsConvertible(Type))
        {
            throw new NotSupportedException($"Tensor {FileText.Quote(Name)} holds {SafeTensorTypes.Name(Type)} values, not floating-point ones.");
        }

        T[] result = GC.AllocateUninitializedArray<T>((int)ElementCount);
        TensorConversion.ToElements(Type, Data.Span, result.AsSpan());
        return result;
    }

    /// <summary>The size of one element of <paramref name="type"/> in bytes.</summary>
    /// <param name="type">The element type.</param>
    /// <returns>The size.</returns>
    public static int SizeOf(SafeTensorType type) => SafeTensorTypes.SizeOf(type);
}

/// <summary>
/// A whole safetensors file in memory, every tensor at hand: for tools and tests. To load a model, or to read
/// a few tensors of a large file, use <see cref="SafeTensorsReader"/> or <c>LoadSafeTensors</c>, which read
/// only what they need. The header is checked as <see cref="SafeTensorsReader"/> checks it, before the data is read.
/// </summary>
public sealed class SafeTensorsFile
{
    /// <summary>The largest header accepted by default (the format's reference implementation uses the same bound).</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private readonly Dictionary<string, SafeTensor> _tensors;

    private SafeTensorsFile(Dictionary<string, SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata)
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
        => _tensors.TryGetValue(name, out SafeTensor? tensor) ? tensor : throw new KeyNotFoundException($"The file has no tensor {FileText.Quote(name)}.");

    /// <summary>Reads a file: the header first, checked against the file's length, then the data section.</summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">Bounds on the header; <see cref="SafeTensorsLimits.Default"/> when null.</param>
    /// <returns>The parsed file.</returns>
    /// <exception cref="WeightFileException">The file is not valid safetensors.</exception>
    /// <exception cref="NotSupportedException">The data section is larger than an array holds (use <see cref="SafeTensorsReader"/>).</exception>
    public static SafeTensorsFile Read(string path, SafeTensorsLimits? limits = null)
    {
        using SafeTensorsReader reader = SafeTensorsReader.Open(path, limits);
        SafeTensorsHeader header = reader.Header;
        if (header.DataLength > Array.MaxLength)
        {
            throw new NotSupportedException($"{FileText.Sanitize(path, 200)} has {header.DataLength} bytes of data, more than an array holds; read it with {nameof(SafeTensorsReader)}.");
        }

        byte[] data = GC.AllocateUninitializedArray<byte>((int)header.DataLength);
        reader.Source.Read(header.DataStart, data);
        return Create(header, data);
    }

    /// <summary>Parses safetensors bytes.</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="source">A name for the bytes in error messages.</param>
    /// <param name="limits">Bounds on the header; <see cref="SafeTensorsLimits.Default"/> when null.</param>
    /// <returns>The parsed file, whose tensors refer to <paramref name="bytes"/>.</returns>
    /// <exception cref="WeightFileException">The bytes are not valid safetensors.</exception>
    public static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes, string source = "the data", SafeTensorsLimits? limits = null)
    {
        using SafeTensorsReader reader = SafeTensorsReader.Open(bytes, source, limits);
        return Create(reader.Header, bytes[(int)reader.Header.DataStart..]);
    }

    private static SafeTensorsFile Create(SafeTensorsHeader header, ReadOnlyMemory<byte> data)
    {
        var tensors = new Dictionary<string, SafeTensor>(header.Entries.Count, StringComparer.Ordinal);
        foreach (SafeTensorEntry entry in header.Entries)
        {
            tensors.Add(entry.Name, new SafeTensor(entry, data.Slice((int)entry.DataOffset, (int)entry.ByteLength)));
        }

        return new SafeTensorsFile(tensors, header.Metadata);
    }
}
