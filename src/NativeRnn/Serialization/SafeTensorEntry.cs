using System;

namespace NativeRnn.Serialization;

/// <summary>One tensor as a safetensors header describes it: its name, element type, shape and where its bytes lie.</summary>
public sealed class SafeTensorEntry
{
    private readonly int[] _shape;

    internal SafeTensorEntry(string name, SafeTensorType type, int[] shape, long elementCount, long dataOffset, long byteLength)
    {
        Name = name;
        Type = type;
        _shape = shape;
        ElementCount = elementCount;
        DataOffset = dataOffset;
        ByteLength = byteLength;
    }

    /// <summary>The tensor's name (for PyTorch files, a <c>state_dict</c> key).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public SafeTensorType Type { get; }

    /// <summary>The shape, row-major; empty for a scalar.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of elements: the product of the shape (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Where the tensor's bytes start, counted from the start of the data section.</summary>
    public long DataOffset { get; }

    /// <summary>Length of the tensor's bytes.</summary>
    public long ByteLength { get; }

    /// <summary>The shape in words, e.g. <c>[36, 3]</c>.</summary>
    internal string ShapeText => FileText.Shape(_shape);

    internal int[] ShapeArray => _shape;

    /// <inheritdoc/>
    public override string ToString() => $"{FileText.Sanitize(Name)}: {SafeTensorTypes.Name(Type)}{ShapeText}";
}
