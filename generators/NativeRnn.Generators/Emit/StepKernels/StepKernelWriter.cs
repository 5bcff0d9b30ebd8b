using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

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
/// weights the previous step left in cache is read first (not the reset-before GRU, whose two phases
/// read the r and z panels, then the n panels). The order never changes a result: each
/// output is always summed in the same order.
/// </para>
/// <para>
/// This file writes the dispatchers and chooses the form; <see cref="TileKernelWriter"/>,
/// <see cref="PanelKernelWriter"/> and <see cref="ScalarKernelWriter"/> write the three forms,
/// <see cref="CellWriter"/> the cells they end in.
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
            string name = Camel(unit.Name);
            w.WriteLine("/// <summary>Whether this layer's step alternates its sweep order: what it reads does not fit this core's L1d.</summary>");
            w.WriteLine($"private static readonly bool s_{name}Alternates = global::NativeRnn.Kernels.CacheGeometry.Current.L1DataBytes < {context.WorkingBytes};");
            w.WriteLine();
            w.WriteLine("/// <summary>Flips every call on this thread (the caches it warmed are its core's): the order in which the next step sweeps this layer's weights.</summary>");
            w.WriteLine("[global::System.ThreadStatic]");
            w.WriteLine($"private static int t_{name}Sweep;");
            w.WriteLine();
        }

        foreach (bool projected in new[] { false, true })
        {
            WriteDispatcher(w, context, projected);
            foreach (VectorWidth width in VectorWidth.Vectors(plan.ElementSize))
            {
                WriteBody(w, context, width, projected);
            }

            ScalarKernelWriter.Write(w, context, projected);
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
            w.WriteLine($"{ScalarKernelWriter.Name(k, projected)}({arguments}); // no SIMD");
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
            if (k.Zigzag && shape.Tiles is null)
            {
                string name = Camel(k.Unit.Name);
                w.WriteLine($"int sweep = s_{name}Alternates ? (t_{name}Sweep ^= 1) : 0;");
            }

            if (shape.Tiles is not null)
            {
                TileKernelWriter.Write(w, k, width, shape, projected);
            }
            else
            {
                PanelKernelWriter.Write(w, k, width, projected);
            }
        }

        w.WriteLine();
    }

    /// <summary>A loop over <paramref name="count"/> panels, in alternating order for large layers.</summary>
    public static void WriteSweepLoop(IndentedTextWriter w, KernelContext k, int count, string index, Action body)
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

    /// <summary>Whether cells run on the accumulator registers: with AVX-512's 32 registers (and constants as broadcast memory operands) they fit.</summary>
    public static bool RegisterCells(VectorWidth width) => width.Bits == 512;

    public static List<string> RowSetTerms(GateGroup group, int vector, int sets)
    {
        var terms = new List<string> { $"{group.Name}{vector}" };
        terms.AddRange(Enumerable.Range(1, sets - 1).Select(r => $"{group.Name}{vector}_{r}"));
        return terms;
    }

    /// <summary>Adds tree-wise, so the row sets' sums meet in log₂ steps.</summary>
    public static string Sum(List<string> terms)
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
}
