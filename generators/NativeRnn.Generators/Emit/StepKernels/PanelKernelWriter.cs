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
        int gh = k.Gates * k.H;
        bool gru = k.Layer.Kind == LayerKind.Gru;

        // Pre-activations: z = [all gates] for an LSTM or simple RNN; a GRU keeps the input part zi and the
        // recurrent part zh apart, because r multiplies only the recurrent n.
        w.WriteLine($"global::System.Span<{k.T}> buffer = stackalloc {k.T}[{(gru ? (projected ? gh : 2 * gh) : gh)}];");
        w.WriteLine($"ref {k.T} z = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(buffer);");
        var passes = new List<PanelPass>();
        if (gru)
        {
            w.WriteLine(projected ? $"ref {k.T} zi = ref zx;" : $"ref {k.T} zi = ref z;");
            w.WriteLine(projected ? $"ref {k.T} zh = ref z;" : $"ref {k.T} zh = ref NrnnUnsafe.Add(ref z, {gh});");
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
    {
        int panelWidth = k.Plan.PanelWidth;
        bool constant = int.TryParse(panel, NumberStyles.None, CultureInfo.InvariantCulture, out int panelIndex);
        string columnBase = constant ? (panelIndex * panelWidth).ToString(CultureInfo.InvariantCulture) : $"{panel} * {panelWidth}";
        string Column(int offset) => KernelContext.Plus(columnBase, offset);

        // Slots: full vectors, then narrower ones, then single elements.
        var slots = new List<(VectorWidth Width, int Offset)>();
        int offset = 0;
        foreach (VectorWidth slotWidth in width.AndNarrower(k.Plan.ElementSize))
        {
            while (offset + slotWidth.Lanes <= columns)
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

                if (recurrent)
                {
                    WritePanelRows(w, k, group, sets, k.RecurrentMatrix, "h", panel, constant, panelIndex, columns);
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
