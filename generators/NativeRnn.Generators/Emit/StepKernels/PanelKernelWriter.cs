using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

/// <summary>
/// Writes the panel form of a step kernel: each weight panel streamed front to back into a stack buffer of
/// pre-activations (every weight read once, in address order), then a vectorised cell pass.
/// </summary>
internal static class PanelKernelWriter
{
    /// <summary>The body of one kernel at <paramref name="width"/>.</summary>
    public static void Write(IndentedTextWriter w, KernelContext k, VectorWidth width, bool projected)
    {
        if (k.ResetBefore)
        {
            WriteResetBefore(w, k, width, projected);
            return;
        }

        int gh = k.Gates * k.H;
        bool gru = k.Layer.Kind == LayerKind.Gru;

        k.WriteBuffers(w, projected);
        var passes = new List<PanelPass>();
        if (gru)
        {
            if (!projected)
            {
                passes.Add(new PanelPass("zi", Input: true, Recurrent: false));
            }

            passes.Add(new PanelPass("zh", Input: false, Recurrent: true));
            w.WriteLine();
            w.WriteLine(projected
                ? "// zh = b_hh + W_hh h, panel by panel."
                : "// zi = b_ih + W_ih x and zh = b_hh + W_hh h, panel by panel: each panel's input rows, then its recurrent rows.");
        }
        else
        {
            passes.Add(new PanelPass("z", Input: !projected, Recurrent: true));
            w.WriteLine();
            w.WriteLine(projected ? "// z = zx + W_hh h, panel by panel." : "// z = b_ih + b_hh + W_ih x + W_hh h, panel by panel: each panel's input rows, then its recurrent rows.");
        }

        WritePanelProducts(w, k, width, passes, projected);

        w.WriteLine();
        w.WriteLine($"// The cell: {k.CellText}.");
        if (StepKernelWriter.RegisterCells(width))
        {
            WriteCellPass(w, k, width);
        }
        else
        {
            CellWriter.WriteSplitCell(w, k, width, gru ? "zh" : "z", k.H, "hOut", gru ? "zi" : null);
        }
    }

    /// <summary>
    /// A reset-before GRU in two phases: the r and z columns (<c>zi</c> from <c>x</c>, <c>zh</c> from <c>h</c>), then
    /// <c>r = σ</c>, <c>z = σ</c> and <c>r ⊙ h</c>; then the n columns (<c>zh</c> from <c>r ⊙ h</c>) and the rest of the cell.
    /// </summary>
    private static void WriteResetBefore(IndentedTextWriter w, KernelContext k, VectorWidth width, bool projected)
    {
        int h = k.H, gh = k.Gates * h;
        k.WriteBuffers(w, projected);
        w.WriteLine();
        w.WriteLine(projected
            ? "// r and z: zh = b_hh + W_hh h over their columns, panel by panel."
            : "// r and z: zi = b_ih + W_ih x and zh = b_hh + W_hh h over their columns, panel by panel.");
        WriteColumnRange(w, k, width, projected, "h", 0, 2 * h);
        w.WriteLine();
        w.WriteLine("// r, z = σ(zi + zh) into zh; then r ⊙ h.");
        CellWriter.WriteRegion(w, k, width, 2 * h, (m, v) => w.WriteLine($"{m}.Store({m}.Sigmoid({m}.Load(ref zi, {v}) + {m}.Load(ref zh, {v})), ref zh, {v});"));
        CellWriter.WriteRegion(w, k, width, h, (m, v) => w.WriteLine($"{m}.Store({m}.Load(ref zh, {v}) * {m}.Load(ref h, {v}), ref rh, {v});"));
        w.WriteLine();
        w.WriteLine(projected
            ? "// n: zh = b_hn + W_hn (r ⊙ h), panel by panel."
            : "// n: zi = b_in + W_in x and zh = b_hn + W_hn (r ⊙ h), panel by panel.");
        WriteColumnRange(w, k, width, projected, "rh", 2 * h, gh);
        w.WriteLine();
        w.WriteLine("// n = tanh(zi + zh); h = n + z ⊙ (h − n).");
        CellWriter.WriteRegion(w, k, width, h, (m, v) =>
        {
            w.WriteLine($"var n = {m}.Tanh({m}.Load(ref zi, {KernelContext.Plus(v, 2 * h)}) + {m}.Load(ref zh, {KernelContext.Plus(v, 2 * h)}));");
            w.WriteLine($"{m}.Store({m}.Fma({m}.Load(ref zh, {KernelContext.Plus(v, h)}), {m}.Load(ref h, {v}) - n, n), ref hOut, {v});");
        });
    }

    /// <summary>
    /// Gate columns [<paramref name="first"/>, <paramref name="end"/>) into <c>zi</c> (unless <paramref name="projected"/>)
    /// and <c>zh</c>, the recurrent rows times <paramref name="recurrent"/>: the part of a panel the range starts in, the
    /// whole panels (a loop when there are several), the part of the panel it ends in.
    /// </summary>
    private static void WriteColumnRange(IndentedTextWriter w, KernelContext k, VectorWidth width, bool projected, string recurrent, int first, int end)
    {
        int gh = k.Gates * k.H, panel = k.Plan.PanelWidth;
        var pieces = new List<(int Panel, int Columns, int From, int To)>();
        for (int column = first; column < end;)
        {
            int q = column / panel, start = q * panel, columns = Math.Min(panel, gh - start);
            int stop = Math.Min(end, start + columns);
            pieces.Add((q, columns, column - start, stop - start));
            column = stop;
        }

        void Piece(string index, int columns, int from, int to)
        {
            if (!projected)
            {
                WritePanel(w, k, width, "zi", projected, input: true, recurrent: null, index, columns, from, to);
            }

            WritePanel(w, k, width, "zh", projected, input: false, recurrent, index, columns, from, to);
        }

        for (int i = 0; i < pieces.Count;)
        {
            // A run of whole panels of full width is one loop.
            int run = i;
            while (run < pieces.Count && pieces[run].From == 0 && pieces[run].To == panel && pieces[run].Columns == panel)
            {
                run++;
            }

            if (run - i > 1)
            {
                using (w.Block($"for (int q = {pieces[i].Panel}; q < {pieces[run - 1].Panel + 1}; q++)"))
                {
                    Piece("q", panel, 0, panel);
                }

                i = run;
                continue;
            }

            (int q, int columns, int from, int to) = pieces[i];
            Piece(q.ToString(CultureInfo.InvariantCulture), columns, from, to);
            i++;
        }
    }

    /// <summary>What one panel contributes where: the input rows, the recurrent rows, or both, into one buffer.</summary>
    private sealed record PanelPass(string Destination, bool Input, bool Recurrent);

    /// <summary>Every panel of the weights, each through all <paramref name="passes"/>, in one sweep.</summary>
    private static void WritePanelProducts(IndentedTextWriter w, KernelContext k, VectorWidth width, List<PanelPass> passes, bool projected)
    {
        int gh = k.Gates * k.H, panel = k.Plan.PanelWidth;
        int fullPanels = gh / panel, partial = gh % panel;
        void Panel(string index, int columns)
        {
            foreach (PanelPass pass in passes)
            {
                WritePanel(w, k, width, pass.Destination, projected, pass.Input, pass.Recurrent, index, columns);
            }
        }

        if (fullPanels > 1)
        {
            StepKernelWriter.WriteSweepLoop(w, k, fullPanels, "q", () => Panel("q", panel));
        }
        else if (fullPanels == 1)
        {
            Panel("0", panel);
        }

        if (partial > 0)
        {
            Panel(fullPanels.ToString(CultureInfo.InvariantCulture), partial);
        }
    }

    /// <summary>
    /// One panel (<paramref name="columns"/> wide, panel index <paramref name="panel"/>: a constant or the
    /// loop variable) in column groups that fit the register budget; each group reads the panel's rows in order.
    /// </summary>
    private static void WritePanel(IndentedTextWriter w, KernelContext k, VectorWidth width, string destination, bool projected, bool input, bool recurrent, string panel, int columns)
        => WritePanel(w, k, width, destination, projected, input, recurrent ? "h" : null, panel, columns, 0, columns);

    /// <summary>
    /// Columns [<paramref name="from"/>, <paramref name="to"/>) of one panel (<paramref name="columns"/> wide, so its
    /// rows are that far apart): the input rows times <c>x</c> when <paramref name="input"/>, then the recurrent rows
    /// times <paramref name="recurrent"/> (a vector name, or null for none).
    /// </summary>
    private static void WritePanel(IndentedTextWriter w, KernelContext k, VectorWidth width, string destination, bool projected, bool input, string? recurrent, string panel, int columns, int from, int to)
    {
        int panelWidth = k.Plan.PanelWidth;
        bool constant = int.TryParse(panel, NumberStyles.None, CultureInfo.InvariantCulture, out int panelIndex);
        string columnBase = constant ? (panelIndex * panelWidth).ToString(CultureInfo.InvariantCulture) : $"{panel} * {panelWidth}";
        string Column(int offset) => KernelContext.Plus(columnBase, offset);

        // Slots: full vectors, then narrower ones, then single elements.
        var slots = new List<(VectorWidth Width, int Offset)>();
        int offset = from;
        foreach (VectorWidth slotWidth in width.AndNarrower(k.Plan.ElementSize))
        {
            while (offset + slotWidth.Lanes <= to)
            {
                slots.Add((slotWidth, offset));
                offset += slotWidth.Lanes;
            }
        }

        int groupSize = Math.Min(slots.Count, width.Budget);
        for (int start = 0; start < slots.Count; start += groupSize)
        {
            var group = slots.Skip(start).Take(groupSize).ToList();
            int sets = KernelContext.RowSets(group.Count, width);
            if (slots.Count > groupSize)
            {
                w.WriteLine($"// Columns [{group[0].Offset}, {group[group.Count - 1].Offset + group[group.Count - 1].Width.Lanes}) of the panel.");
            }

            using (w.Block())
            {
                for (int s = 0; s < group.Count; s++)
                {
                    (VectorWidth sw, int so) = group[s];
                    string start0 = k.PanelStart(sw.Math, destination, projected, Column(so));
                    w.WriteLine($"var a{s} = {start0};");
                    for (int r = 1; r < sets; r++)
                    {
                        w.WriteLine($"var a{s}_{r} = {sw.Math}.Zero;");
                    }
                }

                if (input)
                {
                    WritePanelRows(w, k, group, sets, k.InputMatrix, "x", panel, constant, panelIndex, columns);
                }

                if (recurrent is not null)
                {
                    WritePanelRows(w, k, group, sets, k.RecurrentMatrix, recurrent, panel, constant, panelIndex, columns);
                }

                for (int s = 0; s < group.Count; s++)
                {
                    (VectorWidth sw, int so) = group[s];
                    var terms = new List<string> { $"a{s}" };
                    terms.AddRange(Enumerable.Range(1, sets - 1).Select(r => $"a{s}_{r}"));
                    w.WriteLine($"{sw.Math}.Store({StepKernelWriter.Sum(terms)}, ref {destination}, {Column(so)});");
                }
            }
        }
    }

    private static void WritePanelRows(IndentedTextWriter w, KernelContext k, List<(VectorWidth Width, int Offset)> group, int sets, MatrixInfo matrix, string vector, string panel, bool constant, int panelIndex, int columns)
    {
        int panelWidth = k.Plan.PanelWidth;

        // Panel q of a [rows, G·H] panel-major matrix starts at q·P·rows; its rows are `columns` apart.
        string start = constant
            ? (panelIndex == 0 ? matrix.OffsetName : $"{matrix.OffsetName} + {panelIndex * panelWidth * matrix.Rows}")
            : $"{matrix.OffsetName} + ({panel} * {panelWidth * matrix.Rows})";
        string name = matrix.Name + "Panel";
        w.WriteLine($"ref {k.T} {name} = ref NrnnUnsafe.Add(ref p, {start});");
        int full = matrix.Rows - (matrix.Rows % sets);
        var broadcastWidths = group.Select(g => g.Width).GroupBy(g => g.Bits).Select(g => g.First()).ToList();
        string Broadcast(VectorWidth width, int r) => $"{vector}{r}_{(width.Bits == 0 ? 1 : width.Bits)}";
        if (full > 0)
        {
            using (w.Block($"for (int k = 0; k < {full}; k += {sets})"))
            {
                w.WriteLine($"ref {k.T} row = ref NrnnUnsafe.Add(ref {name}, k * {columns});");
                for (int r = 0; r < sets; r++)
                {
                    foreach (VectorWidth bw in broadcastWidths)
                    {
                        w.WriteLine($"var {Broadcast(bw, r)} = {bw.Math}.Broadcast(ref {vector}, k{(r == 0 ? string.Empty : " + " + r)});");
                    }
                }

                for (int r = 0; r < sets; r++)
                {
                    for (int s = 0; s < group.Count; s++)
                    {
                        (VectorWidth sw, int so) = group[s];
                        string a = r == 0 ? $"a{s}" : $"a{s}_{r}";
                        w.WriteLine($"{a} = {sw.Math}.Fma({Broadcast(sw, r)}, {sw.Math}.Load(ref row, {(r * columns) + so}), {a});");
                    }
                }
            }
        }

        for (int row = full; row < matrix.Rows; row++)
        {
            int r = row - full;
            foreach (VectorWidth bw in broadcastWidths)
            {
                w.WriteLine($"var {vector}r{row}_{(bw.Bits == 0 ? 1 : bw.Bits)} = {bw.Math}.Broadcast(ref {vector}, {row});");
            }

            for (int s = 0; s < group.Count; s++)
            {
                (VectorWidth sw, int so) = group[s];
                string a = r == 0 ? $"a{s}" : $"a{s}_{r}";
                w.WriteLine($"{a} = {sw.Math}.Fma({vector}r{row}_{(sw.Bits == 0 ? 1 : sw.Bits)}, {sw.Math}.Load(ref {name}, {(row * columns) + so}), {a});");
            }
        }
    }

    /// <summary>The cell over all units from the pre-activation buffers: full vectors in a loop, then the remainder.</summary>
    private static void WriteCellPass(IndentedTextWriter w, KernelContext k, VectorWidth width)
    {
        int lanes = width.Lanes, full = k.H - (k.H % lanes);
        if (full > 0)
        {
            using (w.Block($"for (int u = 0; u < {full}; u += {lanes})"))
            {
                CellWriter.WriteBufferCell(w, k, width.Math, "u");
            }
        }

        int offset = full;
        foreach (VectorWidth narrower in width.AndNarrower(k.Plan.ElementSize).Skip(1))
        {
            while (offset + narrower.Lanes <= k.H)
            {
                using (w.Block())
                {
                    CellWriter.WriteBufferCell(w, k, narrower.Math, offset.ToString(CultureInfo.InvariantCulture));
                }

                offset += narrower.Lanes;
            }
        }
    }
}
