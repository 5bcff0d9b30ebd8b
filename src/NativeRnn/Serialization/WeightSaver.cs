using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Numerics;
using System.Runtime.CompilerServices;
using NativeRnn.Kernels;

namespace NativeRnn.Serialization;

/// <summary>
/// Writes a model's parameter block as a safetensors file under a convention: the header, then each
/// tensor unpacked into the convention's layout and converted a chunk at a time. Everything that could
/// fail — a non-finite parameter, a value too large for a narrower <see cref="SafeTensorsOptions.SaveType"/>
/// — is checked before the first byte is written.
/// </summary>
internal static class WeightSaver
{
    private delegate void ChunkSink<T>(FileTensor tensor, ReadOnlySpan<T> values, long first);

    public static void Save<T>(Stream destination, ModelDescription description, ModelLayout layout, ReadOnlySpan<T> block, SafeTensorsOptions options)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(layout);
        layout.CheckBlock(block.Length, "parameters");
        FileTensor[] plan = WeightPlan.Create(description, layout, options);
        SafeTensorType type = options.SaveType ?? SafeTensorTypes.Of<T>();
        if (!SafeTensorTypes.IsConvertible(type))
        {
            throw new ArgumentException($"Parameters are saved as F16, BF16, F32 or F64, not {SafeTensorTypes.Name(type)}.", nameof(options));
        }

        CheckFinite(layout, block);
        T[] buffer = ArrayPool<T>.Shared.Rent(SafeTensorsReader.ChunkBytes / Unsafe.SizeOf<T>());
        byte[] bytes = ArrayPool<byte>.Shared.Rent(SafeTensorsReader.ChunkBytes);
        try
        {
            if (SafeTensorTypes.SizeOf(type) < Unsafe.SizeOf<T>())
            {
                // A narrower type: every value must fit before anything is written.
                foreach (FileTensor tensor in plan)
                {
                    Produce(tensor, block, buffer, (t, values, first) => Convert(t, values, first, type, bytes, null));
                }
            }

            var headers = new List<TensorHeader>(plan.Length);
            foreach (FileTensor tensor in plan)
            {
                headers.Add(new TensorHeader(tensor.FileName, type, tensor.Shape.ToArray()));
            }

            var metadata = new Dictionary<string, string>(options.Metadata, StringComparer.Ordinal);
            if (options.Convention == WeightConvention.PyTorch)
            {
                metadata.TryAdd("format", "pt");
            }

            destination.Write(SafeTensorsHeaderWriter.Build(headers, metadata));
            foreach (FileTensor tensor in plan)
            {
                Produce(tensor, block, buffer, (t, values, first) => Convert(t, values, first, type, bytes, destination));
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Converts values to the file's type a chunk of bytes at a time, writing them when there is a destination; refuses a value that does not fit.</summary>
    private static void Convert<T>(FileTensor tensor, ReadOnlySpan<T> values, long first, SafeTensorType type, byte[] bytes, Stream? destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int size = SafeTensorTypes.SizeOf(type);
        int perChunk = bytes.Length / size;
        for (int done = 0; done < values.Length; done += perChunk)
        {
            int n = Math.Min(perChunk, values.Length - done);
            Span<byte> chunk = bytes.AsSpan(0, n * size);
            int overflow = TensorConversion.FromElements(values.Slice(done, n), type, chunk);
            if (overflow >= 0)
            {
                T value = values[done + overflow];
                throw new ArgumentException(
                    $"Tensor '{tensor.Primary.Name}' holds {value.ToString(null, CultureInfo.InvariantCulture)} at {WeightLoader.Index(first + done + overflow, tensor.Shape)}, which {SafeTensorTypes.Name(type)} cannot hold; nothing was written.",
                    nameof(type));
            }

            destination?.Write(chunk);
        }
    }

    /// <summary>Hands the file tensor's values, in the file's row-major layout, to <paramref name="sink"/> in chunks.</summary>
    private static void Produce<T>(FileTensor tensor, ReadOnlySpan<T> block, T[] buffer, ChunkSink<T> sink)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TensorInfo primary = tensor.Primary;
        ReadOnlySpan<T> slice = primary.Slice(block);
        int blockRows = primary.Rows / primary.Gates;
        switch (tensor.Form)
        {
            case FileTensorForm.Direct:
                if (primary.Storage == TensorStorage.RowMajor)
                {
                    sink(tensor, slice, 0);
                    return;
                }

                int columns = primary.Columns;
                int rowsPerChunk = TensorPacking.ChunkRows(primary, SafeTensorsReader.ChunkBytes, Unsafe.SizeOf<T>());
                T[] rowBuffer = rowsPerChunk * columns <= buffer.Length ? buffer : new T[rowsPerChunk * columns];
                for (int r = 0; r < primary.Rows; r += rowsPerChunk)
                {
                    int n = Math.Min(rowsPerChunk, primary.Rows - r);
                    Span<T> rows = rowBuffer.AsSpan(0, n * columns);
                    TensorPacking.UnpackRows(primary, slice, r, rows);
                    sink(tensor, rows, (long)r * columns);
                }

                return;
            case FileTensorForm.TransposedGates:
                int modelRows = primary.Rows, modelColumns = primary.Columns;
                T[] rowMajor = new T[primary.Length];
                TensorPacking.UnpackRows<T>(primary, slice, 0, rowMajor);
                T[] file = new T[primary.Length];
                for (int i = 0; i < modelColumns; i++)
                {
                    for (int g = 0; g < primary.Gates; g++)
                    {
                        int modelBlock = tensor.GateOrder?[g] ?? g;
                        for (int u = 0; u < blockRows; u++)
                        {
                            file[(i * modelRows) + (g * blockRows) + u] = rowMajor[(((modelBlock * blockRows) + u) * modelColumns) + i];
                        }
                    }
                }

                sink(tensor, file, 0);
                return;
            case FileTensorForm.SummedBias:
                T[] sum = new T[primary.Rows];
                ReadOnlySpan<T> hh = tensor.Secondary!.Slice(block);
                for (int g = 0; g < primary.Gates; g++)
                {
                    int from = (tensor.GateOrder?[g] ?? g) * blockRows;
                    for (int u = 0; u < blockRows; u++)
                    {
                        sum[(g * blockRows) + u] = slice[from + u] + hh[from + u];
                    }
                }

                sink(tensor, sum, 0);
                return;
            case FileTensorForm.StackedBiases:
                T[] stacked = new T[2 * primary.Rows];
                Gather(slice, tensor.GateOrder, blockRows, stacked.AsSpan(0, primary.Rows));
                Gather(tensor.Secondary!.Slice(block), tensor.GateOrder, blockRows, stacked.AsSpan(primary.Rows));
                sink(tensor, stacked, 0);
                return;
            default:
                throw new InvalidOperationException($"No export for {tensor.Form}.");
        }
    }

    /// <summary><c>file[g·B + u] = model[order(g)·B + u]</c>.</summary>
    private static void Gather<T>(ReadOnlySpan<T> model, int[]? order, int blockRows, Span<T> file)
    {
        for (int g = 0; g < file.Length / blockRows; g++)
        {
            model.Slice((order?[g] ?? g) * blockRows, blockRows).CopyTo(file.Slice(g * blockRows, blockRows));
        }
    }

    private static void CheckFinite<T>(ModelLayout layout, ReadOnlySpan<T> block)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (Guard.AllFinite(block))
        {
            return;
        }

        foreach (TensorInfo tensor in layout)
        {
            T[] values = new T[tensor.Length];
            tensor.Export(block, values);
            int i = Array.FindIndex(values, v => !T.IsFinite(v));
            if (i >= 0)
            {
                throw new ArgumentException($"The parameters hold {values[i].ToString(null, CultureInfo.InvariantCulture)} in tensor '{tensor.Name}' at {WeightLoader.Index(i, tensor.Shape)}; a model with non-finite parameters is not saved.", nameof(block));
            }
        }
    }
}
