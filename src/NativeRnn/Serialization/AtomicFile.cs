using System;
using System.IO;
using System.Runtime.InteropServices;

namespace NativeRnn.Serialization;

/// <summary>
/// Writes a file so that a crash at any moment leaves either the old file or the complete new one: the
/// bytes go to a temporary file in the same folder (<c>name.tmp</c>, locked against a second writer),
/// are flushed to the disk, the temporary file is renamed over the old one (atomic on POSIX and NTFS),
/// and on Unix the folder is synced so the rename itself survives a power cut. Disposing without
/// <see cref="Commit"/> deletes the temporary file and leaves the old file untouched.
/// </summary>
internal sealed class AtomicFile : IDisposable
{
    private readonly string _path;
    private readonly string _temporary;
    private FileStream? _stream;

    private AtomicFile(string path)
    {
        _path = Path.GetFullPath(path);
        _temporary = _path + ".tmp";
        // FileShare.None: a second writer of the same file fails here instead of interleaving its bytes with ours.
        _stream = new FileStream(_temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
    }

    /// <summary>The temporary file to write to.</summary>
    public Stream Stream => _stream ?? throw new ObjectDisposedException(nameof(AtomicFile));

    /// <summary>Starts writing <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The temporary file cannot be created (or another writer holds it).</exception>
    public static AtomicFile Create(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new AtomicFile(path);
    }

    /// <summary>Flushes the bytes to the disk and puts the file in place.</summary>
    public void Commit()
    {
        FileStream stream = _stream ?? throw new ObjectDisposedException(nameof(AtomicFile));
        stream.Flush(flushToDisk: true);
        stream.Dispose();
        _stream = null;
        File.Move(_temporary, _path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(_path));
    }

    /// <summary>Abandons an uncommitted write: the temporary file is deleted.</summary>
    public void Dispose()
    {
        if (_stream is null)
        {
            return;
        }

        _stream.Dispose();
        _stream = null;
        try
        {
            File.Delete(_temporary);
        }
        catch (IOException)
        {
            // Best effort: the next write of this file truncates it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    // .NET opens no directory handles, so fsync(2) of the folder goes through libc. Windows needs none:
    // NTFS journals the rename.
    private static unsafe void SyncDirectory(string? directory)
    {
        if (directory is null || OperatingSystem.IsWindows() || !Libc.TryGet(out nint open, out nint fsync, out nint close))
        {
            return;
        }

        int length = System.Text.Encoding.UTF8.GetByteCount(directory);
        byte[] path = new byte[length + 1];
        System.Text.Encoding.UTF8.GetBytes(directory, path);
        int descriptor;
        fixed (byte* p = path)
        {
            descriptor = ((delegate* unmanaged<byte*, int, int>)open)(p, 0);
        }

        if (descriptor >= 0)
        {
            _ = ((delegate* unmanaged<int, int>)fsync)(descriptor);
            _ = ((delegate* unmanaged<int, int>)close)(descriptor);
        }
    }

    private static class Libc
    {
        private static readonly (nint Open, nint FSync, nint Close) Functions = Load();

        public static bool TryGet(out nint open, out nint fsync, out nint close)
        {
            (open, fsync, close) = Functions;
            return open != 0;
        }

        private static (nint, nint, nint) Load()
        {
            foreach (string name in (ReadOnlySpan<string>)["libc.so.6", "libc", "/usr/lib/libSystem.dylib"])
            {
                if (NativeLibrary.TryLoad(name, out nint library)
                    && NativeLibrary.TryGetExport(library, "open", out nint open)
                    && NativeLibrary.TryGetExport(library, "fsync", out nint fsync)
                    && NativeLibrary.TryGetExport(library, "close", out nint close))
                {
                    return (open, fsync, close);
                }
            }

            return (0, 0, 0);
        }
    }
}
