using System;

namespace NativeRnn.Serialization;

/// <summary>
/// How much work a safetensors header may demand of the reader. Parsing a header costs memory a small
/// multiple of the header's own bytes (about three times at worst: the bytes, then names and metadata as
/// UTF-16 strings), and a header is never larger than the file, so no file can exhaust memory; these limits
/// bound it further. Data is never read before the header has been checked against the file's real length.
/// </summary>
public sealed class SafeTensorsLimits
{
    /// <summary>The most dimensions a shape may have (as PyTorch's own limit).</summary>
    public const int MaxDimensions = 64;

    private readonly int _maxHeaderBytes = 100_000_000;
    private readonly int _maxTensors = 100_000;
    private readonly int _maxMetadataEntries = 10_000;

    /// <summary>The limits used when none are given: a 100 MB header (the format's own bound), 100,000 tensors, 10,000 metadata entries.</summary>
    public static SafeTensorsLimits Default { get; } = new();

    /// <summary>The largest header accepted, in bytes. Default 100,000,000, as the format's reference implementation.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 2.</exception>
    public int MaxHeaderBytes
    {
        get => _maxHeaderBytes;
        init => _maxHeaderBytes = value >= 2 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A header has at least 2 bytes ('{}').");
    }

    /// <summary>The most tensors a file may describe. Default 100,000.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxTensors
    {
        get => _maxTensors;
        init => _maxTensors = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The limit cannot be negative.");
    }

    /// <summary>The most entries <c>__metadata__</c> may hold. Default 10,000.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MaxMetadataEntries
    {
        get => _maxMetadataEntries;
        init => _maxMetadataEntries = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The limit cannot be negative.");
    }
}
