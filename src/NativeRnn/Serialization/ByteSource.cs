using System;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace NativeRnn.Serialization;

/// <summary>
/// The bytes of a weight file: a file read with positioned reads, or a buffer in memory. Files are read,
/// not memory-mapped: a mapped file that another process truncates kills the reader with SIGBUS, whereas a
/// read that comes up short is reported as <see cref="WeightFileError.Truncated"/>.
/// </summary>
internal abstract class ByteSource : IDisposable
{
    protected ByteSource(string name) => Name = name;

    /// <summary>The file's path, or the name given to the buffer, for messages.</summary>
    public string Name { get; }

    /// <summary>Length in bytes (for a file: when it was opened).</summary>
    public abstract long Length { get; }

    /// <summary>Reads exactly <c>destination.Length</c> bytes at <paramref name="offset"/>.</summary>
    /// <exception cref="WeightFileException">The source ends first (the file was truncated while open).</exception>
    public abstract void Read(long offset, Span<byte> destination);

    /// <summary>Whether the bytes are in memory (the caller's buffer, which does not change during a call) rather than in a file.</summary>
    public virtual bool IsInMemory => false;

    /// <summary>The bytes at <paramref name="offset"/> without copying, when the source is in memory.</summary>
    public virtual bool TryGetMemory(long offset, long length, out ReadOnlyMemory<byte> memory)
    {
        memory = default;
        return false;
    }

    public abstract void Dispose();

    protected WeightFileException Truncated(long offset)
        => SafeTensorsHeader.Invalid(WeightFileError.Truncated, Name, $"it ended at byte {offset}, before the bytes its header describes (it changed while it was read)", expected: $"{Length} bytes", found: $"{offset} bytes");
}

/// <summary>A file, read with <see cref="RandomAccess"/>.</summary>
internal sealed class FileByteSource : ByteSource
{
    private readonly SafeFileHandle _handle;

    public FileByteSource(string path)
        : base(path)
    {
        // Readers share the file with readers only, so a writer that does not replace it atomically waits.
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            Length = RandomAccess.GetLength(_handle);
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
    }

    public override long Length { get; }

    public override void Read(long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int read = RandomAccess.Read(_handle, destination, offset);
            if (read == 0)
            {
                throw Truncated(offset);
            }

            destination = destination[read..];
            offset += read;
        }
    }

    public override void Dispose() => _handle.Dispose();
}

/// <summary>A buffer in memory.</summary>
internal sealed class MemoryByteSource(ReadOnlyMemory<byte> bytes, string name) : ByteSource(name)
{
    public override long Length => bytes.Length;

    public override bool IsInMemory => true;

    public override void Read(long offset, Span<byte> destination)
    {
        if (offset + destination.Length > bytes.Length)
        {
            throw Truncated(bytes.Length);
        }

        bytes.Span.Slice((int)offset, destination.Length).CopyTo(destination);
    }

    public override bool TryGetMemory(long offset, long length, out ReadOnlyMemory<byte> memory)
    {
        if (offset + length > bytes.Length)
        {
            throw Truncated(bytes.Length);
        }

        memory = bytes.Slice((int)offset, (int)length);
        return true;
    }

    public override void Dispose()
    {
    }
}
