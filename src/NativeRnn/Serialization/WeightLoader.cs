using System;
using System.Buffers;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using NativeRnn.Kernels;

namespace NativeRnn.Serialization;

/// <summary>
/// Loads a model's parameter block from a safetensors file, atomically. First every check that needs no
/// data: each tensor the convention defines is present under its name, nothing unexpected is there (unless
/// ignored), every shape and type is right. Then each tensor is read in the file's order, converted and
/// checked for finiteness a chunk at a time, and packed into a staging block; only when all of it is in
/// does the staging block replace the parameters. Whatever fails, the model is as it was. The staging block
/// is the only allocation in proportion to the model (plus chunk buffers of a few hundred KiB). Bytes in
/// memory, which cannot change during the call, need no staging: every value is checked first, then
/// converted straight into the parameters.
/// </summary>
internal static class WeightLoader
{
    public static SafeTensorsLoadResult Load<T>(SafeTensorsReader reader, ModelDescription description, ModelLayout layout, Span<T> block, SafeTensorsOptions options)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(layout);
        layout.CheckBlock(block.Length, "parameters");
        FileTensor[] plan = WeightPlan.Create(description, layout, options);
        SafeTensorEntry[] entries = Match(reader, plan, options, out List<string> ignored);

        int[] order = new int[plan.Length];
        long[] offsets = new long[plan.Length];
        for (int i = 0; i < plan.Length; i++)
        {
            order[i] = i;
            offsets[i] = entries[i].DataOffset;
        }

        // In the file's order, so the file is read front to back.
        Array.Sort(offsets, order);
        if (reader.Source.IsInMemory)
        {
            // Bytes in memory do not change under the call (the caller's contract): check every value, then
            // convert straight into the block, which cannot fail. No staging block, no copy.
            foreach (int i in order)
            {
                Validate<T>(reader, plan[i], entries[i]);
            }

            foreach (int i in order)
            {
                Import(reader, plan[i], entries[i], block, check: false);
            }
        }
        else
        {
            // A file can change while it is read (another process may write it): stage, then copy.
            T[] staging = GC.AllocateUninitializedArray<T>(layout.ParameterCount);
            foreach (int i in order)
            {
                Import<T>(reader, plan[i], entries[i], staging, check: true);
            }

            staging.CopyTo(block);
        }

        return new SafeTensorsLoadResult(reader.Metadata, ignored);
    }

    private static void Import<T>(SafeTensorsReader reader, FileTensor tensor, SafeTensorEntry entry, Span<T> destination, bool check)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (tensor.Form == FileTensorForm.Direct)
        {
            ImportRows(reader, tensor, entry, destination, check);
        }
        else
        {
            ImportWhole(reader, tensor, entry, destination, check);
        }
    }

    /// <summary>Checks every value of a tensor as it will be loaded, writing nothing.</summary>
    private static void Validate<T>(SafeTensorsReader reader, FileTensor tensor, SafeTensorEntry entry)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (tensor.Form != FileTensorForm.Direct)
        {
            CheckFinite<T>(reader, tensor, reader.ReadArray<T>(entry), 0);
            return;
        }

        if (reader.TryGetElements(entry, out ReadOnlySpan<T> all))
        {
            CheckFinite(reader, tensor, all, 0);
            return;
        }

        int length = (int)Math.Min(entry.ElementCount, SafeTensorsReader.ChunkBytes / Unsafe.SizeOf<T>());
        T[] buffer = ArrayPool<T>.Shared.Rent(Math.Max(length, 1));
        try
        {
            for (long first = 0; first < entry.ElementCount; first += length)
            {
                Span<T> chunk = buffer.AsSpan(0, (int)Math.Min(length, entry.ElementCount - first));
                reader.ReadElements(entry, first, chunk);
                CheckFinite<T>(reader, tensor, chunk, first);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
    }

    /// <summary>The file's entry for each tensor of the plan; refuses missing, unexpected, mistyped and misshapen tensors.</summary>
    private static SafeTensorEntry[] Match(SafeTensorsReader reader, FileTensor[] plan, SafeTensorsOptions options, out List<string> ignored)
    {
        var entries = new SafeTensorEntry[plan.Length];
        var missing = new List<FileTensor>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < plan.Length; i++)
        {
            if (reader.TryGetTensor(plan[i].FileName, out SafeTensorEntry? entry))
            {
                entries[i] = entry;
                used.Add(entry.Name);
            }
            else
            {
                missing.Add(plan[i]);
            }
        }

        var unexpected = new List<SafeTensorEntry>();
        foreach (SafeTensorEntry entry in reader.Tensors)
        {
            if (!used.Contains(entry.Name))
            {
                unexpected.Add(entry);
            }
        }

        if (missing.Count > 0 || (unexpected.Count > 0 && !options.IgnoreUnexpected))
        {
            throw NameMismatch(reader, plan, missing, unexpected, options);
        }

        ignored = unexpected.ConvertAll(e => e.Name);
        int misshapen = 0;
        int first = -1;
        for (int i = 0; i < plan.Length; i++)
        {
            SafeTensorEntry entry = entries[i];
            if (!SafeTensorTypes.IsConvertible(entry.Type))
            {
                string found = SafeTensorTypes.Name(entry.Type);
                throw Mismatch(WeightFileError.TypeMismatch, reader, plan[i], $"tensor {plan[i].Describe()} holds {found} values; a model loads F16, BF16, F32 or F64", "F16, BF16, F32 or F64", found);
            }

            if (!entry.Shape.SequenceEqual(plan[i].Shape))
            {
                misshapen++;
                first = first < 0 ? i : first;
            }
        }

        if (first >= 0)
        {
            FileTensor tensor = plan[first];
            SafeTensorEntry entry = entries[first];
            string more = misshapen > 1 ? $"; {misshapen - 1} more tensors differ in shape" : string.Empty;
            throw Mismatch(WeightFileError.ShapeMismatch, reader, tensor, $"tensor {tensor.Describe()} has shape {entry.ShapeText} but the model needs {tensor.ShapeText}{ShapeHint(entry, tensor, options)}{more}", tensor.ShapeText, entry.ShapeText);
        }

        return entries;
    }

    private static string ShapeHint(SafeTensorEntry entry, FileTensor tensor, SafeTensorsOptions options)
    {
        ReadOnlySpan<int> found = entry.Shape, expected = tensor.Shape;
        if (found.Length == 2 && expected.Length == 2 && found[0] == expected[1] && found[1] == expected[0])
        {
            return options.Convention == WeightConvention.PyTorch
                ? " (its transpose: a Keras-style kernel? see SafeTensorsOptions.Convention)"
                : " (its transpose)";
        }

        return entry.ElementCount == tensor.ElementCount ? $" (the same {entry.ElementCount} elements in another shape)" : string.Empty;
    }

    /// <summary>A direct tensor, a chunk of rows at a time: read (converting), check, pack.</summary>
    private static void ImportRows<T>(SafeTensorsReader reader, FileTensor tensor, SafeTensorEntry entry, Span<T> destination, bool check)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        TensorInfo target = tensor.Primary;
        Span<T> slice = target.Slice(destination);
        if (target.Storage == TensorStorage.RowMajor)
        {
            reader.ReadElements(entry, 0, slice);
            CheckFinite<T>(reader, tensor, slice, 0, check);
            return;
        }

        if (reader.TryGetElements(entry, out ReadOnlySpan<T> all))
        {
            CheckFinite(reader, tensor, all, 0, check);
            TensorPacking.PackRows(target, all, 0, slice);
            return;
        }

        int columns = target.Columns;
        int rowsPerChunk = TensorPacking.ChunkRows(target, SafeTensorsReader.ChunkBytes, Unsafe.SizeOf<T>());
        T[] buffer = ArrayPool<T>.Shared.Rent(rowsPerChunk * columns);
        try
        {
            for (int r = 0; r < target.Rows; r += rowsPerChunk)
            {
                int n = Math.Min(rowsPerChunk, target.Rows - r);
                Span<T> rows = buffer.AsSpan(0, n * columns);
                reader.ReadElements(entry, (long)r * columns, rows);
                CheckFinite<T>(reader, tensor, rows, (long)r * columns, check);
                TensorPacking.PackRows<T>(target, rows, r, slice);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
    }

    /// <summary>A reordered or combined tensor (the Keras forms): read whole, check, rearrange into PyTorch's layout, pack.</summary>
    private static void ImportWhole<T>(SafeTensorsReader reader, FileTensor tensor, SafeTensorEntry entry, Span<T> destination, bool check)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        T[] file = reader.ReadArray<T>(entry);
        CheckFinite<T>(reader, tensor, file, 0, check);
        TensorInfo primary = tensor.Primary;
        int blockRows = primary.Rows / primary.Gates;
        switch (tensor.Form)
        {
            case FileTensorForm.TransposedGates:
                // file[i, g·B + u] is the model's [order(g)·B + u, i].
                int rows = primary.Rows, columns = primary.Columns;
                T[] rowMajor = new T[rows * columns];
                for (int i = 0; i < columns; i++)
                {
                    for (int g = 0; g < primary.Gates; g++)
                    {
                        int modelBlock = tensor.GateOrder?[g] ?? g;
                        for (int u = 0; u < blockRows; u++)
                        {
                            rowMajor[(((modelBlock * blockRows) + u) * columns) + i] = file[(i * rows) + (g * blockRows) + u];
                        }
                    }
                }

                TensorPacking.PackRows<T>(primary, rowMajor, 0, primary.Slice(destination));
                break;
            case FileTensorForm.SummedBias:
                Reorder<T>(file, tensor.GateOrder, blockRows, primary.Slice(destination));
                tensor.Secondary!.Slice(destination).Clear();
                break;
            case FileTensorForm.StackedBiases:
                Reorder<T>(file.AsSpan(0, primary.Rows), tensor.GateOrder, blockRows, primary.Slice(destination));
                Reorder<T>(file.AsSpan(primary.Rows), tensor.GateOrder, blockRows, tensor.Secondary!.Slice(destination));
                break;
            default:
                throw new InvalidOperationException($"No import for {tensor.Form}.");
        }
    }

    /// <summary><c>model[order(g)·B + u] = file[g·B + u]</c>.</summary>
    internal static void Reorder<T>(ReadOnlySpan<T> file, int[]? order, int blockRows, Span<T> model)
    {
        for (int g = 0; g < file.Length / blockRows; g++)
        {
            file.Slice(g * blockRows, blockRows).CopyTo(model.Slice((order?[g] ?? g) * blockRows, blockRows));
        }
    }

    private static void CheckFinite<T>(SafeTensorsReader reader, FileTensor tensor, ReadOnlySpan<T> values, long first, bool check = true)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (!check || Guard.AllFinite(values))
        {
            return;
        }

        int i = 0;
        while (T.IsFinite(values[i]))
        {
            i++;
        }

        string value = values[i].ToString(null, CultureInfo.InvariantCulture);
        string at = Index(first + i, tensor.Shape);
        throw Mismatch(WeightFileError.NonFiniteValue, reader, tensor, $"tensor {tensor.Describe()} has the non-finite value {value} at {at}; a model's parameters must be finite", "finite values", $"{value} at {at}");
    }

    /// <summary>A flat row-major index as <c>[i, j, …]</c> in <paramref name="shape"/>.</summary>
    internal static string Index(long flat, ReadOnlySpan<int> shape)
    {
        Span<long> index = stackalloc long[Math.Max(shape.Length, 1)];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }

        var builder = new StringBuilder("[");
        for (int d = 0; d < shape.Length; d++)
        {
            builder.Append(d == 0 ? string.Empty : ", ").Append(index[d].ToString(CultureInfo.InvariantCulture));
        }

        return builder.Append(']').ToString();
    }

    private static WeightFileException Mismatch(WeightFileError error, SafeTensorsReader reader, FileTensor tensor, string what, string expected, string found)
        => new(error, reader.SourceName, $"{FileText.Sanitize(reader.SourceName, 200)} does not fit the model: {what}.", FileText.Sanitize(tensor.FileName), expected, found);

    private static WeightFileException NameMismatch(SafeTensorsReader reader, FileTensor[] plan, List<FileTensor> missing, List<SafeTensorEntry> unexpected, SafeTensorsOptions options)
    {
        string what = missing.Count > 0 && unexpected.Count > 0
            ? $"{missing.Count} of the model's {plan.Length} tensors are missing and {unexpected.Count} of the file's {reader.Tensors.Count} are unexpected"
            : missing.Count > 0
                ? $"{missing.Count} of the model's {plan.Length} tensors are missing"
                : $"{unexpected.Count} of the file's {reader.Tensors.Count} tensors are unexpected (set IgnoreUnexpected to skip them)";
        // Only the names a message shows are formatted: a file may hold a hundred thousand.
        List<string> expected = Listed(missing, missing.Count, t => $"{FileText.Quote(t.FileName)} {t.ShapeText}");
        IReadOnlyList<SafeTensorEntry> shown = unexpected.Count > 0 ? unexpected : reader.Tensors;
        List<string> found = Listed(shown, shown.Count, e => $"{FileText.Quote(e.Name)} {e.ShapeText}");
        string message = $"{FileText.Sanitize(reader.SourceName, 200)} does not fit the model: {what}. "
            + (missing.Count > 0 ? $"Missing: {FileText.List(expected, missing.Count)}. " : string.Empty)
            + $"{(unexpected.Count > 0 ? "Unexpected" : "The file has")}: {FileText.List(found, shown.Count)}."
            + Suggest(reader, missing, unexpected, options);
        return missing.Count > 0
            ? new WeightFileException(WeightFileError.MissingTensor, reader.SourceName, message, FileText.Sanitize(missing[0].FileName), FileText.List(expected, missing.Count), FileText.List(found, shown.Count))
            : new WeightFileException(WeightFileError.UnexpectedTensor, reader.SourceName, message, FileText.Sanitize(unexpected[0].Name), "only the model's tensors", FileText.List(found, shown.Count));
    }

    /// <summary>The first <see cref="FileText.MaxListed"/> items formatted, then placeholders that only count the rest.</summary>
    private static List<string> Listed<TItem>(IReadOnlyList<TItem> items, int count, Func<TItem, string> format)
    {
        var listed = new List<string>(Math.Min(count, FileText.MaxListed + 1));
        for (int i = 0; i < Math.Min(count, FileText.MaxListed); i++)
        {
            listed.Add(format(items[i]));
        }

        return listed;
    }

    /// <summary>The options that would make the names match, when the file's names say so: a prefix that fits every unmapped tensor, and name-map entries for the rest by shape.</summary>
    private static string Suggest(SafeTensorsReader reader, List<FileTensor> missing, List<SafeTensorEntry> unexpected, SafeTensorsOptions options)
    {
        if (missing.Count == 0 || unexpected.Count == 0)
        {
            return string.Empty;
        }

        var suggestions = new List<string>();
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        string? prefix = null;
        FileTensor? probe = missing.Find(t => !options.NameMap.ContainsKey(t.CanonicalName) && t.CanonicalName.Contains('_', StringComparison.Ordinal));
        if (probe is not null)
        {
            // A few candidates suffice for a real file; a hostile one with many look-alike names gets no suggestion.
            int examined = 0;
            foreach (SafeTensorEntry candidate in unexpected)
            {
                if (!candidate.Name.EndsWith(probe.CanonicalName, StringComparison.Ordinal) || ++examined > 64)
                {
                    continue;
                }

                string p = candidate.Name[..^probe.CanonicalName.Length];
                if (missing.TrueForAll(t => options.NameMap.ContainsKey(t.CanonicalName) || !t.CanonicalName.Contains('_', StringComparison.Ordinal) || reader.TryGetTensor(p + t.CanonicalName, out _)))
                {
                    prefix = p;
                    break;
                }
            }
        }

        if (prefix is not null && prefix != options.Prefix)
        {
            suggestions.Add($"Prefix = \"{FileText.Sanitize(prefix)}\"");
        }

        foreach (FileTensor tensor in missing)
        {
            if (prefix is not null && reader.TryGetTensor(prefix + tensor.CanonicalName, out SafeTensorEntry? byPrefix))
            {
                claimed.Add(byPrefix.Name);
            }
        }

        foreach (FileTensor tensor in missing)
        {
            if (prefix is not null && reader.TryGetTensor(prefix + tensor.CanonicalName, out _))
            {
                continue;
            }

            // The one unclaimed tensor with this shape whose name ends the same way ("….weight", "….bias").
            string ending = tensor.CanonicalName[(tensor.CanonicalName.LastIndexOfAny(['.', '/']) + 1)..];
            SafeTensorEntry? match = null;
            int matches = 0;
            foreach (SafeTensorEntry candidate in unexpected)
            {
                if (!claimed.Contains(candidate.Name) && candidate.Shape.SequenceEqual(tensor.Shape) && candidate.Name.EndsWith(ending, StringComparison.Ordinal))
                {
                    match = candidate;
                    matches++;
                }
            }

            if (matches == 1)
            {
                claimed.Add(match!.Name);
                suggestions.Add($"NameMap[\"{tensor.CanonicalName}\"] = \"{FileText.Sanitize(match.Name)}\"");
            }
        }

        return suggestions.Count == 0 ? string.Empty : $" Did you mean {FileText.List(suggestions)}?";
    }
}
