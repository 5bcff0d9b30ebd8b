using NativeRnn.Generators.Helpers;

namespace NativeRnn.Generators.Emit;

/// <summary>
/// Writes one direction of an LSTM layer (PyTorch gate order i, f, g, o). The forward pass keeps each
/// step's activated gates, <c>c_t</c> and <c>tanh c_t</c> in the cache; the fused cell kernels do the
/// element-wise work, <c>Gemm</c> the products.
/// </summary>
internal static class LstmWriter
{
    public static void Write(IndentedTextWriter w, ModelPlan plan, UnitPlan unit)
    {
        LayerPlan layer = unit.Layer;
        int h = layer.Hidden, input = layer.InputWidth, gh = 4 * h, ldc = layer.CacheWidth;
        string s = plan.Span, rs = plan.ReadOnlySpan;
        string prev = UnitWriter.PreviousText(unit), first = UnitWriter.First(unit), last = UnitWriter.Last(unit), previous = UnitWriter.Previous(unit);

        w.WriteLine($"// ───── Layer {layer.Index}{(unit.Reverse ? ", reverse direction" : string.Empty)}: {layer.Describe()} ─────");
        w.WriteLine($"//   [i f g o] = [σ σ tanh σ](W_ih x_t + b_ih + W_hh h_{prev} + b_hh)");
        w.WriteLine($"//   c_t = f ⊙ c_{prev} + i ⊙ g          h_t = o ⊙ tanh(c_t)");
        w.WriteLine($"//   cache row [{ldc}] = [i f g o | c_t | tanh c_t];  {unit.InputWeight.Name} {unit.InputWeight.ShapeText} and {unit.RecurrentWeight.Name} {unit.RecurrentWeight.ShapeText} stored transposed.");
        w.WriteLine();
        w.WriteLine($"/// <summary>Forward: x [rows, {input}] → y [rows, {h}] holding h_t; c0 → cN; cache [rows, {ldc}].</summary>");
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block(UnitWriter.ForwardSignature(plan, unit)))
        {
            w.WriteLine("int rows = steps * batch;");
            w.WriteLine("int stride = batch * ldy;");
            w.WriteLine($"int cacheStride = batch * {ldc};");
            w.WriteLine($"{rs} whh = {unit.RecurrentWeight.In("p")};");
            w.WriteLine();
            w.WriteLine("// z_t = W_ih x_t + b_ih + b_hh for every step at once: one product over all rows.");
            w.WriteLine(UnitWriter.StartRows("cache", "rows", gh, N(ldc), unit.InputBias?.In("p"), unit.RecurrentBias?.In("p")));
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(rows, {input}, x, ldx, {unit.InputWeight.In("p")}, {gh}, {plan.PanelWidth}, 0, {gh}, cache, {ldc});");
            w.WriteLine();
            w.WriteLine($"// z_t += W_hh h_{prev}; then the gates, c_t and h_t, starting from h0 and c0.");
            w.WriteLine($"{s} zt = cache.Slice(({first}) * cacheStride);");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {h}, h0, {h}, whh, {gh}, {plan.PanelWidth}, 0, {gh}, zt, {ldc});");
            w.WriteLine($"global::NativeRnn.Kernels.Cells.LstmForward(zt, {ldc}, c0, {h}, y.Slice(({first}) * stride), ldy, batch, {h});");
            using (w.Block(UnitWriter.ForwardLoop(unit)))
            {
                w.WriteLine("zt = cache.Slice(t * cacheStride);");
                w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {h}, y.Slice(({previous}) * stride), ldy, whh, {gh}, {plan.PanelWidth}, 0, {gh}, zt, {ldc});");
                w.WriteLine($"global::NativeRnn.Kernels.Cells.LstmForward(zt, {ldc}, cache.Slice((({previous}) * cacheStride) + {gh}), {ldc}, y.Slice(t * stride), ldy, batch, {h});");
            }

            w.WriteLine();
            w.WriteLine("// The final states are the last step's h and c.");
            w.WriteLine($"{ModelWriter.Rows}.Copy(y.Slice(({last}) * stride), ldy, hN, {h}, batch, {h});");
            w.WriteLine($"{ModelWriter.Rows}.Copy(cache.Slice((({last}) * cacheStride) + {gh}), {ldc}, cN, {h}, batch, {h});");
        }

        w.WriteLine();
        w.WriteLine($"/// <summary>Backward of <see cref=\"{unit.Name}Forward\"/>: dz [rows, {gh}] receives ∂L/∂z_t; dc0 carries ∂L/∂c back through time.</summary>");
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block(UnitWriter.BackwardSignature(plan, unit)))
        {
            w.WriteLine("int rows = steps * batch;");
            w.WriteLine("int stride = batch * ldy;");
            w.WriteLine($"int cacheStride = batch * {ldc};");
            w.WriteLine($"int dzStride = batch * {gh};");
            w.WriteLine($"{s} whh = scratch.Slice(0, {gh * h});");
            w.WriteLine($"{ModelWriter.Rows}.TransposePanelsToPanels({unit.RecurrentWeight.In("p")}, {h}, {gh}, {plan.PanelWidth}, 0, {gh}, whh); // W_hh untransposed: [4H, H], panel-major");
            w.WriteLine();
            w.WriteLine("// Gradients flowing into the final states join the last step's; dc0 carries ∂L/∂c_t down to ∂L/∂c_0.");
            w.WriteLine($"{ModelWriter.Rows}.AddInto(dhN, {h}, dy.Slice(({last}) * stride), ldy, batch, {h});");
            w.WriteLine($"dcN.Slice(0, batch * {h}).CopyTo(dc0);");
            w.WriteLine($"dh0.Slice(0, batch * {h}).Clear();");
            w.WriteLine();
            w.WriteLine($"// BPTT, latest step first: through h_t = o ⊙ tanh c_t and c_t = f ⊙ c_{prev} + i ⊙ g to ∂L/∂z_t;  ∂L/∂h_{prev} += ∂L/∂z_t · W_hh");
            using (w.Block(UnitWriter.BackwardLoop(unit)))
            {
                UnitWriter.WriteFlow(w, plan, unit, "t");
                w.WriteLine($"{s} dzt = dz.Slice(t * dzStride);");
                w.WriteLine($"global::NativeRnn.Kernels.Cells.LstmBackward(cache.Slice(t * cacheStride), {ldc}, cache.Slice((({previous}) * cacheStride) + {gh}), {ldc}, dy.Slice(t * stride), ldy, dc0, dzt, {gh}, batch, {h});");
                w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {gh}, dzt, {gh}, whh, {h}, {plan.PanelWidth}, 0, {h}, dy.Slice(({previous}) * stride), ldy);");
            }

            UnitWriter.WriteFlow(w, plan, unit, first);
            w.WriteLine($"{s} dzFirst = dz.Slice(({first}) * dzStride);");
            w.WriteLine($"global::NativeRnn.Kernels.Cells.LstmBackward(cache.Slice(({first}) * cacheStride), {ldc}, c0, {h}, dy.Slice(({first}) * stride), ldy, dc0, dzFirst, {gh}, batch, {h});");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {gh}, dzFirst, {gh}, whh, {h}, {plan.PanelWidth}, 0, {h}, dh0, {h});");
            w.WriteLine();
            w.WriteLine($"// ∂L/∂W_hh += Σ_t ∂L/∂z_t h_{prev}ᵀ (stored transposed: h_prevᵀ · dz)");
            UnitWriter.WriteRecurrentWeightGradient(w, plan, unit, "dz", N(gh), "dzStride", 0, gh, unit.RecurrentWeight.In("g"));
            w.WriteLine();
            UnitWriter.WriteInputGradients(w, plan, unit, "dz", "dz", N(gh));
        }

        w.WriteLine();
    }

    private static string N(int value) => ModelPlan.N(value);
}
