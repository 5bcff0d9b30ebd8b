using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

/// <summary>
/// Writes the cells that follow the products: on accumulator registers, over buffers of pre-activations,
/// or as passes of one activation each where the register file is small.
/// </summary>
internal static class CellWriter
{
    /// <summary>The cell of one vector of units at <paramref name="unit"/>, from the accumulated gate variables (i, f, g, o / r, z, nx, nh / a).</summary>
    public static void WriteRegisterCell(IndentedTextWriter w, KernelContext k, string m, string unit, string hNew)
    {
        switch (k.Layer.Kind)
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
                w.WriteLine($"{m}.Store({m}.{k.ActivationName}(a), ref {hNew}, {unit});");
                break;
        }
    }

    /// <summary>The cell of one vector of units at <paramref name="unit"/>, reading the pre-activation buffers.</summary>
    public static void WriteBufferCell(IndentedTextWriter w, KernelContext k, string m, string unit)
    {
        string At(int block) => KernelContext.Plus(unit, block * k.H);
        switch (k.Layer.Kind)
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
                w.WriteLine($"{m}.Store({m}.{k.ActivationName}({m}.Load(ref z, {unit})), ref hOut, {unit});");
                break;
        }
    }

    /// <summary>
    /// The cell as passes of one activation each over a buffer of gate sums (<paramref name="stride"/> apart,
    /// gate block after gate block): with 16 vector registers, one activation's constants and its working
    /// values fit, where a whole cell's would spill. <paramref name="input"/> is a GRU's input-side buffer
    /// for the panel path (its <paramref name="sums"/> then hold the recurrent side); null when the sums are
    /// [r z nx nh] of a tile.
    /// </summary>
    public static void WriteSplitCell(IndentedTextWriter w, KernelContext k, VectorWidth width, string sums, int stride, string hNew, string? input)
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
    public static void WriteRegion(IndentedTextWriter w, KernelContext k, VectorWidth width, int count, Action<string, string> body)
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
}
