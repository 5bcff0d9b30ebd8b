using System;

namespace NativeRnn.Serialization;

/// <summary>Element types of the safetensors format. Only the floating-point ones (F16, BF16, F32, F64) load into a model.</summary>
public enum SafeTensorType
{
    /// <summary>IEEE 754 binary32 (<c>F32</c>).</summary>
    F32,

    /// <summary>IEEE 754 binary64 (<c>F64</c>).</summary>
    F64,

    /// <summary>IEEE 754 binary16 (<c>F16</c>).</summary>
    F16,

    /// <summary>bfloat16 (<c>BF16</c>): the upper half of a binary32.</summary>
    BF16,

    /// <summary>Signed 32-bit integers (<c>I32</c>).</summary>
    I32,

    /// <summary>Signed 64-bit integers (<c>I64</c>).</summary>
    I64,

    /// <summary>Booleans, one byte each (<c>BOOL</c>).</summary>
    Bool,

    /// <summary>Unsigned bytes (<c>U8</c>).</summary>
    U8,

    /// <summary>Signed bytes (<c>I8</c>).</summary>
    I8,

    /// <summary>Unsigned 16-bit integers (<c>U16</c>).</summary>
    U16,

    /// <summary>Signed 16-bit integers (<c>I16</c>).</summary>
    I16,

    /// <summary>Unsigned 32-bit integers (<c>U32</c>).</summary>
    U32,

    /// <summary>Unsigned 64-bit integers (<c>U64</c>).</summary>
    U64,

    /// <summary>8-bit floats with 4 exponent and 3 mantissa bits (<c>F8_E4M3</c>).</summary>
    F8E4M3,

    /// <summary>8-bit floats with 5 exponent and 2 mantissa bits (<c>F8_E5M2</c>).</summary>
    F8E5M2,
}

/// <summary>Sizes and names of <see cref="SafeTensorType"/>s.</summary>
internal static class SafeTensorTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(SafeTensorType type) => type switch
    {
        SafeTensorType.F64 or SafeTensorType.I64 or SafeTensorType.U64 => 8,
        SafeTensorType.F32 or SafeTensorType.I32 or SafeTensorType.U32 => 4,
        SafeTensorType.F16 or SafeTensorType.BF16 or SafeTensorType.I16 or SafeTensorType.U16 => 2,
        SafeTensorType.Bool or SafeTensorType.U8 or SafeTensorType.I8 or SafeTensorType.F8E4M3 or SafeTensorType.F8E5M2 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a safetensors element type."),
    };

    /// <summary>Whether values of the type convert to float and double exactly or by rounding to nearest.</summary>
    public static bool IsConvertible(SafeTensorType type) => type is SafeTensorType.F32 or SafeTensorType.F64 or SafeTensorType.F16 or SafeTensorType.BF16;

    /// <summary>The name the format writes in <c>dtype</c>.</summary>
    public static string Name(SafeTensorType type) => type switch
    {
        SafeTensorType.Bool => "BOOL",
        SafeTensorType.F8E4M3 => "F8_E4M3",
        SafeTensorType.F8E5M2 => "F8_E5M2",
        _ => type.ToString(),
    };

    /// <summary>The type named by the UTF-8 <paramref name="name"/>, compared exactly (the format's names are upper case).</summary>
    public static bool TryParse(ReadOnlySpan<byte> name, out SafeTensorType type)
    {
        type = name switch
        {
            _ when name.SequenceEqual("F32"u8) => SafeTensorType.F32,
            _ when name.SequenceEqual("F64"u8) => SafeTensorType.F64,
            _ when name.SequenceEqual("F16"u8) => SafeTensorType.F16,
            _ when name.SequenceEqual("BF16"u8) => SafeTensorType.BF16,
            _ when name.SequenceEqual("I32"u8) => SafeTensorType.I32,
            _ when name.SequenceEqual("I64"u8) => SafeTensorType.I64,
            _ when name.SequenceEqual("BOOL"u8) => SafeTensorType.Bool,
            _ when name.SequenceEqual("U8"u8) => SafeTensorType.U8,
            _ when name.SequenceEqual("I8"u8) => SafeTensorType.I8,
            _ when name.SequenceEqual("U16"u8) => SafeTensorType.U16,
            _ when name.SequenceEqual("I16"u8) => SafeTensorType.I16,
            _ when name.SequenceEqual("U32"u8) => SafeTensorType.U32,
            _ when name.SequenceEqual("U64"u8) => SafeTensorType.U64,
            _ when name.SequenceEqual("F8_E4M3"u8) => SafeTensorType.F8E4M3,
            _ when name.SequenceEqual("F8_E5M2"u8) => SafeTensorType.F8E5M2,
            _ => (SafeTensorType)(-1),
        };

        return type >= 0;
    }

    /// <summary>The type that holds <typeparamref name="T"/> exactly: F32 for float, F64 for double.</summary>
    public static SafeTensorType Of<T>() => typeof(T) == typeof(float) ? SafeTensorType.F32 : SafeTensorType.F64;

    /// <summary>"float32" or "float64".</summary>
    public static string Words(Type elementType) => elementType == typeof(float) ? "float32" : elementType == typeof(double) ? "float64" : elementType.Name;
}
