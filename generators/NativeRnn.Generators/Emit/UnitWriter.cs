using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

/// <summary>
/// What every unit (one direction of one layer) writer shares: the uniform signatures of the forward
/// and backward methods, and the direction-dependent time bookkeeping.
/// </summary>
/// <remarks>
/// Forward:  <c>(p, x, ldx, y, ldy, h0, hN, c0, cN, cache, work, steps, batch)</c> — x and y are
/// <c>[steps·batch, ·]</c> row matrices; h0/c0 are read before the first step and hN/cN written after the
/// last (they may alias); cache holds what backward needs; work is per-step scratch.
/// Backward: <c>(p, g, x, ldx, y, dy, ldy, h0, dhN, dh0, c0, dcN, dc0, cache, dx, lddx, dz, dz2, work, scratch, flow, steps, batch)</c>
/// — dy holds ∂L/∂h_t and is consumed; parameter gradients are added to g and ∂L/∂x to dx; a non-empty flow
/// receives ‖∂L/∂h_t‖ per step.
/// </remarks>
internal static class UnitWriter
{
    public static void Write(IndentedTextWriter w, ModelPlan plan, UnitPlan unit)
    {
        switch (unit.Layer.Kind)
        {
            case LayerKind.Lstm:
                LstmWriter.Write(w, plan, unit);
                break;
            case LayerKind.Gru:
                GruWriter.Write(w, plan, unit);
                break;
            default:
                SimpleRnnWriter.Write(w, plan, unit);
                break;
        }
    }

    /// <summary>
    /// Compiles a method fully optimised at its first call: a training or streaming loop otherwise starts in
    /// unoptimised tier-0 code and waits for on-stack replacement or call counting to reach the fast code.
    /// </summary>
    public const string AggressiveOptimization = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]";

    public static string ForwardSignature(ModelPlan plan, UnitPlan unit)
    {
        string rs = plan.ReadOnlySpan, s = plan.Span;
        return $"private static void {unit.Name}Forward({rs} p, {rs} x, int ldx, {s} y, int ldy, {rs} h0, {s} hN, {rs} c0, {s} cN, {s} cache, {s} work, int steps, int batch)";
    }

    public static string BackwardSignature(ModelPlan plan, UnitPlan unit)
    {
        string rs = plan.ReadOnlySpan, s = plan.Span;
        return $"private static void {unit.Name}Backward({rs} p, {s} g, {rs} x, int ldx, {rs} y, {s} dy, int ldy, {rs} h0, {rs} dhN, {s} dh0, {rs} c0, {rs} dcN, {s} dc0, {rs} cache, {s} dx, int lddx, {s} dz, {s} dz2, {s} work, {s} scratch, global::System.Span<double> flow, int steps, int batch)";
    }

    /// <summary>
    /// The line that starts pre-activation rows at their biases (<c>b1 + b2</c> when both are given), or at zero for a
    /// layer without biases.
    /// </summary>
    public static string StartRows(string target, string rows, int columns, string ld, string? bias1, string? bias2 = null)
    {
        if (bias1 is null)
        {
            return $"{ModelWriter.Rows}.Clear({target}, {rows}, {columns}, {ld}); // no biases (Bias = false)";
        }

        return bias2 is null
            ? $"{ModelWriter.Rows}.Broadcast({target}, {rows}, {columns}, {ld}, {bias1});"
            : $"{ModelWriter.Rows}.Broadcast({target}, {rows}, {columns}, {ld}, {bias1}, {bias2});";
    }

    /// <summary>
    /// Writes the gradient-flow record of step <paramref name="t"/>: ‖∂L/∂h_t‖ over the batch, taken where dy(t) is
    /// complete (its own loss and everything later steps sent back) and before the cell consumes it.
    /// </summary>
    public static void WriteFlow(IndentedTextWriter w, ModelPlan plan, UnitPlan unit, string t)
    {
        using (w.Block("if (!flow.IsEmpty)"))
        {
            w.WriteLine($"flow[{t}] = global::System.Math.Sqrt({ModelWriter.Rows}.SumOfSquares<{plan.T}>(dy.Slice(({t}) * stride), batch, {unit.Layer.Hidden}, ldy));");
        }
    }

    /// <summary>Step index processed first (<c>0</c>, or <c>steps - 1</c> in reverse).</summary>
    public static string First(UnitPlan unit) => unit.Reverse ? "steps - 1" : "0";

    /// <summary>Step index processed last.</summary>
    public static string Last(UnitPlan unit) => unit.Reverse ? "0" : "steps - 1";

    /// <summary>The step before <c>t</c> in processing order.</summary>
    public static string Previous(UnitPlan unit) => unit.Reverse ? "t + 1" : "t - 1";

    /// <summary>Loop over the steps after the first, in processing order.</summary>
    public static string ForwardLoop(UnitPlan unit) => unit.Reverse ? "for (int t = steps - 2; t >= 0; t--)" : "for (int t = 1; t < steps; t++)";

    /// <summary>Loop over the steps except the first, latest first (BPTT).</summary>
    public static string BackwardLoop(UnitPlan unit) => unit.Reverse ? "for (int t = 0; t < steps - 1; t++)" : "for (int t = steps - 1; t > 0; t--)";

    /// <summary>The math notation of the previous step, for comments.</summary>
    public static string PreviousText(UnitPlan unit) => unit.Reverse ? "t+1" : "t−1";

    /// <summary>
    /// Writes <c>∂L/∂W_hh += Σ_t h_prevᵀ · dz_t</c> into columns <c>[start, start + count)</c> of the packed
    /// (panel-major, <c>[H, G·H]</c>) gradient: h0 pairs with the first step's gradient, the outputs of all
    /// other steps with the gradients of the steps after them.
    /// </summary>
    public static void WriteRecurrentWeightGradient(IndentedTextWriter w, ModelPlan plan, UnitPlan unit, string dz, string lddz, string dstride, int start, int count, string target)
    {
        int h = unit.Layer.Hidden, gh = unit.Layer.Gates * h;
        string first = First(unit);
        w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddTransposedAPanels({h}, batch, h0, {h}, {dz}.Slice(({first}) * {dstride}), {lddz}, {target}, {gh}, {plan.PanelWidth}, {start}, {count});");
        using (w.Block("if (steps > 1)"))
        {
            string yPrevious = unit.Reverse ? "y.Slice(batch * ldy)" : "y";
            string dzNext = unit.Reverse ? dz : $"{dz}.Slice({dstride})";
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddTransposedAPanels({h}, (steps - 1) * batch, {yPrevious}, ldy, {dzNext}, {lddz}, {target}, {gh}, {plan.PanelWidth}, {start}, {count});");
        }
    }

    /// <summary>Writes the input-side gradients: <c>∂L/∂W_ih</c>, both biases, and <c>∂L/∂x</c>.</summary>
    public static void WriteInputGradients(IndentedTextWriter w, ModelPlan plan, UnitPlan unit, string dzx, string dzh, string lddz)
    {
        LayerPlan layer = unit.Layer;
        int gh = layer.Gates * layer.Hidden, input = layer.InputWidth;
        if (unit.HasBias)
        {
            w.WriteLine("// ∂L/∂W_ih += Σ_t ∂L/∂z_t x_tᵀ;  ∂L/∂b_ih += Σ_t ∂L/∂z_t;  ∂L/∂b_hh += Σ_t ∂L/∂(recurrent z_t)");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddTransposedAPanels({input}, rows, x, ldx, {dzx}, {lddz}, {unit.InputWeight.In("g")}, {gh}, {plan.PanelWidth}, 0, {gh});");
            if (dzx == dzh)
            {
                // LSTM, RNN and the reset-before GRU: both biases get the same sums, so dz is read once for the two.
                w.WriteLine($"{ModelWriter.Rows}.SumInto({dzx}, rows, {gh}, {lddz}, {unit.InputBias!.In("g")}, {unit.RecurrentBias!.In("g")});");
            }
            else
            {
                w.WriteLine($"{ModelWriter.Rows}.SumInto({dzx}, rows, {gh}, {lddz}, {unit.InputBias!.In("g")});");
                w.WriteLine($"{ModelWriter.Rows}.SumInto({dzh}, rows, {gh}, {lddz}, {unit.RecurrentBias!.In("g")});");
            }
        }
        else
        {
            w.WriteLine("// ∂L/∂W_ih += Σ_t ∂L/∂z_t x_tᵀ (no biases)");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddTransposedAPanels({input}, rows, x, ldx, {dzx}, {lddz}, {unit.InputWeight.In("g")}, {gh}, {plan.PanelWidth}, 0, {gh});");
        }

        w.WriteLine();
        w.WriteLine("// ∂L/∂x_t += ∂L/∂z_t · W_ih (W_ih untransposed and panel-major in scratch)");
        w.WriteLine($"var wih = scratch.Slice(0, {gh * input});");
        w.WriteLine($"{ModelWriter.Rows}.TransposePanelsToPanels({unit.InputWeight.In("p")}, {input}, {gh}, {plan.PanelWidth}, 0, {gh}, wih);");
        w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(rows, {gh}, {dzx}, {lddz}, wih, {input}, {plan.PanelWidth}, 0, {input}, dx, lddx);");
    }
}
