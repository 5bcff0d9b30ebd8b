using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

/// <summary>
/// Writes one direction of a simple (Elman) layer: <c>h_t = g(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)</c>.
/// The forward pass keeps only <c>h_t</c>; the backward pass takes <c>g'</c> from it.
/// </summary>
internal static class SimpleRnnWriter
{
    public static void Write(IndentedTextWriter w, ModelPlan plan, UnitPlan unit)
    {
        LayerPlan layer = unit.Layer;
        int h = layer.Hidden, input = layer.InputWidth;
        string s = plan.Span;
        (string g, string activation, string derivative) = layer.Info.Activation switch
        {
            ActivationKind.Relu => ("relu", "Relu", "[h_t > 0]"),
            ActivationKind.Sigmoid => ("σ", "Sigmoid", "h_t(1 − h_t)"),
            _ => ("tanh", "Tanh", "(1 − h_t²)"),
        };
        string prev = UnitWriter.PreviousText(unit), first = UnitWriter.First(unit), last = UnitWriter.Last(unit);

        w.WriteLine($"// ───── Layer {layer.Index}{(unit.Reverse ? ", reverse direction" : string.Empty)}: {layer.Describe()} ─────");
        w.WriteLine($"//   h_t = {g}(W_ih x_t + b_ih + W_hh h_{prev} + b_hh)");
        w.WriteLine($"//   {unit.InputWeight.Name} {unit.InputWeight.ShapeText} and {unit.RecurrentWeight.Name} {unit.RecurrentWeight.ShapeText} are stored transposed.");
        w.WriteLine();
        w.WriteLine($"/// <summary>Forward: x [rows, {input}] → y [rows, {h}] holding h_t (see <c>UnitWriter</c> for the shared signature).</summary>");
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block(UnitWriter.ForwardSignature(plan, unit)))
        {
            w.WriteLine("int rows = steps * batch;");
            w.WriteLine("int stride = batch * ldy;");
            w.WriteLine($"{plan.ReadOnlySpan} whh = {unit.RecurrentWeight.In("p")};");
            w.WriteLine();
            w.WriteLine("// z_t = W_ih x_t + b_ih + b_hh for every step at once: one product over all rows.");
            w.WriteLine(UnitWriter.StartRows("y", "rows", h, "ldy", unit.InputBias?.In("p"), unit.RecurrentBias?.In("p")));
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(rows, {input}, x, ldx, {unit.InputWeight.In("p")}, {h}, {plan.PanelWidth}, 0, {h}, y, ldy);");
            w.WriteLine();
            w.WriteLine($"// h_t = {g}(z_t + W_hh h_{prev}), starting from h0.");
            w.WriteLine($"{s} yt = y.Slice(({first}) * stride);");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {h}, h0, {h}, whh, {h}, {plan.PanelWidth}, 0, {h}, yt, ldy);");
            w.WriteLine($"{ModelWriter.Activations}.{activation}(yt, batch, {h}, ldy);");
            using (w.Block(UnitWriter.ForwardLoop(unit)))
            {
                w.WriteLine("yt = y.Slice(t * stride);");
                w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {h}, y.Slice(({UnitWriter.Previous(unit)}) * stride), ldy, whh, {h}, {plan.PanelWidth}, 0, {h}, yt, ldy);");
                w.WriteLine($"{ModelWriter.Activations}.{activation}(yt, batch, {h}, ldy);");
            }

            w.WriteLine();
            w.WriteLine("// The final state is the last step's output.");
            w.WriteLine($"{ModelWriter.Rows}.Copy(y.Slice(({last}) * stride), ldy, hN, {h}, batch, {h});");
        }

        w.WriteLine();
        w.WriteLine($"/// <summary>Backward of <see cref=\"{unit.Name}Forward\"/>: dy holds ∂L/∂h_t and becomes ∂L/∂z_t in place.</summary>");
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block(UnitWriter.BackwardSignature(plan, unit)))
        {
            w.WriteLine("int rows = steps * batch;");
            w.WriteLine("int stride = batch * ldy;");
            w.WriteLine($"{s} whh = scratch.Slice(0, {h * h});");
            w.WriteLine($"{ModelWriter.Rows}.TransposePanelsToPanels({unit.RecurrentWeight.In("p")}, {h}, {h}, {plan.PanelWidth}, 0, {h}, whh); // W_hh untransposed: [out, in], panel-major");
            w.WriteLine();
            w.WriteLine("// The final state's gradient joins the gradient of the last step's output.");
            w.WriteLine($"{ModelWriter.Rows}.AddInto(dhN, {h}, dy.Slice(({last}) * stride), ldy, batch, {h});");
            w.WriteLine($"dh0.Slice(0, batch * {h}).Clear();");
            w.WriteLine();
            w.WriteLine($"// BPTT, latest step first: ∂L/∂z_t = ∂L/∂h_t ⊙ {derivative};  ∂L/∂h_{prev} += ∂L/∂z_t · W_hh");
            using (w.Block(UnitWriter.BackwardLoop(unit)))
            {
                UnitWriter.WriteFlow(w, plan, unit, "t");
                w.WriteLine($"{s} dzt = dy.Slice(t * stride);");
                w.WriteLine($"{ModelWriter.Activations}.{activation}Backward(y.Slice(t * stride), ldy, dzt, ldy, batch, {h});");
                w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {h}, dzt, ldy, whh, {h}, {plan.PanelWidth}, 0, {h}, dy.Slice(({UnitWriter.Previous(unit)}) * stride), ldy);");
            }

            UnitWriter.WriteFlow(w, plan, unit, first);
            w.WriteLine($"{s} dzFirst = dy.Slice(({first}) * stride);");
            w.WriteLine($"{ModelWriter.Activations}.{activation}Backward(y.Slice(({first}) * stride), ldy, dzFirst, ldy, batch, {h});");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddPanels(batch, {h}, dzFirst, ldy, whh, {h}, {plan.PanelWidth}, 0, {h}, dh0, {h});");
            w.WriteLine();
            w.WriteLine($"// ∂L/∂W_hh += Σ_t ∂L/∂z_t h_{prev}ᵀ (stored transposed: h_prevᵀ · dz)");
            UnitWriter.WriteRecurrentWeightGradient(w, plan, unit, "dy", "ldy", "stride", 0, h, unit.RecurrentWeight.In("g"));
            w.WriteLine();
            UnitWriter.WriteInputGradients(w, plan, unit, "dy", "dy", "ldy");
        }

        w.WriteLine();
    }
}
