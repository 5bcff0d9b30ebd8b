using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

/// <summary>One vector width of the emitted step code.</summary>
internal sealed class VectorWidth
{
    public VectorWidth(int bits, int elementSize)
    {
        Bits = bits;
        Lanes = bits == 0 ? 1 : bits / 8 / elementSize;
    }

    /// <summary>512, 256, 128, or 0 for single elements.</summary>
    public int Bits { get; }

    public int Lanes { get; }

    /// <summary>The alias of the runtime's operations at this width (<c>NrnnMath512</c> …).</summary>
    public string Math => "NrnnMath" + (Bits == 0 ? 1 : Bits);

    /// <summary>Accumulators a kernel may keep in registers: AVX-512 has 32 vector registers; AVX2 and SSE 16.</summary>
    public int Budget => Bits == 512 ? 24 : 12;

    /// <summary>The widths a kernel is written for, widest first (single elements only finish remainders).</summary>
    public static VectorWidth[] Vectors(int elementSize) => new[] { new VectorWidth(512, elementSize), new VectorWidth(256, elementSize), new VectorWidth(128, elementSize) };

    /// <summary>This width and the narrower ones, down to single elements, for remainders.</summary>
    public IEnumerable<VectorWidth> AndNarrower(int elementSize)
    {
        for (int bits = Bits; bits >= 128; bits /= 2)
        {
            yield return new VectorWidth(bits, elementSize);
        }

        yield return new VectorWidth(0, elementSize);
    }
}

/// <summary>
/// One accumulator group of a cell: the pre-activations of one gate block, with where its value
/// starts and which weights add to it. A GRU's n block has two (input and recurrent parts), because
/// its reset gate multiplies only the recurrent one.
/// </summary>
internal sealed class GateGroup
{
    public GateGroup(string name, int block, bool input, bool recurrent)
    {
        Name = name;
        Block = block;
        Input = input;
        Recurrent = recurrent;
    }

    /// <summary>Short variable name: i, f, g, o; r, z, nx, nh; a.</summary>
    public string Name { get; }

    /// <summary>Gate block in PyTorch's order: its columns are <c>[Block·H, (Block+1)·H)</c>.</summary>
    public int Block { get; }

    /// <summary>Whether <c>W_ih x</c> (or the projection) adds to it.</summary>
    public bool Input { get; }

    /// <summary>Whether <c>W_hh h</c> adds to it.</summary>
    public bool Recurrent { get; }
}

/// <summary>
/// Writes the single-sequence step kernels of one forward-direction layer: straight-line code at every
/// vector width, with every size and offset a constant, in one of two shapes chosen per width.
/// </summary>
/// <remarks>
/// <para>
/// <b>One register tile.</b> All gates of every hidden unit keep their pre-activations in registers
/// while the input and recurrent weight rows stream past (each input value broadcast into multiply-adds
/// over contiguous gate outputs), in several row sets so that enough independent chains hide the FMA
/// latency; then the cell runs, and only <c>h</c> (and <c>c</c>) reach memory. Chosen when the hidden
/// size is a multiple of a vector width, the accumulators fit the register budget, and the weights are
/// one panel (so every panel row is read whole) or small enough to stay in L1.
/// </para>
/// <para>
/// <b>Panels.</b> Otherwise each weight panel is streamed front to back into a small stack buffer of
/// pre-activations (every weight read once, in address order), and a vectorised cell pass follows.
/// </para>
/// <para>
/// Layers larger than L1 alternate the order of their panels from call to call, so the part of the
/// weights the previous step left in cache is read first. The order never changes a result: each
/// output is always summed in the same order.
/// </para>
/// </remarks>
internal static class StepKernelWriter
{
    /// <summary>
    /// Independent accumulation chains to aim for: FMA latency × throughput (4 cycles × 2 per cycle). More
    /// row sets measured slower here (LSTM (16, 16) 48 → 115 ns with 16 chains): the JIT then spills.
    /// </summary>
    public const int MinChains = 8;

    public static IReadOnlyList<GateGroup> Groups(LayerPlan layer) => layer.Kind switch
    {
        LayerKind.Lstm => new[] { new GateGroup("i", 0, true, true), new GateGroup("f", 1, true, true), new GateGroup("g", 2, true, true), new GateGroup("o", 3, true, true) },
        LayerKind.Gru => new[] { new GateGroup("r", 0, true, true), new GateGroup("z", 1, true, true), new GateGroup("nx", 2, true, false), new GateGroup("nh", 2, false, true) },
        _ => new[] { new GateGroup("a", 0, true, true) },
    };

    /// <summary>Whether the layer has generated step kernels (every kind but the reset-before GRU).</summary>
    public static bool Applies(LayerPlan layer) => !(layer.Kind == LayerKind.Gru && !layer.Info.ResetAfter);

    /// <summary>
    /// Writes <c>{Unit}Step</c> and <c>{Unit}StepProjected</c> (dispatchers) and their bodies per width.
    /// </summary>
    public static void Write(IndentedTextWriter w, ModelPlan plan, UnitPlan unit)
    {
        LayerPlan layer = unit.Layer;
        var context = new KernelContext(plan, unit);
        w.WriteLine($"// ───── Layer {layer.Index} step kernels: {layer.Describe()} ─────");
        foreach (VectorWidth width in VectorWidth.Vectors(plan.ElementSize))
        {
            w.WriteLine($"//   {width.Bits}-bit: {context.Choose(width).Describe()}");
        }

        w.WriteLine();
        if (context.Zigzag)
        {
            w.WriteLine("/// <summary>Flips every call: the order in which the next step sweeps this layer's weights.</summary>");
            w.WriteLine($"private static int s_{Camel(unit.Name)}Sweep;");
            w.WriteLine();
        }

        foreach (bool projected in new[] { false, true })
        {
            WriteDispatcher(w, context, projected);
            foreach (VectorWidth width in VectorWidth.Vectors(plan.ElementSize))
            {
                WriteBody(w, context, width, projected);
            }
        }
    }

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name.Substring(1);

    private static void WriteDispatcher(IndentedTextWriter w, KernelContext k, bool projected)
    {
        string name = k.Name(projected);
        string first = projected ? "zx" : "x";
        w.WriteLine("/// <summary>");
        w.WriteLine(projected
            ? $"/// One step of layer {k.Layer.Index} from its precomputed input projection <c>zx = W_ih x + b_ih{(k.Layer.Kind == LayerKind.Gru ? string.Empty : " + b_hh")}</c>"
            : $"/// One step of layer {k.Layer.Index}: <c>x</c> and <c>h</c> to the new <c>h</c>");
        w.WriteLine("/// at the widest accelerated vector width; <c>hOut</c> may be <c>h</c> itself.");
        w.WriteLine("/// </summary>");
        w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
        string parameters = k.Parameters(first);
        string arguments = k.Arguments(first);
        using (w.Block($"private static void {name}({parameters})"))
        {
            foreach (VectorWidth width in VectorWidth.Vectors(k.Plan.ElementSize))
            {
                using (w.Block($"if ({width.Math}.IsAccelerated)"))
                {
                    w.WriteLine($"{name}{width.Bits}({arguments});");
                    w.WriteLine("return;");
                }
            }

            w.WriteLine();
            w.WriteLine("// No SIMD: the runtime's generic kernel, one element at a time.");
            k.WriteScalarFallback(w, projected);
        }

        w.WriteLine();
    }

    private static void WriteBody(IndentedTextWriter w, KernelContext k, VectorWidth width, bool projected)
    {
        StepShape shape = k.Choose(width);
        string first = projected ? "zx" : "x";
        w.WriteLine($"/// <summary>{k.Name(projected)} with {width.Bits}-bit vectors: {shape.Describe()}.</summary>");
        w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining | global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        if (k.Plan.Model.AllowUnsafe)
        {
            w.WriteLine("[global::System.Runtime.CompilerServices.SkipLocalsInit]");
        }

        using (w.Block($"private static void {k.Name(projected)}{width.Bits}({k.Parameters(first)})"))
        {
            if (k.Zigzag)
            {
                w.WriteLine($"int sweep = s_{Camel(k.Unit.Name)}Sweep ^= 1;");
            }

            if (shape.Tiles is not null)
            {
                WriteTiles(w, k, width, shape, projected);
            }
            else
            {
                WritePanels(w, k, width, projected);
            }
        }

        w.WriteLine();
    }

    // ─────────────────────────── Register tiles ───────────────────────────

    private static void WriteTiles(IndentedTextWriter w, KernelContext k, VectorWidth kernelWidth, StepShape shape, bool projected)
        => WriteTile(w, k, shape.TileWidth, RegisterCells(kernelWidth), shape.Tiles!, projected);

    /// <summary>A loop over <paramref name="count"/> panels, in alternating order for large layers.</summary>
    private static void WriteSweepLoop(IndentedTextWriter w, KernelContext k, int count, string index, Action body)
    {
        if (k.Zigzag)
        {
            using (w.Block($"for (int n = 0; n < {count}; n++)"))
            {
                w.WriteLine($"int {index} = sweep == 0 ? n : {count - 1} - n;");
                body();
            }
        }
        else
        {
            using (w.Block($"for (int {index} = 0; {index} < {count}; {index}++)"))
            {
                body();
            }
        }
    }

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
                        w.WriteLine($"var {group.Name} = {Sum(RowSetTerms(group, v, sets))};");
                    }

                    k.WriteCell(w, m, At(v * lanes), hNew);
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
                w.WriteLine($"{m}.Store({Sum(RowSetTerms(k.Groups[g], v, sets))}, ref sums, {(g * u) + (v * lanes)});");
            }
        }

        WriteSplitCell(w, k, width, "sums", u, hNew, null);
    }

    /// <summary>Whether cells run on the accumulator registers: with AVX-512's 32 registers (and constants as broadcast memory operands) they fit.</summary>
    private static bool RegisterCells(VectorWidth width) => width.Bits == 512;

    private static List<string> RowSetTerms(GateGroup group, int vector, int sets)
    {
        var terms = new List<string> { $"{group.Name}{vector}" };
        terms.AddRange(Enumerable.Range(1, sets - 1).Select(r => $"{group.Name}{vector}_{r}"));
        return terms;
    }

    /// <summary>Adds tree-wise, so the row sets' sums meet in log₂ steps.</summary>
    private static string Sum(List<string> terms)
    {
        while (terms.Count > 1)
        {
            var next = new List<string>();
            for (int i = 0; i + 1 < terms.Count; i += 2)
            {
                next.Add($"({terms[i]} + {terms[i + 1]})");
            }

            if (terms.Count % 2 == 1)
            {
                next.Add(terms[terms.Count - 1]);
            }

            terms = next;
        }

        string result = terms[0];
        return result.StartsWith("(", StringComparison.Ordinal) && result.EndsWith(")", StringComparison.Ordinal) && terms.Count == 1 ? result.Substring(1, result.Length - 2) : result;
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

    // ──────────────────────────────── Panels ────────────────────────────────

    private static void WritePanels(IndentedTextWriter w, KernelContext k, VectorWidth width, bool projected)
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
        if (RegisterCells(width))
        {
            WriteCellPass(w, k, width);
        }
        else
        {
            WriteSplitCell(w, k, width, gru ? "zh" : "z", k.H, "hOut", gru ? "zi" : null);
        }
    }

    /// <summary>
    /// The cell as passes of one activation each over a buffer of gate sums (<paramref name="stride"/> apart,
    /// gate block after gate block): with 16 vector registers, one activation's constants and its working
    /// values fit, where a whole cell's would spill. <paramref name="input"/> is a GRU's input-side buffer
    /// for the panel path (its <paramref name="sums"/> then hold the recurrent side); null when the sums are
    /// [r z nx nh] of a tile.
    /// </summary>
    private static void WriteSplitCell(IndentedTextWriter w, KernelContext k, VectorWidth width, string sums, int stride, string hNew, string? input)
    {
        static string U(string v) => v;
        string At(int block, string v) => block == 0 ? v : $"{v} + {block * stride}";
        switch (k.Layer.Kind)
        {
            case LayerKind.Lstm:
                WriteRegion(w, k, width, 2 * stride, (m, v) => w.WriteLine($"{m}.Store({m}.Sigmoid({m}.Load(ref {sums}, {v})), ref {sums}, {v});"));
                WriteRegion(w, k, width, stride, (m, v) => w.WriteLine($"{m}.Store({m}.Sigmoid({m}.Load(ref {sums}, {At(3, v)})), ref {sums}, {At(3, v)});"));
                WriteRegion(w, k, width, stride, (m, v) => w.WriteLine($"{m}.Store({m}.Tanh({m}.Load(ref {sums}, {At(2, v)})), ref {sums}, {At(2, v)});"));
                WriteRegion(w, k, width, stride, (m, v) =>
                {
                    w.WriteLine($"var cNew = {m}.Fma({m}.Load(ref {sums}, {At(1, v)}), {m}.Load(ref c, {U(v)}), {m}.Load(ref {sums}, {v}) * {m}.Load(ref {sums}, {At(2, v)}));");
                    w.WriteLine($"{m}.Store(cNew, ref c, {U(v)});");
                    w.WriteLine($"{m}.Store({m}.Load(ref {sums}, {At(3, v)}) * {m}.Tanh(cNew), ref {hNew}, {U(v)});");
                });
                break;
            case LayerKind.Gru when input is not null:
                // Panels: r, z = σ(zi + zh) into zh; then n = tanh(zi_n + r ⊙ zh_n).
                WriteRegion(w, k, width, 2 * stride, (m, v) => w.WriteLine($"{m}.Store({m}.Sigmoid({m}.Load(ref {input}, {v}) + {m}.Load(ref {sums}, {v})), ref {sums}, {v});"));
                WriteRegion(w, k, width, stride, (m, v) =>
                {
                    w.WriteLine($"var n = {m}.Tanh({m}.Fma({m}.Load(ref {sums}, {v}), {m}.Load(ref {sums}, {At(2, v)}), {m}.Load(ref {input}, {At(2, v)})));");
                    w.WriteLine($"{m}.Store({m}.Fma({m}.Load(ref {sums}, {At(1, v)}), {m}.Load(ref h, {U(v)}) - n, n), ref {hNew}, {U(v)});");
                });
                break;
            case LayerKind.Gru:
                // Tile sums [r z nx nh]: r, z = σ in place; then n = tanh(nx + r ⊙ nh).
                WriteRegion(w, k, width, 2 * stride, (m, v) => w.WriteLine($"{m}.Store({m}.Sigmoid({m}.Load(ref {sums}, {v})), ref {sums}, {v});"));
                WriteRegion(w, k, width, stride, (m, v) =>
                {
                    w.WriteLine($"var n = {m}.Tanh({m}.Fma({m}.Load(ref {sums}, {v}), {m}.Load(ref {sums}, {At(3, v)}), {m}.Load(ref {sums}, {At(2, v)})));");
                    w.WriteLine($"{m}.Store({m}.Fma({m}.Load(ref {sums}, {At(1, v)}), {m}.Load(ref h, {U(v)}) - n, n), ref {hNew}, {U(v)});");
                });
                break;
            default:
                WriteRegion(w, k, width, stride, (m, v) => w.WriteLine($"{m}.Store({m}.{k.ActivationName}({m}.Load(ref {sums}, {v})), ref {hNew}, {U(v)});"));
                break;
        }
    }

    /// <summary>A loop over <paramref name="count"/> elements in full vectors, then narrower ones for the remainder.</summary>
    private static void WriteRegion(IndentedTextWriter w, KernelContext k, VectorWidth width, int count, Action<string, string> body)
    {
        int lanes = width.Lanes, full = count - (count % lanes);
        if (full > lanes)
        {
            using (w.Block($"for (int v = 0; v < {full}; v += {lanes})"))
            {
                body(width.Math, "v");
            }
        }
        else if (full == lanes)
        {
            using (w.Block())
            {
                body(width.Math, "0");
            }
        }

        int offset = full;
        foreach (VectorWidth narrower in width.AndNarrower(k.Plan.ElementSize).Skip(1))
        {
            while (offset + narrower.Lanes <= count)
            {
                using (w.Block())
                {
                    body(narrower.Math, offset.ToString(CultureInfo.InvariantCulture));
                }

                offset += narrower.Lanes;
            }
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
            WriteSweepLoop(w, k, fullPanels, "q", () => Panel("q", panel));
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
                    w.WriteLine($"{sw.Math}.Store({Sum(terms)}, ref {destination}, {Column(so)});");
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
                k.WritePanelCell(w, width.Math, "u");
            }
        }

        int offset = full;
        foreach (VectorWidth narrower in width.AndNarrower(k.Plan.ElementSize).Skip(1))
        {
            while (offset + narrower.Lanes <= k.H)
            {
                using (w.Block())
                {
                    k.WritePanelCell(w, narrower.Math, offset.ToString(CultureInfo.InvariantCulture));
                }

                offset += narrower.Lanes;
            }
        }
    }
}

/// <summary>A packed weight matrix as the kernels read it: <c>[Rows, G·H]</c> panel-major at <c>Offset</c>.</summary>
internal sealed class MatrixInfo
{
    public MatrixInfo(string name, int offset, int rows, string offsetName)
    {
        OffsetName = offsetName;
        Name = name;
        Offset = offset;
        Rows = rows;
    }

    /// <summary><c>wih</c> or <c>whh</c>: the prefix of the emitted references into it.</summary>
    public string Name { get; }

    public int Offset { get; }

    /// <summary>The model's constant for <see cref="Offset"/>, e.g. <c>WeightIhL0Offset</c>.</summary>
    public string OffsetName { get; }

    public int Rows { get; }
}

/// <summary>A register tile of every hidden unit, and how its rows are spread over accumulator sets.</summary>
internal sealed class TilePlan
{
    public TilePlan(int units, int rowSets)
    {
        Units = units;
        RowSets = rowSets;
    }

    /// <summary>Hidden units: all of the layer's.</summary>
    public int Units { get; }

    /// <summary>Rows are split over this many accumulator sets, for independent chains.</summary>
    public int RowSets { get; }
}

/// <summary>The shape of a kernel at one width: register tiles, or (when <see cref="Tiles"/> is null) panels and a cell pass.</summary>
internal sealed class StepShape
{
    public StepShape(TilePlan? tiles, int accumulators, VectorWidth tileWidth, VectorWidth kernelWidth)
    {
        Tiles = tiles;
        Accumulators = accumulators;
        TileWidth = tileWidth;
        KernelWidth = kernelWidth;
    }

    public TilePlan? Tiles { get; }

    public int Accumulators { get; }

    /// <summary>The vectors of the tiles: the kernel's width, or a narrower one that divides the hidden size.</summary>
    public VectorWidth TileWidth { get; }

    public VectorWidth KernelWidth { get; }

    public string Describe() => Tiles is null
        ? "each weight panel streamed into a pre-activation buffer, then a vectorised cell pass"
        : $"one register tile of {Tiles.Units} units, {Accumulators} accumulators in {Tiles.RowSets} row set(s)"
          + (TileWidth.Bits == KernelWidth.Bits ? string.Empty : $" of {TileWidth.Bits}-bit vectors");
}

/// <summary>Everything about one layer that its step kernels need, with the address arithmetic of the packed weights.</summary>
internal sealed class KernelContext
{
    public KernelContext(ModelPlan plan, UnitPlan unit)
    {
        Plan = plan;
        Unit = unit;
        Layer = unit.Layer;
        Groups = StepKernelWriter.Groups(Layer);
        InputMatrix = new MatrixInfo("wih", unit.InputWeight.Offset, Layer.InputWidth, unit.InputWeight.OffsetName);
        RecurrentMatrix = new MatrixInfo("whh", unit.RecurrentWeight.Offset, Layer.Hidden, unit.RecurrentWeight.OffsetName);
    }

    public ModelPlan Plan { get; }

    public UnitPlan Unit { get; }

    public LayerPlan Layer { get; }

    public IReadOnlyList<GateGroup> Groups { get; }

    public MatrixInfo InputMatrix { get; }

    public MatrixInfo RecurrentMatrix { get; }

    public string T => Plan.T;

    public int H => Layer.Hidden;

    public int Gates => Layer.Gates;

    /// <summary>Weights up to this many bytes stay in L1 (32 KiB of a 48 KiB L1d), so tiles may read panels partially.</summary>
    private const int L1Bytes = 32 * 1024;

    /// <summary>
    /// Weights above this many bytes (the 48 KiB L1d of current cores) alternate their sweep order, so the
    /// panels the previous step read last, still in L1 or L2, are read first.
    /// </summary>
    private const int ZigzagBytes = 48 * 1024;

    public int WeightBytes => Gates * H * (Layer.InputWidth + H) * Plan.ElementSize;

    /// <summary>Whether the sweep order alternates between calls (weights beyond L1).</summary>
    public bool Zigzag => WeightBytes > ZigzagBytes;

    public string Name(bool projected) => Unit.Name + (projected ? "StepProjected" : "Step");

    public bool HasCell => Layer.Kind == LayerKind.Lstm;

    public string Parameters(string first) => $"ref {T} p, ref {T} {first}, ref {T} h, {(HasCell ? $"ref {T} c, " : string.Empty)}ref {T} hOut";

    public string Arguments(string first) => $"ref p, ref {first}, ref h, {(HasCell ? "ref c, " : string.Empty)}ref hOut";

    /// <summary>Element index of <c>[row, column]</c> in a panel-major <c>[rows, G·H]</c> matrix.</summary>
    public int Address(MatrixInfo matrix, int row, int column)
    {
        int panel = Plan.PanelWidth, gh = Gates * H;
        int start = column / panel * panel;
        int width = Math.Min(panel, gh - start);
        return matrix.Offset + (start * matrix.Rows) + (row * width) + (column - start);
    }

    /// <summary>Distance between consecutive rows of the panel that holds <paramref name="column"/>.</summary>
    public int RowStride(int column)
    {
        int panel = Plan.PanelWidth, gh = Gates * H;
        int start = column / panel * panel;
        return Math.Min(panel, gh - start);
    }

    /// <summary>
    /// Row sets for <paramref name="accumulators"/> accumulators: enough for <see cref="StepKernelWriter.MinChains"/>
    /// independent chains, as long as the accumulators and one broadcast register per set fit the budget.
    /// </summary>
    public static int RowSets(int accumulators, VectorWidth width)
    {
        int sets = (StepKernelWriter.MinChains + accumulators - 1) / accumulators;
        while (sets > 1 && accumulators * sets > width.Budget)
        {
            sets--;
        }

        return Math.Max(1, sets);
    }

    /// <summary>Chooses register tiles where they fit, panels otherwise.</summary>
    public StepShape Choose(VectorWidth width)
    {
        int budget = width.Budget, panel = Plan.PanelWidth;
        int groups = Groups.Count;

        // The kernel's own width first; a hidden size it does not divide may still tile with narrower
        // vectors, which address the same registers.
        foreach (VectorWidth tileWidth in width.AndNarrower(Plan.ElementSize).Where(w => w.Bits != 0))
        {
            int lanes = tileWidth.Lanes;
            if (H % lanes != 0)
            {
                continue;
            }

            int Accumulators(int units) => groups * units / lanes;
            // No more row sets than rows: extra ones would only add zeros.
            int Sets(int units) => Math.Min(RowSets(Accumulators(units), width), Math.Max(H, Layer.InputWidth));

            // Register tiles pay off while the weights are one stream (a single panel) or sit in L1; beyond
            // that the step is bound by streaming weights from L2, which one panel at a time does best
            // (measured on LSTM (128, 128): 2.6 µs panel by panel against 2.9 µs for tiles over four panels).
            bool onePanel = Gates * H <= panel;
            if (Accumulators(H) <= budget && (onePanel || WeightBytes <= L1Bytes))
            {
                return new StepShape(new TilePlan(H, Sets(H)), Accumulators(H) * Sets(H), tileWidth, width);
            }

            break;
        }

        return new StepShape(null, 0, width, width);
    }

    /// <summary>The starting value of a tile accumulator at <paramref name="column"/>: biases, or the projection (plus b_hh where it lacks it).</summary>
    public string Start(string m, GateGroup group, bool projected, string column)
    {
        var terms = new List<string>();
        if (group.Input && (projected || Unit.HasBias))
        {
            terms.Add(projected ? $"{m}.Load(ref zx, {column})" : $"{m}.Load(ref p, {Named(Unit.InputBias!, column)})");
        }

        if (group.Recurrent && Unit.HasBias && (!projected || Layer.Kind == LayerKind.Gru))
        {
            terms.Add($"{m}.Load(ref p, {Named(Unit.RecurrentBias!, column)})");
        }

        return terms.Count == 0 ? $"{m}.Zero" : string.Join(" + ", terms);
    }

    /// <summary>The starting value of a panel accumulator at <paramref name="column"/> of <paramref name="destination"/>.</summary>
    public string PanelStart(string m, string destination, bool projected, string column)
    {
        if (Layer.Kind == LayerKind.Gru)
        {
            // zi starts at b_ih, zh at b_hh (or zero without biases).
            return Unit.HasBias ? $"{m}.Load(ref p, {Named(destination == "zi" ? Unit.InputBias! : Unit.RecurrentBias!, column)})" : $"{m}.Zero";
        }

        if (projected)
        {
            return $"{m}.Load(ref zx, {column})";
        }

        return Unit.HasBias
            ? $"{m}.Load(ref p, {Named(Unit.InputBias!, column)}) + {m}.Load(ref p, {Named(Unit.RecurrentBias!, column)})"
            : $"{m}.Zero";
    }

    /// <summary><c>{Tensor}Offset + column</c>: an element of a tensor of the parameter block, by the tensor's constant.</summary>
    private static string Named(TensorPlan tensor, string column) => column == "0" ? tensor.OffsetName : $"{tensor.OffsetName} + {column}";

    /// <summary><c>expression + value</c>, folded when the expression is a literal.</summary>
    public static string Plus(string expression, int value)
    {
        if (int.TryParse(expression, NumberStyles.None, CultureInfo.InvariantCulture, out int literal))
        {
            return (literal + value).ToString(CultureInfo.InvariantCulture);
        }

        // "q * 64 + 16" + 32768 → "q * 64 + 32784".
        int plus = expression.LastIndexOf(" + ", StringComparison.Ordinal);
        if (plus > 0 && int.TryParse(expression.Substring(plus + 3), NumberStyles.None, CultureInfo.InvariantCulture, out int tail))
        {
            return Plus(expression.Substring(0, plus), tail + value);
        }

        return value == 0 ? expression : $"{expression} + {value}";
    }

    public string CellText => Layer.Kind switch
    {
        LayerKind.Lstm => "i, f, o = σ(·), g = tanh(·); c = f ⊙ c + i ⊙ g; h = o ⊙ tanh(c)",
        LayerKind.Gru => "r, z = σ(·); n = tanh(nx + r ⊙ nh); h = (1 − z) ⊙ n + z ⊙ h",
        _ => $"h = {Layer.Info.Activation.ToString().ToLowerInvariant()}(·)",
    };

    public string ActivationName => Layer.Info.Activation switch
    {
        ActivationKind.Relu => "Relu",
        ActivationKind.Sigmoid => "Sigmoid",
        _ => "Tanh",
    };

    /// <summary>The cell of one vector of units at <paramref name="unit"/>, from the accumulated gate variables (i, f, g, o / r, z, nx, nh / a).</summary>
    public void WriteCell(IndentedTextWriter w, string m, string unit, string hNew)
    {
        switch (Layer.Kind)
        {
            case LayerKind.Lstm:
                w.WriteLine($"var cNew = {m}.Fma({m}.Sigmoid(f), {m}.Load(ref c, {unit}), {m}.Sigmoid(i) * {m}.Tanh(g));");
                w.WriteLine($"{m}.Store(cNew, ref c, {unit});");
                w.WriteLine($"{m}.Store({m}.Sigmoid(o) * {m}.Tanh(cNew), ref {hNew}, {unit});");
                break;
            case LayerKind.Gru:
                // (1 − z) and z ⊙ h are ready before n, so only one multiply-add follows the tanh.
                w.WriteLine($"var zg = {m}.Sigmoid(z);");
                w.WriteLine($"var n = {m}.Tanh({m}.Fma({m}.Sigmoid(r), nh, nx));");
                w.WriteLine($"{m}.Store({m}.Fma(n, {m}.One - zg, zg * {m}.Load(ref h, {unit})), ref {hNew}, {unit});");
                break;
            default:
                w.WriteLine($"{m}.Store({m}.{ActivationName}(a), ref {hNew}, {unit});");
                break;
        }
    }

    /// <summary>The cell of one vector of units at <paramref name="unit"/>, reading the pre-activation buffers.</summary>
    public void WritePanelCell(IndentedTextWriter w, string m, string unit)
    {
        string At(int block) => Plus(unit, block * H);
        switch (Layer.Kind)
        {
            case LayerKind.Lstm:
                w.WriteLine($"var i = {m}.Sigmoid({m}.Load(ref z, {At(0)}));");
                w.WriteLine($"var f = {m}.Sigmoid({m}.Load(ref z, {At(1)}));");
                w.WriteLine($"var g = {m}.Tanh({m}.Load(ref z, {At(2)}));");
                w.WriteLine($"var o = {m}.Sigmoid({m}.Load(ref z, {At(3)}));");
                w.WriteLine($"var cNew = {m}.Fma(f, {m}.Load(ref c, {unit}), i * g);");
                w.WriteLine($"{m}.Store(cNew, ref c, {unit});");
                w.WriteLine($"{m}.Store(o * {m}.Tanh(cNew), ref hOut, {unit});");
                break;
            case LayerKind.Gru:
                w.WriteLine($"var r = {m}.Sigmoid({m}.Load(ref zi, {At(0)}) + {m}.Load(ref zh, {At(0)}));");
                w.WriteLine($"var zg = {m}.Sigmoid({m}.Load(ref zi, {At(1)}) + {m}.Load(ref zh, {At(1)}));");
                w.WriteLine($"var n = {m}.Tanh({m}.Fma(r, {m}.Load(ref zh, {At(2)}), {m}.Load(ref zi, {At(2)})));");
                w.WriteLine($"{m}.Store({m}.Fma(zg, {m}.Load(ref h, {unit}) - n, n), ref hOut, {unit});");
                break;
            default:
                w.WriteLine($"{m}.Store({m}.{ActivationName}({m}.Load(ref z, {unit})), ref hOut, {unit});");
                break;
        }
    }

    /// <summary>The no-SIMD path: the runtime's generic step kernel over spans of the same memory.</summary>
    public void WriteScalarFallback(IndentedTextWriter w, bool projected)
    {
        string span = $"global::System.Runtime.InteropServices.MemoryMarshal.CreateSpan";
        string ro = $"global::System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan";
        int gh = Gates * H;
        string Slice(TensorPlan? tensor) => tensor is null ? "noBias" : $"{ro}(ref NrnnUnsafe.Add(ref p, {tensor.Offset}), {tensor.Length})";
        string hSpan = $"{ro}(ref h, {H})";
        string cSpan = $"{span}(ref c, {H})";

        // The kernel's output must not overlap h: go through a buffer.
        w.WriteLine($"global::System.Span<{T}> next = stackalloc {T}[{H}];");
        if (!Unit.HasBias && (!projected || Layer.Kind == LayerKind.Gru))
        {
            w.WriteLine($"global::System.Span<{T}> noBias = stackalloc {T}[{gh}];");
            w.WriteLine("noBias.Clear(); // Bias = false: the kernel adds zeros");
        }

        string kernels = "global::NativeRnn.Kernels.StepKernels";
        string panel = Plan.PanelWidth.ToString(CultureInfo.InvariantCulture);
        if (projected)
        {
            string zx = $"{ro}(ref zx, {gh})";
            w.WriteLine(Layer.Kind switch
            {
                LayerKind.Lstm => $"{kernels}.LstmProjected({zx}, {Slice(Unit.RecurrentWeight)}, {hSpan}, {cSpan}, next, {panel});",
                LayerKind.Gru => $"{kernels}.GruProjected({zx}, {Slice(Unit.RecurrentWeight)}, {Slice(Unit.RecurrentBias)}, {hSpan}, next, {panel});",
                _ => $"{kernels}.SimpleRnnProjected({zx}, {Slice(Unit.RecurrentWeight)}, {hSpan}, next, global::NativeRnn.Activation.{Layer.Info.Activation}, {panel});",
            });
        }
        else
        {
            string x = $"{ro}(ref x, {Layer.InputWidth})";
            string weights = $"{Slice(Unit.InputWeight)}, {Slice(Unit.RecurrentWeight)}, {Slice(Unit.InputBias)}, {Slice(Unit.RecurrentBias)}";
            w.WriteLine(Layer.Kind switch
            {
                LayerKind.Lstm => $"{kernels}.Lstm({weights}, {x}, {hSpan}, {cSpan}, next, {panel});",
                LayerKind.Gru => $"{kernels}.Gru({weights}, {x}, {hSpan}, next, {panel});",
                _ => $"{kernels}.SimpleRnn({weights}, {x}, {hSpan}, next, global::NativeRnn.Activation.{Layer.Info.Activation}, {panel});",
            });
        }

        w.WriteLine($"next.CopyTo({span}(ref hOut, {H}));");
    }
}
