using NativeRnn.Generators.Helpers;

namespace NativeRnn.Generators.Emit;

/// <summary>
/// Writes one direction of a GRU layer (gate order r, z, n), in PyTorch's reset-after form or the
/// reset-before form of Cho et al. 2014. The cache keeps the activated gates and the one extra term the
/// backward pass needs: <c>W_hn h + b_hn</c> (reset after) or <c>r ⊙ h</c> (reset before).
/// </summary>
internal static class GruWriter
{
    public static void Write(IndentedTextWriter w, ModelPlan plan, UnitPlan unit)
    {
        LayerPlan layer = unit.Layer;
        bool after = layer.Info.ResetAfter;
        int h = layer.Hidden, input = layer.InputWidth, gh = 3 * h, ldc = layer.CacheWidth;
        string s = plan.Span, rs = plan.ReadOnlySpan;

        // Reset before, the recurrent pre-activations' gradient equals the input side's in every block, so dz serves both.
        string dzh = after ? "dz2" : "dz";
        string prev = UnitWriter.PreviousText(unit), first = UnitWriter.First(unit), previous = UnitWriter.Previous(unit), last = UnitWriter.Last(unit);
        string cells = "global::NativeRnn.Kernels.Cells";

        w.WriteLine($"// ───── Layer {layer.Index}{(unit.Reverse ? ", reverse direction" : string.Empty)}: {layer.Describe()} ─────");
        w.WriteLine($"//   r = σ(W_ir x_t + b_ir + W_hr h_{prev} + b_hr)     z = σ(W_iz x_t + b_iz + W_hz h_{prev} + b_hz)");
        w.WriteLine(after
            ? $"//   n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{prev} + b_hn))"
            : $"//   n = tanh(W_in x_t + b_in + W_hn (r ⊙ h_{prev}) + b_hn)");
        w.WriteLine($"//   h_t = (1 − z) ⊙ n + z ⊙ h_{prev}");
        w.WriteLine($"//   cache row [{ldc}] = [r z n | {(after ? "W_hn h + b_hn" : "r ⊙ h")}];  weights stored transposed.");
        w.WriteLine();
        w.WriteLine($"/// <summary>Forward: x [rows, {input}] → y [rows, {h}] holding h_t; cache [rows, {ldc}]; work [batch, {gh}].</summary>");
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block(UnitWriter.ForwardSignature(plan, unit)))
        {
            w.WriteLine("int rows = steps * batch;");
            w.WriteLine("int stride = batch * ldy;");
            w.WriteLine($"int cacheStride = batch * {ldc};");
            w.WriteLine($"{rs} whh = {unit.RecurrentWeight.In("p")};");
            if (unit.HasBias)
            {
                w.WriteLine($"{rs} bhh = {unit.RecurrentBias!.In("p")};");
            }

            w.WriteLine($"{s} gh = work.Slice(0, batch * {gh});");
            w.WriteLine();
            w.WriteLine("// W_ih x_t + b_ih for every step at once (b_hh stays with the recurrent product, which r gates).");
            w.WriteLine(UnitWriter.StartRows("cache", "rows", gh, N(ldc), unit.InputBias?.In("p")));
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(rows, {input}, x, ldx, {unit.InputWeight.In("p")}, {gh}, {plan.PanelWidth}, 0, {gh}, cache, {ldc});");
            w.WriteLine();
            w.WriteLine($"// One step: the recurrent pre-activations of h_{prev}, then the cell.");
            w.WriteLine($"{rs} hPrevious = h0;");
            w.WriteLine($"int ldPrevious = {h};");
            w.WriteLine($"int t = {first};");
            using (w.Block("while (true)"))
            {
                w.WriteLine($"{s} zt = cache.Slice(t * cacheStride);");
                if (after)
                {
                    w.WriteLine(UnitWriter.StartRows("gh", "batch", gh, N(gh), unit.HasBias ? "bhh" : null));
                    w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {h}, hPrevious, ldPrevious, whh, {gh}, {plan.PanelWidth}, 0, {gh}, gh, {gh});");
                    w.WriteLine($"{cells}.GruForward(zt, {ldc}, gh, {gh}, hPrevious, ldPrevious, y.Slice(t * stride), ldy, batch, {h});");
                }
                else
                {
                    w.WriteLine("// r, z from W_h(r,z) h + b_h(r,z); then n from W_hn (r ⊙ h) + b_hn.");
                    w.WriteLine(UnitWriter.StartRows("gh", "batch", 2 * h, N(gh), unit.HasBias ? $"bhh.Slice(0, {2 * h})" : null));
                    w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {h}, hPrevious, ldPrevious, whh, {gh}, {plan.PanelWidth}, 0, {2 * h}, gh, {gh});");
                    w.WriteLine($"{cells}.GruResetBeforeForwardGates(zt, {ldc}, gh, {gh}, hPrevious, ldPrevious, batch, {h});");
                    w.WriteLine($"{s} ghn = gh.Slice({2 * h});");
                    w.WriteLine(UnitWriter.StartRows("ghn", "batch", h, N(gh), unit.HasBias ? $"bhh.Slice({2 * h}, {h})" : null));
                    w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {h}, zt.Slice({gh}), {ldc}, whh, {gh}, {plan.PanelWidth}, {2 * h}, {h}, ghn, {gh});");
                    w.WriteLine($"{cells}.GruResetBeforeForwardUpdate(zt, {ldc}, ghn, {gh}, hPrevious, ldPrevious, y.Slice(t * stride), ldy, batch, {h});");
                }

                using (w.Block($"if (t == {last})"))
                {
                    w.WriteLine("break;");
                }

                w.WriteLine("hPrevious = y.Slice(t * stride);");
                w.WriteLine("ldPrevious = ldy;");
                w.WriteLine(unit.Reverse ? "t--;" : "t++;");
            }

            w.WriteLine();
            w.WriteLine("// The final state is the last step's output.");
            w.WriteLine($"{ModelWriter.Rows}.Copy(y.Slice(({last}) * stride), ldy, hN, {h}, batch, {h});");
        }

        w.WriteLine();
        w.WriteLine(after
            ? $"/// <summary>Backward of <see cref=\"{unit.Name}Forward\"/>: dz receives ∂L/∂(W_ih x + b_ih), dz2 ∂L/∂(recurrent pre-activations), [rows, {gh}] each.</summary>"
            : $"/// <summary>Backward of <see cref=\"{unit.Name}Forward\"/>: dz [rows, {gh}] receives ∂L/∂(W_ih x + b_ih), which reset before is also ∂L/∂(recurrent pre-activations); dz2 is not used.</summary>");
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block(UnitWriter.BackwardSignature(plan, unit)))
        {
            w.WriteLine("int rows = steps * batch;");
            w.WriteLine("int stride = batch * ldy;");
            w.WriteLine($"int cacheStride = batch * {ldc};");
            w.WriteLine($"int dzStride = batch * {gh};");
            if (after)
            {
                w.WriteLine($"{s} whh = scratch.Slice(0, {gh * h});");
                w.WriteLine($"{ModelWriter.Rows}.TransposePanelsToPanels({unit.RecurrentWeight.In("p")}, {h}, {gh}, {plan.PanelWidth}, 0, {gh}, whh); // W_hh untransposed: [3H, H], panel-major");
            }
            else
            {
                w.WriteLine($"{s} whrz = scratch.Slice(0, {2 * h * h});");
                w.WriteLine($"{s} whn = scratch.Slice({2 * h * h}, {h * h});");
                w.WriteLine($"{ModelWriter.Rows}.TransposePanelsToPanels({unit.RecurrentWeight.In("p")}, {h}, {gh}, {plan.PanelWidth}, 0, {2 * h}, whrz); // W_h(r,z) untransposed: [2H, H], panel-major");
                w.WriteLine($"{ModelWriter.Rows}.TransposePanelsToPanels({unit.RecurrentWeight.In("p")}, {h}, {gh}, {plan.PanelWidth}, {2 * h}, {h}, whn); // W_hn untransposed: [H, H], panel-major");
            }

            if (!after)
            {
                w.WriteLine($"{s} drh = work.Slice(0, batch * {h});");
            }

            w.WriteLine();
            w.WriteLine("// The final state's gradient joins the last step's.");
            w.WriteLine($"{ModelWriter.Rows}.AddInto(dhN, {h}, dy.Slice(({last}) * stride), ldy, batch, {h});");
            w.WriteLine($"dh0.Slice(0, batch * {h}).Clear();");
            w.WriteLine();
            w.WriteLine($"// BPTT, latest step first: ∂L/∂h_{prev} gets ∂L/∂h_t ⊙ z directly and ∂L/∂(recurrent z_t) · W_hh through the gates.");
            w.WriteLine($"int t = {last};");
            using (w.Block("while (true)"))
            {
                UnitWriter.WriteFlow(w, plan, unit, "t");
                w.WriteLine($"bool isFirst = t == {first};");
                w.WriteLine($"{rs} hPrevious = isFirst ? h0 : y.Slice(({previous}) * stride);");
                w.WriteLine($"int ldPrevious = isFirst ? {h} : ldy;");
                w.WriteLine($"{s} dhPrevious = isFirst ? dh0 : dy.Slice(({previous}) * stride);");
                w.WriteLine($"{rs} ct = cache.Slice(t * cacheStride);");
                w.WriteLine($"{s} dzx = dz.Slice(t * dzStride);");
                w.WriteLine($"{s} dzh = {dzh}.Slice(t * dzStride);");
                if (after)
                {
                    w.WriteLine($"{cells}.GruBackward(ct, {ldc}, hPrevious, ldPrevious, dy.Slice(t * stride), ldy, dhPrevious, ldPrevious, dzx, dzh, {gh}, batch, {h});");
                    w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {gh}, dzh, {gh}, whh, {h}, {plan.PanelWidth}, 0, {h}, dhPrevious, ldPrevious);");
                }
                else
                {
                    w.WriteLine($"{cells}.GruResetBeforeBackwardUpdate(ct, {ldc}, hPrevious, ldPrevious, dy.Slice(t * stride), ldy, dhPrevious, ldPrevious, dzx, dzh, {gh}, batch, {h});");
                    w.WriteLine("// ∂L/∂(r ⊙ h) = ∂L/∂n_pre · W_hn");
                    w.WriteLine($"drh.Clear();");
                    w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {h}, dzh.Slice({2 * h}), {gh}, whn, {h}, {plan.PanelWidth}, 0, {h}, drh, {h});");
                    w.WriteLine($"{cells}.GruResetBeforeBackwardReset(ct, {ldc}, hPrevious, ldPrevious, drh, {h}, dhPrevious, ldPrevious, dzx, dzh, {gh}, batch, {h});");
                    w.WriteLine("// ∂L/∂h_prev += [∂L/∂r_pre, ∂L/∂z_pre] · W_h(r,z)");
                    w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {2 * h}, dzh, {gh}, whrz, {h}, {plan.PanelWidth}, 0, {h}, dhPrevious, ldPrevious);");
                }

                using (w.Block("if (isFirst)"))
                {
                    w.WriteLine("break;");
                }

                w.WriteLine($"t = {previous};");
            }

            w.WriteLine();
            if (after)
            {
                w.WriteLine($"// ∂L/∂W_hh += Σ_t ∂L/∂(recurrent z_t) h_{prev}ᵀ (stored transposed)");
                UnitWriter.WriteRecurrentWeightGradient(w, plan, unit, "dz2", N(gh), "dzStride", 0, gh, unit.RecurrentWeight.In("g"));
            }
            else
            {
                w.WriteLine($"// ∂L/∂W_h(r,z) += Σ_t ∂L/∂(r,z)_t h_{prev}ᵀ;  ∂L/∂W_hn += Σ_t ∂L/∂n_t (r ⊙ h)ᵀ (stored transposed)");
                w.WriteLine($"{s} gWhh = {unit.RecurrentWeight.In("g")};");
                UnitWriter.WriteRecurrentWeightGradient(w, plan, unit, dzh, N(gh), "dzStride", 0, 2 * h, "gWhh");
                w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddTransposedAPanels({h}, rows, cache.Slice({gh}), {ldc}, {dzh}.Slice({2 * h}), {gh}, gWhh, {gh}, {plan.PanelWidth}, {2 * h}, {h});");
            }

            w.WriteLine();
            UnitWriter.WriteInputGradients(w, plan, unit, "dz", dzh, N(gh));
        }

        w.WriteLine();
    }

    private static string N(int value) => ModelPlan.N(value);
}
