using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
        for (int r0 = 0; r0 < rows; r0 += Tile)
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
}
