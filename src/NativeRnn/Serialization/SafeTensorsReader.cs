using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace NativeRnn.Serialization;

/// <summary>
/// Reads a safetensors file (or buffer) tensor by tensor. Opening reads and checks only the header —
/// every name, type, shape and offset, and that the tensors tile the data section exactly as long as the
/// real file is — so a file whose header lies is refused before any data is read, and a large file costs
/// nothing until a tensor is asked for. Reads then stream that tensor's bytes through a bounded buffer.
/// Every malformed file raises <see cref="WeightFileException"/>.
/// </summary>
public sealed class SafeTensorsReader : IDisposable
{
    /// <summary>Bytes read at a time when a tensor is converted from a file.</summary>
    internal const int ChunkBytes = 256 * 1024;

    private readonly ByteSource _source;
    private readonly SafeTensorsHeader _header;

    private SafeTensorsReader(ByteSource source, SafeTensorsHeader header, ReadOnlyMemory<byte> headerBytes)
    {
        _source = source;
        _header = header;
        HeaderBytes = headerBytes;
    }

    /// <summary>The file's path, or the name given to the buffer.</summary>
    public string SourceName => _source.Name;

    /// <summary>The tensors, in the order the header lists them.</summary>
    public IReadOnlyList<SafeTensorEntry> Tensors => _header.Entries;

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _header.Metadata;

    internal SafeTensorsHeader Header => _header;

    internal ByteSource Source => _source;

    /// <summary>The 8-byte prefix and the JSON header, kept when the reader was opened to verify a checksum.</summary>
    internal ReadOnlyMemory<byte> HeaderBytes { get; }

    /// <summary>The tensor named <paramref name="name"/>.</summary>
    /// <param name="name">Name.</param>
    /// <returns>Its entry.</returns>
    /// <exception cref="WeightFileException">There is no such tensor (<see cref="WeightFileError.MissingTensor"/>); the message lists some that exist.</exception>
    public SafeTensorEntry this[string name]
        => TryGetTensor(name, out SafeTensorEntry? entry)
            ? entry
            : throw new WeightFileException(
                WeightFileError.MissingTensor,
                SourceName,
                $"{FileText.Sanitize(SourceName, 200)} has no tensor {FileText.Quote(name)}; it has {FileText.List(_header.Entries.ConvertAll(e => FileText.Quote(e.Name)))}.",
                FileText.Sanitize(name),
                FileText.Quote(name),
                "no such tensor");

    /// <summary>Opens a file and checks its header; no tensor data is read yet.</summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">Bounds on the header; <see cref="SafeTensorsLimits.Default"/> when null.</param>
    /// <returns>The reader, which holds the file open until disposed.</returns>
    /// <exception cref="WeightFileException">The file is not valid safetensors.</exception>
    /// <exception cref="System.IO.IOException">The file cannot be opened or read.</exception>
    public static SafeTensorsReader Open(string path, SafeTensorsLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Open(new FileByteSource(path), limits ?? SafeTensorsLimits.Default, keepHeader: false);
    }

    /// <summary>Opens safetensors bytes in memory and checks the header. The tensors are read from the buffer when asked for, without copying it.</summary>
    /// <param name="bytes">The whole file; it must not change while the reader is used.</param>
    /// <param name="sourceName">A name for the bytes in messages.</param>
    /// <param name="limits">Bounds on the header; <see cref="SafeTensorsLimits.Default"/> when null.</param>
    /// <returns>The reader.</returns>
    /// <exception cref="WeightFileException">The bytes are not valid safetensors.</exception>
    public static SafeTensorsReader Open(ReadOnlyMemory<byte> bytes, string sourceName = "the buffer", SafeTensorsLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        return Open(new MemoryByteSource(bytes, sourceName), limits ?? SafeTensorsLimits.Default, keepHeader: false);
    }

    internal static SafeTensorsReader Open(ByteSource source, SafeTensorsLimits limits, bool keepHeader)
    {
        try
        {
            Span<byte> prefix = stackalloc byte[SafeTensorsHeader.PrefixLength];
            long length = source.Length;
            if (length >= prefix.Length)
            {
                source.Read(0, prefix);
            }

            long headerLength = SafeTensorsHeader.ReadHeaderLength(prefix, length, limits, source.Name);
            long start = SafeTensorsHeader.PrefixLength;
            ReadOnlyMemory<byte> headerBytes;
            if (!source.TryGetMemory(0, start + headerLength, out headerBytes))
            {
                // The length was checked against the file's real size, so this allocation is backed by bytes on disk.
                byte[] buffer = new byte[start + headerLength];
                prefix.CopyTo(buffer);
                source.Read(start, buffer.AsSpan((int)start));
                headerBytes = buffer;
            }

            SafeTensorsHeader header = SafeTensorsHeader.Parse(headerBytes.Span[(int)start..], length - start - headerLength, limits, source.Name);
            return new SafeTensorsReader(source, header, keepHeader ? headerBytes : default);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Looks a tensor up by name.</summary>
    /// <param name="name">Name.</param>
    /// <param name="entry">The tensor, when found.</param>
    /// <returns>Whether the file has it.</returns>
    public bool TryGetTensor(string name, [NotNullWhen(true)] out SafeTensorEntry? entry)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _header.ByName.TryGetValue(name, out entry);
    }

    /// <summary>Copies a tensor's raw little-endian bytes.</summary>
    /// <param name="tensor">A tensor of this file.</param>
    /// <param name="destination">Exactly <see cref="SafeTensorEntry.ByteLength"/> bytes.</param>
    /// <exception cref="ArgumentException">The tensor is not from this reader or the destination has the wrong length.</exception>
    /// <exception cref="WeightFileException">The file was truncated while open.</exception>
    public void ReadBytes(SafeTensorEntry tensor, Span<byte> destination)
    {
        CheckOwn(tensor);
        if (destination.Length != tensor.ByteLength)
        {
            throw new ArgumentException($"Tensor {FileText.Quote(tensor.Name)} has {tensor.ByteLength} bytes but the destination has {destination.Length}.", nameof(destination));
        }

        _source.Read(_header.DataStart + tensor.DataOffset, destination);
    }

    /// <summary>Reads a floating-point tensor into <paramref name="destination"/>, converting F16, BF16, F32 or F64 to <typeparamref name="T"/> (widening exactly, narrowing to nearest).</summary>
    /// <param name="tensor">A tensor of this file.</param>
    /// <param name="destination">Exactly <see cref="SafeTensorEntry.ElementCount"/> elements, row-major.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException">The tensor is not from this reader or the destination has the wrong length.</exception>
    /// <exception cref="NotSupportedException">The tensor's type is not floating-point.</exception>
    /// <exception cref="WeightFileException">The file was truncated while open.</exception>
    public void Read<T>(SafeTensorEntry tensor, Span<T> destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckOwn(tensor);
        if (!SafeTensorTypes.IsConvertible(tensor.Type))
        {
            throw new NotSupportedException($"Tensor {FileText.Quote(tensor.Name)} holds {SafeTensorTypes.Name(tensor.Type)} values, not floating-point ones.");
        }

        if (destination.Length != tensor.ElementCount)
        {
            throw new ArgumentException($"Tensor {FileText.Quote(tensor.Name)} has {tensor.ElementCount} elements but the destination has {destination.Length}.", nameof(destination));
        }

        ReadElements(tensor, 0, destination);
    }

    /// <summary>Reads a floating-point tensor into a new array (see <see cref="Read{T}(SafeTensorEntry, Span{T})"/>).</summary>
    /// <param name="tensor">A tensor of this file.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>The values, row-major.</returns>
    /// <exception cref="NotSupportedException">The tensor's type is not floating-point, or it has more elements than an array holds.</exception>
    public T[] ReadArray<T>(SafeTensorEntry tensor)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.ElementCount > Array.MaxLength)
        {
            throw new NotSupportedException($"Tensor {FileText.Quote(tensor.Name)} has {tensor.ElementCount} elements, more than an array holds; read it in parts with {nameof(ReadBytes)}.");
        }

        T[] values = GC.AllocateUninitializedArray<T>((int)tensor.ElementCount);
        Read<T>(tensor, values);
        return values;
    }

    /// <summary>Releases the file.</summary>
    public void Dispose() => _source.Dispose();

    /// <summary>Reads elements <c>[first, first + destination.Length)</c> of a floating-point tensor, converted, through a bounded buffer.</summary>
    internal void ReadElements<T>(SafeTensorEntry tensor, long first, Span<T> destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int size = SafeTensorTypes.SizeOf(tensor.Type);
        long offset = _header.DataStart + tensor.DataOffset + (first * size);
        long bytes = (long)destination.Length * size;
        if (_source.TryGetMemory(offset, bytes, out ReadOnlyMemory<byte> memory))
        {
            TensorConversion.ToElements(tensor.Type, memory.Span, destination);
            return;
        }

        if (tensor.Type == SafeTensorTypes.Of<T>() && BitConverter.IsLittleEndian)
        {
            // Same type: straight into the destination, no buffer.
            _source.Read(offset, System.Runtime.InteropServices.MemoryMarshal.AsBytes(destination));
            return;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(bytes, ChunkBytes));
        try
        {
            int perChunk = buffer.Length / size;
            for (int done = 0; done < destination.Length; done += perChunk)
            {
                int n = Math.Min(perChunk, destination.Length - done);
                Span<byte> chunk = buffer.AsSpan(0, n * size);
                _source.Read(offset + ((long)done * size), chunk);
                TensorConversion.ToElements(tensor.Type, chunk, destination.Slice(done, n));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The tensor's elements in place, when the source is in memory and holds <typeparamref name="T"/> itself.</summary>
    internal bool TryGetElements<T>(SafeTensorEntry tensor, out ReadOnlySpan<T> values)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // Reinterpreting needs no alignment on the 64-bit targets .NET runs on (x64, Arm64).
        if (tensor.Type == SafeTensorTypes.Of<T>() && BitConverter.IsLittleEndian
            && _source.TryGetMemory(_header.DataStart + tensor.DataOffset, tensor.ByteLength, out ReadOnlyMemory<byte> memory))
        {
            values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(memory.Span);
            return true;
        }

        values = default;
        return false;
    }

    private void CheckOwn(SafeTensorEntry tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_header.ByName.TryGetValue(tensor.Name, out SafeTensorEntry? own) || !ReferenceEquals(own, tensor))
        {
            throw new ArgumentException($"Tensor {FileText.Quote(tensor.Name)} is not an entry of this reader.", nameof(tensor));
        }
    }
}
