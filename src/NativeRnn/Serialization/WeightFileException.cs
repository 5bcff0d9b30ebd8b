using System;

namespace NativeRnn.Serialization;

/// <summary>What is wrong with a weight file or checkpoint (see <see cref="WeightFileException.Error"/>).</summary>
public enum WeightFileError
{
    /// <summary>The file ends before the bytes its header describes, or changed while it was read.</summary>
    Truncated,

    /// <summary>The header length is larger than the limit or than the file.</summary>
    HeaderTooLarge,

    /// <summary>The header is not the JSON object the format defines: bad syntax, a value of the wrong kind, an unknown field.</summary>
    InvalidHeader,

    /// <summary>A key appears twice in the header, in a tensor entry or in <c>__metadata__</c>.</summary>
    DuplicateKey,

    /// <summary>A tensor or metadata name is empty or holds control characters.</summary>
    InvalidName,

    /// <summary>More tensors or metadata entries than the limit.</summary>
    TooManyEntries,

    /// <summary>A <c>dtype</c> the format does not define.</summary>
    UnsupportedType,

    /// <summary>A shape with a negative, non-integer or oversized dimension, too many dimensions or too many elements.</summary>
    InvalidShape,

    /// <summary>A tensor's <c>data_offsets</c> fall outside the data section or do not span its shape.</summary>
    InvalidOffsets,

    /// <summary>The tensors' bytes overlap, leave gaps, or do not cover the data section exactly.</summary>
    InvalidDataLayout,

    /// <summary>A tensor the model needs is not in the file.</summary>
    MissingTensor,

    /// <summary>The file holds a tensor the model does not have (allowed with <see cref="SafeTensorsOptions.IgnoreUnexpected"/>).</summary>
    UnexpectedTensor,

    /// <summary>A tensor's shape differs from the one the model needs.</summary>
    ShapeMismatch,

    /// <summary>A tensor's element type cannot become the model's (only F16, BF16, F32 and F64 can).</summary>
    TypeMismatch,

    /// <summary>A value is NaN or infinite.</summary>
    NonFiniteValue,

    /// <summary>A checkpoint's checksum does not match its bytes.</summary>
    ChecksumMismatch,

    /// <summary>A checkpoint was written for another architecture than the model it is restored into.</summary>
    ArchitectureMismatch,

    /// <summary>A checkpoint lacks an entry the format requires or holds one of the wrong form.</summary>
    InvalidCheckpoint,
}

/// <summary>
/// The one exception every malformed, hostile or mismatched weight file and checkpoint raises, from the
/// safetensors reader, the model loader and the checkpoint reader alike. The message names the file, the
/// tensor and what was expected and found; it quotes at most a short, sanitised piece of the file (control
/// characters escaped), so it is safe to log. When it is thrown, nothing was changed.
/// </summary>
public sealed class WeightFileException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public WeightFileException()
        : this("The weight file is not valid.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    public WeightFileException(string message)
        : this(message, null)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public WeightFileException(string message, Exception? innerException)
        : base(message, innerException)
    {
        SourceName = string.Empty;
    }

    internal WeightFileException(WeightFileError error, string sourceName, string message, string? tensorName = null, string? expected = null, string? found = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        SourceName = sourceName;
        TensorName = tensorName;
        Expected = expected;
        Found = found;
    }

    /// <summary>What is wrong.</summary>
    public WeightFileError Error { get; } = WeightFileError.InvalidHeader;

    /// <summary>The file (or the name given to the buffer) that was read.</summary>
    public string SourceName { get; }

    /// <summary>The tensor concerned, sanitised, or null when the problem is not one tensor's.</summary>
    public string? TensorName { get; }

    /// <summary>What the format or the model requires, in words (e.g. a shape <c>[36, 3]</c>), or null.</summary>
    public string? Expected { get; }

    /// <summary>What the file holds instead, sanitised and bounded, or null.</summary>
    public string? Found { get; }
}
