using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeRnn.Serialization;

/// <summary>
/// Moves rows of a tensor in PyTorch's row-major layout into and out of its packed slice (see
/// <see cref="TensorStorage"/>) a chunk of rows at a time, so a file converts through a bounded buffer.
/// A row of a <c>[rows, columns]</c> weight is a column of its transposed storage; within one panel the
/// chunk is a strided transpose, done in tiles that keep both sides in L1.
/// </summary>
internal static class TensorPacking
{
    private const int Tile = 8;

    /// <summary>Writes PyTorch rows <c>[firstRow, firstRow + n)</c>, given row-major in <paramref name="rows"/>, into the packed <paramref name="slice"/>.</summary>
    public static void PackRows<T>(TensorInfo tensor, ReadOnlySpan<T> rows, int firstRow, Span<T> slice)
        where T : unmanaged
    {
        int columns = tensor.Columns;
        int count = Check(tensor, rows.Length, firstRow, slice.Length);
        switch (tensor.Storage)
        {
            case TensorStorage.RowMajor:
                rows.CopyTo(slice[(firstRow * columns)..]);
                break;
            case TensorStorage.Transposed:
                Transpose(rows, count, columns, columns, slice[firstRow..], tensor.Rows);
                break;
            default:
                // Panel p holds PyTorch rows [p·P, p·P + w) as a [columns, w] row-major block at p·P·columns.
                for (int r = firstRow, end = firstRow + count; r < end;)
                {
                    (int start, int width, int stop) = Panel(tensor, r, end);
                    Transpose(rows[((r - firstRow) * columns)..], stop - r, columns, columns, slice[((start * columns) + (r - start))..], width);
                    r = stop;
                }

                break;
        }
    }

    /// <summary>Reads PyTorch rows <c>[firstRow, firstRow + n)</c> from the packed <paramref name="slice"/> into <paramref name="rows"/>, row-major.</summary>
    public static void UnpackRows<T>(TensorInfo tensor, ReadOnlySpan<T> slice, int firstRow, Span<T> rows)
        where T : unmanaged
    {
        int columns = tensor.Columns;
        int count = Check(tensor, rows.Length, firstRow, slice.Length);
        switch (tensor.Storage)
        {
            case TensorStorage.RowMajor:
                slice.Slice(firstRow * columns, rows.Length).CopyTo(rows);
                break;
            case TensorStorage.Transposed:
                Transpose(slice[firstRow..], columns, count, tensor.Rows, rows, columns);
                break;
            default:
                for (int r = firstRow, end = firstRow + count; r < end;)
                {
                    (int start, int width, int stop) = Panel(tensor, r, end);
                    Transpose(slice[((start * columns) + (r - start))..], columns, stop - r, width, rows[((r - firstRow) * columns)..], columns);
                    r = stop;
                }

                break;
        }
    }

    /// <summary>Rows per chunk for about <paramref name="bytes"/> of <paramref name="elementSize"/>-byte elements: at least one, whole panels when possible.</summary>
    public static int ChunkRows(TensorInfo tensor, int bytes, int elementSize)
    {
        int rows = Math.Max(1, bytes / (tensor.Columns * elementSize));
        if (tensor.Storage == TensorStorage.Panels && rows > tensor.PanelWidth)
        {
            rows -= rows % tensor.PanelWidth;
        }

        return Math.Min(rows, tensor.Rows);
    }

    private static (int Start, int Width, int Stop) Panel(TensorInfo tensor, int row, int end)
    {
        int start = row / tensor.PanelWidth * tensor.PanelWidth;
        int width = Math.Min(tensor.PanelWidth, tensor.Rows - start);
        return (start, width, Math.Min(end, start + width));
    }

    private static int Check(TensorInfo tensor, int rowValues, int firstRow, int sliceLength)
    {
        int count = rowValues / tensor.Columns;
        if (rowValues != count * tensor.Columns || firstRow < 0 || firstRow + count > tensor.Rows || sliceLength != tensor.Length)
        {
            throw new ArgumentException($"Rows [{firstRow}, {firstRow + count}) of tensor '{tensor.Name}' {FileText.Shape(tensor.Shape)} do not fit ({rowValues} values, a slice of {sliceLength}).");
        }

        return count;
    }

    /// <summary><c>destination[c·destinationStride + r] = source[r·sourceStride + c]</c> for <c>r &lt; rows</c>, <c>c &lt; columns</c>.</summary>
    private static void Transpose<T>(ReadOnlySpan<T> source, int rows, int columns, int sourceStride, Span<T> destination, int destinationStride)
        where T : unmanaged
    {
        if (rows == 0 || columns == 0)
        {
            return;
        }

        // The last element each side touches lies inside its span, so the unchecked loops stay in bounds.
        if (((long)(rows - 1) * sourceStride) + columns > source.Length || ((long)(columns - 1) * destinationStride) + rows > destination.Length)
        {
            throw new ArgumentException("A transpose does not fit its spans.");
        }

        ref T s = ref MemoryMarshal.GetReference(source);
        ref T d = ref MemoryMarshal.GetReference(destination);
        int r0 = 0;
        if (typeof(T) == typeof(float) && Avx.IsSupported)
        {
            r0 = TransposeTiles8(ref Unsafe.As<T, float>(ref s), rows, columns, sourceStride, ref Unsafe.As<T, float>(ref d), destinationStride);
        }
        else if (typeof(T) == typeof(double) && Avx.IsSupported)
        {
            r0 = TransposeTiles4(ref Unsafe.As<T, double>(ref s), rows, columns, sourceStride, ref Unsafe.As<T, double>(ref d), destinationStride);
        }

        // The rows the tiles left (all of them without AVX), in scalar tiles that keep both sides in L1.
        for (; r0 < rows; r0 += Tile)
        {
            int rEnd = Math.Min(rows, r0 + Tile);
            for (int c0 = 0; c0 < columns; c0 += Tile)
            {
                int cEnd = Math.Min(columns, c0 + Tile);
                for (int c = c0; c < cEnd; c++)
                {
                    ref T to = ref Unsafe.Add(ref d, ((nint)c * destinationStride) + r0);
                    ref T from = ref Unsafe.Add(ref s, ((nint)r0 * sourceStride) + c);
                    for (int r = 0; r < rEnd - r0; r++)
                    {
                        Unsafe.Add(ref to, r) = Unsafe.Add(ref from, (nint)r * sourceStride);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Transposes the leading whole bands of 8 rows in 8×8 register tiles (unpack, shuffle, swap halves:
    /// 24 shuffles for 64 elements instead of 64 scalar loads and stores); the last columns of each band
    /// scalar. Returns the first row left.
    /// </summary>
    private static int TransposeTiles8(ref float s, int rows, int columns, int sourceStride, ref float d, int destinationStride)
    {
        int bands = rows / 8 * 8;
        int wide = columns / 8 * 8;
        for (int r0 = 0; r0 < bands; r0 += 8)
        {
            ref float band = ref Unsafe.Add(ref s, (nint)r0 * sourceStride);
            for (int c0 = 0; c0 < wide; c0 += 8)
            {
                ref float at = ref Unsafe.Add(ref band, c0);
                Vector256<float> a = Vector256.LoadUnsafe(ref at);
                Vector256<float> b = Vector256.LoadUnsafe(ref at, (nuint)sourceStride);
                Vector256<float> c = Vector256.LoadUnsafe(ref at, (nuint)(2 * sourceStride));
                Vector256<float> e = Vector256.LoadUnsafe(ref at, (nuint)(3 * sourceStride));
                Vector256<float> f = Vector256.LoadUnsafe(ref at, (nuint)(4 * sourceStride));
                Vector256<float> g = Vector256.LoadUnsafe(ref at, (nuint)(5 * sourceStride));
                Vector256<float> h = Vector256.LoadUnsafe(ref at, (nuint)(6 * sourceStride));
                Vector256<float> k = Vector256.LoadUnsafe(ref at, (nuint)(7 * sourceStride));
                Vector256<float> t0 = Avx.UnpackLow(a, b), t1 = Avx.UnpackHigh(a, b), t2 = Avx.UnpackLow(c, e), t3 = Avx.UnpackHigh(c, e);
                Vector256<float> t4 = Avx.UnpackLow(f, g), t5 = Avx.UnpackHigh(f, g), t6 = Avx.UnpackLow(h, k), t7 = Avx.UnpackHigh(h, k);
                Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE), u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
                Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE), u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
                ref float to = ref Unsafe.Add(ref d, ((nint)c0 * destinationStride) + r0);
                Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref to);
                Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref to, (nuint)destinationStride);
                Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref to, (nuint)(2 * destinationStride));
                Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref to, (nuint)(3 * destinationStride));
                Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref to, (nuint)(4 * destinationStride));
                Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref to, (nuint)(5 * destinationStride));
                Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref to, (nuint)(6 * destinationStride));
                Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref to, (nuint)(7 * destinationStride));
            }

            for (int c = wide; c < columns; c++)
            {
                ref float to = ref Unsafe.Add(ref d, ((nint)c * destinationStride) + r0);
                for (int r = 0; r < 8; r++)
                {
                    Unsafe.Add(ref to, r) = Unsafe.Add(ref band, ((nint)r * sourceStride) + c);
                }
            }
        }

        return bands;
    }

    /// <summary>The double form of <see cref="TransposeTiles8"/>: 4×4 tiles of 256-bit vectors.</summary>
    private static int TransposeTiles4(ref double s, int rows, int columns, int sourceStride, ref double d, int destinationStride)
    {
        int bands = rows / 4 * 4;
        int wide = columns / 4 * 4;
        for (int r0 = 0; r0 < bands; r0 += 4)
        {
            ref double band = ref Unsafe.Add(ref s, (nint)r0 * sourceStride);
            for (int c0 = 0; c0 < wide; c0 += 4)
            {
                ref double at = ref Unsafe.Add(ref band, c0);
                Vector256<double> a = Vector256.LoadUnsafe(ref at);
                Vector256<double> b = Vector256.LoadUnsafe(ref at, (nuint)sourceStride);
                Vector256<double> c = Vector256.LoadUnsafe(ref at, (nuint)(2 * sourceStride));
                Vector256<double> e = Vector256.LoadUnsafe(ref at, (nuint)(3 * sourceStride));
                Vector256<double> t0 = Avx.UnpackLow(a, b), t1 = Avx.UnpackHigh(a, b), t2 = Avx.UnpackLow(c, e), t3 = Avx.UnpackHigh(c, e);
                ref double to = ref Unsafe.Add(ref d, ((nint)c0 * destinationStride) + r0);
                Avx.Permute2x128(t0, t2, 0x20).StoreUnsafe(ref to);
                Avx.Permute2x128(t1, t3, 0x20).StoreUnsafe(ref to, (nuint)destinationStride);
                Avx.Permute2x128(t0, t2, 0x31).StoreUnsafe(ref to, (nuint)(2 * destinationStride));
                Avx.Permute2x128(t1, t3, 0x31).StoreUnsafe(ref to, (nuint)(3 * destinationStride));
            }

            for (int c = wide; c < columns; c++)
            {
                ref double to = ref Unsafe.Add(ref d, ((nint)c * destinationStride) + r0);
                for (int r = 0; r < 4; r++)
                {
                    Unsafe.Add(ref to, r) = Unsafe.Add(ref band, ((nint)r * sourceStride) + c);
                }
            }
        }

        return bands;
    }
}
