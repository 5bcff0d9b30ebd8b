using System;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NativeRnn.Serialization;

/// <summary>
/// Conversions between a file's little-endian elements and <see cref="float"/> or <see cref="double"/>,
/// vectorised at 256 and 128 bits. Widening (F16, BF16, F32 → wider) is exact; narrowing rounds to
/// nearest, ties to even, as a cast does. F16 is decoded with integer operations and one subtraction of
/// normal numbers, so the result is exact for every one of the 65,536 patterns whatever the FPU's
/// denormal mode.
/// </summary>
internal static class TensorConversion
{
    /// <summary>Converts <c>destination.Length</c> elements of <paramref name="type"/> to <typeparamref name="T"/>.</summary>
    /// <param name="type">A floating-point type (<see cref="SafeTensorTypes.IsConvertible"/>).</param>
    /// <param name="source">Exactly <c>destination.Length × SizeOf(type)</c> bytes, any alignment.</param>
    /// <param name="destination">Receives the values.</param>
    public static void ToElements<T>(SafeTensorType type, ReadOnlySpan<byte> source, Span<T> destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (source.Length != (long)destination.Length * SafeTensorTypes.SizeOf(type))
        {
            throw new ArgumentException($"{source.Length} bytes of {SafeTensorTypes.Name(type)} do not make {destination.Length} elements.", nameof(source));
        }

        if (!BitConverter.IsLittleEndian)
        {
            ToElementsScalar(type, source, destination);
        }
        else if (typeof(T) == typeof(float))
        {
            ToSingle(type, source, MemoryMarshal.Cast<T, float>(destination));
        }
        else
        {
            ToDouble(type, source, MemoryMarshal.Cast<T, double>(destination));
        }
    }

    /// <summary>Converts <typeparamref name="T"/> values to little-endian elements of <paramref name="type"/>.</summary>
    /// <returns>The index of the first value that does not fit <paramref name="type"/> (it would become infinite), or −1.</returns>
    public static int FromElements<T>(ReadOnlySpan<T> source, SafeTensorType type, Span<byte> destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (destination.Length != (long)source.Length * SafeTensorTypes.SizeOf(type))
        {
            throw new ArgumentException($"{destination.Length} bytes of {SafeTensorTypes.Name(type)} do not hold {source.Length} elements.", nameof(destination));
        }

        bool exact = (typeof(T) == typeof(float) && type == SafeTensorType.F32) || (typeof(T) == typeof(double) && type == SafeTensorType.F64);
        if (exact && BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(source).CopyTo(destination);
            return -1;
        }

        int size = SafeTensorTypes.SizeOf(type);
        for (int i = 0; i < source.Length; i++)
        {
            double value = double.CreateTruncating(source[i]);
            Span<byte> at = destination.Slice(i * size, size);
            bool fits;
            switch (type)
            {
                case SafeTensorType.F64:
                    BinaryPrimitives.WriteDoubleLittleEndian(at, value);
                    fits = true;
                    break;
                case SafeTensorType.F32:
                    float single = typeof(T) == typeof(float) ? Unsafe.BitCast<T, float>(source[i]) : (float)value;
                    BinaryPrimitives.WriteSingleLittleEndian(at, single);
                    fits = float.IsFinite(single) || !double.IsFinite(value);
                    break;
                case SafeTensorType.F16:
                    Half half = typeof(T) == typeof(float) ? (Half)Unsafe.BitCast<T, float>(source[i]) : (Half)value;
                    BinaryPrimitives.WriteHalfLittleEndian(at, half);
                    fits = Half.IsFinite(half) || !double.IsFinite(value);
                    break;
                case SafeTensorType.BF16:
                    ushort bits = typeof(T) == typeof(float) ? SingleToBFloat16(Unsafe.BitCast<T, float>(source[i])) : DoubleToBFloat16(value);
                    BinaryPrimitives.WriteUInt16LittleEndian(at, bits);
                    fits = float.IsFinite(BitConverter.Int32BitsToSingle(bits << 16)) || !double.IsFinite(value);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(type), type, "Only F16, BF16, F32 and F64 are written.");
            }

            if (!fits)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>bfloat16 nearest to <paramref name="value"/>, ties to even; NaN stays a (quiet) NaN.</summary>
    public static ushort SingleToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        bits += 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)(bits >> 16);
    }

    /// <summary>bfloat16 nearest to a double, rounded once: through a float rounded to odd, which keeps the information a second rounding needs.</summary>
    public static ushort DoubleToBFloat16(double value)
    {
        float nearest = (float)value;
        if (float.IsFinite(nearest) && (double)nearest != value)
        {
            // Round to odd: the neighbour of `value` towards zero, with its last bit set.
            uint bits = BitConverter.SingleToUInt32Bits(nearest);
            if (Math.Abs((double)nearest) > Math.Abs(value))
            {
                bits--;
            }

            nearest = BitConverter.UInt32BitsToSingle(bits | 1);
        }

        return SingleToBFloat16(nearest);
    }

    /// <summary>The float value of an F16 bit pattern, exactly (the scalar twin of the vector decoder).</summary>
    public static float HalfToSingle(ushort half)
    {
        uint o = (uint)(half & 0x7FFF) << 13;
        uint exponent = o & 0x0F800000u;
        o += 0x38000000u;
        if (exponent == 0x0F800000u)
        {
            o += 0x38000000u;
        }
        else if (exponent == 0)
        {
            o = BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(o + 0x00800000u) - BitConverter.UInt32BitsToSingle(0x38800000u));
        }

        return BitConverter.UInt32BitsToSingle(o | ((uint)(half & 0x8000) << 16));
    }

    private static void ToSingle(SafeTensorType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (type)
        {
            case SafeTensorType.F32:
                source.CopyTo(MemoryMarshal.AsBytes(destination));
                break;
            case SafeTensorType.F64:
                NarrowDoubles(source, destination);
                break;
            case SafeTensorType.F16:
                DecodeHalves(source, destination);
                break;
            case SafeTensorType.BF16:
                DecodeBFloat16s(source, destination);
                break;
            default:
                throw NotFloatingPoint(type);
        }
    }

    private static void ToDouble(SafeTensorType type, ReadOnlySpan<byte> source, Span<double> destination)
    {
        switch (type)
        {
            case SafeTensorType.F64:
                source.CopyTo(MemoryMarshal.AsBytes(destination));
                break;
            case SafeTensorType.F32:
                WidenSingles(MemoryMarshal.Cast<byte, float>(source), destination);
                break;
            case SafeTensorType.F16:
            case SafeTensorType.BF16:
                // Through float, which holds every F16 and BF16 value exactly.
                Span<float> chunk = stackalloc float[512];
                for (int i = 0; i < destination.Length; i += chunk.Length)
                {
                    int n = Math.Min(chunk.Length, destination.Length - i);
                    ToSingle(type, source.Slice(i * 2, n * 2), chunk[..n]);
                    WidenSingles(chunk[..n], destination.Slice(i, n));
                }

                break;
            default:
                throw NotFloatingPoint(type);
        }
    }

    private static void WidenSingles(ReadOnlySpan<float> source, Span<double> destination)
    {
        ref float s = ref MemoryMarshal.GetReference(source);
        ref double d = ref MemoryMarshal.GetReference(destination);
        int n = source.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                lower.StoreUnsafe(ref d, (nuint)i);
                upper.StoreUnsafe(ref d, (nuint)(i + 4));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= n; i += 4)
            {
                (Vector128<double> lower, Vector128<double> upper) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
                lower.StoreUnsafe(ref d, (nuint)i);
                upper.StoreUnsafe(ref d, (nuint)(i + 2));
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) = Unsafe.Add(ref s, i);
        }
    }

    private static void NarrowDoubles(ReadOnlySpan<byte> source, Span<float> destination)
    {
        ref double s = ref Unsafe.As<byte, double>(ref MemoryMarshal.GetReference(source));
        ref float d = ref MemoryMarshal.GetReference(destination);
        int n = destination.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                Vector256.Narrow(Vector256.LoadUnsafe(ref s, (nuint)i), Vector256.LoadUnsafe(ref s, (nuint)(i + 4))).StoreUnsafe(ref d, (nuint)i);
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= n; i += 4)
            {
                Vector128.Narrow(Vector128.LoadUnsafe(ref s, (nuint)i), Vector128.LoadUnsafe(ref s, (nuint)(i + 2))).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) = (float)Unsafe.ReadUnaligned<double>(ref Unsafe.As<double, byte>(ref Unsafe.Add(ref s, i)));
        }
    }

    private static void DecodeBFloat16s(ReadOnlySpan<byte> source, Span<float> destination)
    {
        ref ushort s = ref Unsafe.As<byte, ushort>(ref MemoryMarshal.GetReference(source));
        ref uint d = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(destination));
        int n = destination.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                (Vector256<uint> lower, Vector256<uint> upper) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                (lower << 16).StoreUnsafe(ref d, (nuint)i);
                (upper << 16).StoreUnsafe(ref d, (nuint)(i + 8));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                (Vector128<uint> lower, Vector128<uint> upper) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
                (lower << 16).StoreUnsafe(ref d, (nuint)i);
                (upper << 16).StoreUnsafe(ref d, (nuint)(i + 4));
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) = (uint)Unsafe.ReadUnaligned<ushort>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref s, i))) << 16;
        }
    }

    private static void DecodeHalves(ReadOnlySpan<byte> source, Span<float> destination)
    {
        ref ushort s = ref Unsafe.As<byte, ushort>(ref MemoryMarshal.GetReference(source));
        ref float d = ref MemoryMarshal.GetReference(destination);
        int n = destination.Length, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16)
            {
                (Vector256<uint> lower, Vector256<uint> upper) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                DecodeHalves(lower).StoreUnsafe(ref d, (nuint)i);
                DecodeHalves(upper).StoreUnsafe(ref d, (nuint)(i + 8));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
            {
                (Vector128<uint> lower, Vector128<uint> upper) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
                DecodeHalves(lower).StoreUnsafe(ref d, (nuint)i);
                DecodeHalves(upper).StoreUnsafe(ref d, (nuint)(i + 4));
            }
        }

        for (; i < n; i++)
        {
            Unsafe.Add(ref d, i) = HalfToSingle(Unsafe.ReadUnaligned<ushort>(ref Unsafe.As<ushort, byte>(ref Unsafe.Add(ref s, i))));
        }
    }

    // The vector form of HalfToSingle: move exponent and mantissa into place and rebias the exponent
    // (+112); infinities and NaNs get the rest of the exponent (+112 again); zeros and subnormals are
    // renormalised by subtracting 2⁻¹⁴ from 2⁻¹⁴·(1 + m/1024), an exact difference of normal floats.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> DecodeHalves(Vector256<uint> half)
    {
        Vector256<uint> o = (half & Vector256.Create(0x7FFFu)) << 13;
        Vector256<uint> exponent = o & Vector256.Create(0x0F800000u);
        o += Vector256.Create(0x38000000u);
        o += Vector256.Equals(exponent, Vector256.Create(0x0F800000u)) & Vector256.Create(0x38000000u);
        Vector256<float> renormalised = (o + Vector256.Create(0x00800000u)).AsSingle() - Vector256.Create(0x38800000u).AsSingle();
        o = Vector256.ConditionalSelect(Vector256.Equals(exponent, Vector256<uint>.Zero), renormalised.AsUInt32(), o);
        return (o | ((half & Vector256.Create(0x8000u)) << 16)).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> DecodeHalves(Vector128<uint> half)
    {
        Vector128<uint> o = (half & Vector128.Create(0x7FFFu)) << 13;
        Vector128<uint> exponent = o & Vector128.Create(0x0F800000u);
        o += Vector128.Create(0x38000000u);
        o += Vector128.Equals(exponent, Vector128.Create(0x0F800000u)) & Vector128.Create(0x38000000u);
        Vector128<float> renormalised = (o + Vector128.Create(0x00800000u)).AsSingle() - Vector128.Create(0x38800000u).AsSingle();
        o = Vector128.ConditionalSelect(Vector128.Equals(exponent, Vector128<uint>.Zero), renormalised.AsUInt32(), o);
        return (o | ((half & Vector128.Create(0x8000u)) << 16)).AsSingle();
    }

    // Any byte order: one element at a time through BinaryPrimitives.
    private static void ToElementsScalar<T>(SafeTensorType type, ReadOnlySpan<byte> source, Span<T> destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int size = SafeTensorTypes.SizeOf(type);
        for (int i = 0; i < destination.Length; i++)
        {
            ReadOnlySpan<byte> at = source.Slice(i * size, size);
            destination[i] = type switch
            {
                SafeTensorType.F32 => T.CreateTruncating(BinaryPrimitives.ReadSingleLittleEndian(at)),
                SafeTensorType.F64 => T.CreateTruncating(BinaryPrimitives.ReadDoubleLittleEndian(at)),
                SafeTensorType.F16 => T.CreateTruncating(HalfToSingle(BinaryPrimitives.ReadUInt16LittleEndian(at))),
                SafeTensorType.BF16 => T.CreateTruncating(BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(at) << 16)),
                _ => throw NotFloatingPoint(type),
            };
        }
    }

    private static NotSupportedException NotFloatingPoint(SafeTensorType type)
        => new($"{SafeTensorTypes.Name(type)} values are not floating-point; only F16, BF16, F32 and F64 convert.");
}
