using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

/// <summary>
/// Writes the register-tile form of a step kernel: every gate of every unit accumulates in registers while
/// the weight rows stream past, then the cell runs on the registers (or, with 16 registers, through a
/// small stack buffer).
/// </summary>
internal static class TileKernelWriter
{
    /// <summary>The body of one kernel of <paramref name="shape"/>, whose tiles were chosen for <paramref name="kernelWidth"/>.</summary>
    public static void Write(IndentedTextWriter w, KernelContext k, VectorWidth kernelWidth, StepShape shape, bool projected)
        => WriteTile(w, k, shape.TileWidth, StepKernelWriter.RegisterCells(kernelWidth), shape.Tiles!, projected);

    /// <summary>
    /// The tile of every unit. Accumulator <c>{gate}{v}_{r}</c> holds vector v of the gate block for row set r.
    /// The new h is written only after every recurrent row has been read, so <c>hOut</c> may be <c>h</c>.
    /// </summary>
    private static void WriteTile(IndentedTextWriter w, KernelContext k, VectorWidth width, bool registerCells, TilePlan tiles, bool projected)
    {
        const string hNew = "hOut";
        string m = width.Math;
        int u = tiles.Units, lanes = width.Lanes, vectors = u / lanes, sets = tiles.RowSets;
        string At(int offset) => offset.ToString(CultureInfo.InvariantCulture);

        // Start: the biases (or the projection), then the row sets at zero.
        w.WriteLine(projected ? "// Start from the projection zx (and b_hh where zx lacks it)." : "// Start from the biases.");
        foreach (GateGroup group in k.Groups)
        {
            for (int v = 0; v < vectors; v++)
            {
                int column = (group.Block * k.H) + (v * lanes);
                w.WriteLine($"var {group.Name}{v} = {k.Start(m, group, projected, At(column))};");
                for (int r = 1; r < sets; r++)
                {
                    w.WriteLine($"var {group.Name}{v}_{r} = {m}.Zero;");
                }
            }
        }

        // Input rows, then recurrent rows.
        if (!projected)
        {
            w.WriteLine();
            w.WriteLine($"// + W_ih x: row k of W_ihᵀ times x_k, {sets} row set(s) of independent chains.");
            WriteRows(w, k, width, tiles, k.InputMatrix, "x", group => group.Input);
        }

        w.WriteLine();
        w.WriteLine($"// + W_hh h, the same way.");
        WriteRows(w, k, width, tiles, k.RecurrentMatrix, "h", group => group.Recurrent);

        w.WriteLine();
        if (registerCells)
        {
            // The cell, on the registers.
            w.WriteLine($"// The cell: {k.CellText}.");
            for (int v = 0; v < vectors; v++)
            {
                using (w.Block())
                {
                    foreach (GateGroup group in k.Groups)
                    {
                        w.WriteLine($"var {group.Name} = {StepKernelWriter.Sum(StepKernelWriter.RowSetTerms(group, v, sets))};");
                    }

                    CellWriter.WriteRegisterCell(w, k, m, At(v * lanes), hNew);
                }
            }

            return;
        }

        // With 16 vector registers the activations' constants would push the accumulators out of them;
        // park the gate sums on the stack and run the cell as passes of one activation each.
        w.WriteLine($"// The gate sums to a stack buffer [{string.Join(" ", k.Groups.Select(g => g.Name))}] × {u} units, then the cell: {k.CellText}.");
        w.WriteLine($"global::System.Span<{k.T}> gates = stackalloc {k.T}[{k.Groups.Count * u}];");
        w.WriteLine($"ref {k.T} sums = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(gates);");
        for (int v = 0; v < vectors; v++)
        {
            for (int g = 0; g < k.Groups.Count; g++)
            {
                w.WriteLine($"{m}.Store({StepKernelWriter.Sum(StepKernelWriter.RowSetTerms(k.Groups[g], v, sets))}, ref sums, {(g * u) + (v * lanes)});");
            }
        }

        CellWriter.WriteSplitCell(w, k, width, "sums", u, hNew, null);
    }

    /// <summary>The rows of one matrix into the tile's accumulators.</summary>
    private static void WriteRows(IndentedTextWriter w, KernelContext k, VectorWidth width, TilePlan tiles, MatrixInfo matrix, string vector, Func<GateGroup, bool> contributes)
    {
        string m = width.Math;
        int lanes = width.Lanes, vectors = tiles.Units / lanes, sets = tiles.RowSets;
        var slots = new List<(string Accumulator, int Column)>();
        foreach (GateGroup group in k.Groups.Where(contributes))
        {
            for (int v = 0; v < vectors; v++)
            {
                slots.Add(($"{group.Name}{v}", (group.Block * k.H) + (v * lanes)));
            }
        }

        // Offsets from the matrix's first element, which the model names.
        string baseRef = matrix.Name;
        w.WriteLine($"ref {k.T} {baseRef} = ref NrnnUnsafe.Add(ref p, {matrix.OffsetName});");
        int Address(int row, int column) => k.Address(matrix, row, column) - matrix.Offset;
        int Stride(int column) => k.RowStride(column);

        int full = matrix.Rows - (matrix.Rows % sets);
        if (full > 0)
        {
            using (w.Block($"for (int k = 0; k < {full}; k += {sets})"))
            {
                foreach (int stride in slots.Select(s => Stride(s.Column)).Distinct())
                {
                    w.WriteLine($"ref {k.T} row{stride} = ref NrnnUnsafe.Add(ref {baseRef}, k * {stride});");
                }

                for (int r = 0; r < sets; r++)
                {
                    w.WriteLine($"var {vector}{r} = {m}.Broadcast(ref {vector}, k{(r == 0 ? string.Empty : " + " + r)});");
                }

                for (int r = 0; r < sets; r++)
                {
                    foreach ((string accumulator, int column) in slots)
                    {
                        string a = r == 0 ? accumulator : $"{accumulator}_{r}";
                        int stride = Stride(column);
                        w.WriteLine($"{a} = {m}.Fma({vector}{r}, {m}.Load(ref row{stride}, {Address(0, column) + (r * stride)}), {a});");
                    }
                }
            }
        }

        for (int row = full; row < matrix.Rows; row++)
        {
            int r = row - full;
            w.WriteLine($"var {vector}r{row} = {m}.Broadcast(ref {vector}, {row});");
            foreach ((string accumulator, int column) in slots)
            {
                string a = r == 0 ? accumulator : $"{accumulator}_{r}";
                w.WriteLine($"{a} = {m}.Fma({vector}r{row}, {m}.Load(ref {baseRef}, {Address(row, column)}), {a});");
            }
        }
    }
}
