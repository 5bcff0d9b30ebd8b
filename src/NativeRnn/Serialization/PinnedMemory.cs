using System;
using System.Buffers;

namespace NativeRnn.Serialization;

/// <summary>Pinned bytes (a <c>fixed</c> span, or native memory) seen as <see cref="Memory{T}"/> for the length of a call.</summary>
internal sealed unsafe class PinnedMemory(byte* pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
