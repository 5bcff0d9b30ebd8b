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
        string rs = plan.ReadOnlySpan, s = plan.Span;
        string g = layer.Info.Activation switch
        {
            ActivationKind.Relu => "relu",
            ActivationKind.Sigmoid => "σ",
            _ => "tanh",
        };
        string activation = layer.Info.Activation switch
        {
            ActivationKind.Relu => "Relu",
            ActivationKind.Sigmoid => "Sigmoid",
            _ => "Tanh",
        };
        string derivative = layer.Info.Activation switch
        {
            ActivationKind.Relu => "[h_t > 0]",
            ActivationKind.Sigmoid => "h_t(1 − h_t)",
            _ => "(1 − h_t²)",
        };

        // Time runs forward (t−1 precedes t) or, for the reverse direction, backward (t+1 precedes t).
        bool reverse = unit.Reverse;
        string prev = reverse ? "t + 1" : "t − 1";
        string first = reverse ? "steps - 1" : "0";
        string last = reverse ? "0" : "steps - 1";

        w.WriteLine($"// ───── Layer {layer.Index}{(reverse ? ", reverse direction" : string.Empty)}: {layer.Describe()} ─────");
        w.WriteLine($"//   h_t = {g}(W_ih x_t + b_ih + W_hh h_{{{prev}}} + b_hh)");
        w.WriteLine($"//   {unit.InputWeight.Name} {unit.InputWeight.ShapeText} and {unit.RecurrentWeight.Name} {unit.RecurrentWeight.ShapeText} are stored transposed.");
        w.WriteLine();
        w.WriteLine($"/// <summary>");
        w.WriteLine($"/// Forward over steps × batch rows: x [rows, {input}] (stride ldx) → y [rows, {h}] (stride ldy) holding h_t;");
        w.WriteLine($"/// h0 [batch, {h}] is h before the first step{(reverse ? " (t = T−1)" : string.Empty)}, hN [batch, {h}] receives the last (may alias h0).");
        w.WriteLine($"/// </summary>");
        using (w.Block($"private static void {unit.Name}Forward({rs} p, {rs} x, int ldx, {s} y, int ldy, {rs} h0, {s} hN, int steps, int batch)"))
        {
            w.WriteLine("int rows = steps * batch;");
            w.WriteLine("int stride = batch * ldy;");
            w.WriteLine($"{rs} whh = {unit.RecurrentWeight.In("p")};");
            w.WriteLine();
            w.WriteLine("// z_t = W_ih x_t + b_ih + b_hh for every step at once: one product over all rows.");
            w.WriteLine($"{ModelWriter.Rows}.Broadcast(y, rows, {h}, ldy, {unit.InputBias.In("p")}, {unit.RecurrentBias.In("p")});");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAdd(rows, {h}, {input}, x, ldx, {unit.InputWeight.In("p")}, {h}, y, ldy);");
            w.WriteLine();
            w.WriteLine($"// h_t = {g}(z_t + W_hh h_{{{prev}}}), starting from h0.");
            w.WriteLine($"{s} yt = y.Slice(({first}) * stride);");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAdd(batch, {h}, {h}, h0, {h}, whh, {h}, yt, ldy);");
            w.WriteLine($"{ModelWriter.Activations}.{activation}(yt, batch, {h}, ldy);");
            using (w.Block(reverse ? "for (int t = steps - 2; t >= 0; t--)" : "for (int t = 1; t < steps; t++)"))
            {
                w.WriteLine("yt = y.Slice(t * stride);");
                w.WriteLine($"{ModelWriter.Gemm}.MultiplyAdd(batch, {h}, {h}, y.Slice(({(reverse ? "t + 1" : "t - 1")}) * stride), ldy, whh, {h}, yt, ldy);");
                w.WriteLine($"{ModelWriter.Activations}.{activation}(yt, batch, {h}, ldy);");
            }

            w.WriteLine();
            w.WriteLine("// The final state is the last step's output.");
            w.WriteLine($"{ModelWriter.Rows}.Copy(y.Slice(({last}) * stride), ldy, hN, {h}, batch, {h});");
        }

        w.WriteLine();
        w.WriteLine($"/// <summary>");
        w.WriteLine($"/// Backward of <see cref=\"{unit.Name}Forward\"/>. dy [rows, {h}] (stride ldy) holds ∂L/∂h_t from above and is");
        w.WriteLine($"/// overwritten with ∂L/∂z_t; dhN is ∂L/∂h of the final state; dh0 receives ∂L/∂h0; dx [rows, {input}] is added to.");
        w.WriteLine($"/// Parameter gradients are added to g.");
        w.WriteLine($"/// </summary>");
        using (w.Block($"private static void {unit.Name}Backward({rs} p, {s} g, {rs} x, int ldx, {rs} y, {s} dy, int ldy, {rs} h0, {rs} dhN, {s} dh0, {s} dx, int lddx, {s} scratch, int steps, int batch)"))
        {
            w.WriteLine("int rows = steps * batch;");
            w.WriteLine("int stride = batch * ldy;");
            w.WriteLine($"{s} whh = scratch.Slice(0, {h * h});");
            w.WriteLine($"{ModelWriter.Rows}.Transpose({unit.RecurrentWeight.In("p")}, {h}, {h}, whh); // W_hh untransposed: [out, in]");
            w.WriteLine();
            w.WriteLine("// The final state's gradient joins the gradient of the last step's output.");
            w.WriteLine($"{ModelWriter.Rows}.AddInto(dhN, {h}, dy.Slice(({last}) * stride), ldy, batch, {h});");
            w.WriteLine($"dh0.Slice(0, batch * {h}).Clear();");
            w.WriteLine();
            w.WriteLine($"// BPTT, latest step first: ∂L/∂z_t = ∂L/∂h_t ⊙ {derivative};  ∂L/∂h_{{{prev}}} += ∂L/∂z_t · W_hh");
            using (w.Block(reverse ? "for (int t = 0; t < steps - 1; t++)" : "for (int t = steps - 1; t > 0; t--)"))
            {
                w.WriteLine($"{s} dzt = dy.Slice(t * stride);");
                w.WriteLine($"{ModelWriter.Activations}.{activation}Backward(y.Slice(t * stride), ldy, dzt, ldy, batch, {h});");
                w.WriteLine($"{ModelWriter.Gemm}.MultiplyAdd(batch, {h}, {h}, dzt, ldy, whh, {h}, dy.Slice(({(reverse ? "t + 1" : "t - 1")}) * stride), ldy);");
            }

            w.WriteLine($"{s} dz0 = dy.Slice(({first}) * stride);");
            w.WriteLine($"{ModelWriter.Activations}.{activation}Backward(y.Slice(({first}) * stride), ldy, dz0, ldy, batch, {h});");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAdd(batch, {h}, {h}, dz0, ldy, whh, {h}, dh0, {h});");
            w.WriteLine();
            w.WriteLine($"// ∂L/∂W_hh += Σ_t ∂L/∂z_t h_{{{prev}}}ᵀ  (stored transposed: h_prevᵀ · dz), h0 first, then the outputs.");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddTransposedA({h}, {h}, batch, h0, {h}, dz0, ldy, {unit.RecurrentWeight.In("g")}, {h});");
            using (w.Block("if (steps > 1)"))
            {
                string yPrev = reverse ? "y.Slice(stride)" : "y";
                string dzNext = reverse ? "dy" : "dy.Slice(stride)";
                w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddTransposedA({h}, {h}, rows - batch, {yPrev}, ldy, {dzNext}, ldy, {unit.RecurrentWeight.In("g")}, {h});");
            }

            w.WriteLine();
            w.WriteLine("// ∂L/∂W_ih += Σ_t ∂L/∂z_t x_tᵀ;  ∂L/∂b_ih = ∂L/∂b_hh += Σ_t ∂L/∂z_t");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAddTransposedA({input}, {h}, rows, x, ldx, dy, ldy, {unit.InputWeight.In("g")}, {h});");
            w.WriteLine($"{ModelWriter.Rows}.SumInto(dy, rows, {h}, ldy, {unit.InputBias.In("g")});");
            w.WriteLine($"{ModelWriter.Rows}.SumInto(dy, rows, {h}, ldy, {unit.RecurrentBias.In("g")});");
            w.WriteLine();
            w.WriteLine("// ∂L/∂x_t += ∂L/∂z_t · W_ih");
            w.WriteLine($"{s} wih = scratch.Slice(0, {h * input});");
            w.WriteLine($"{ModelWriter.Rows}.Transpose({unit.InputWeight.In("p")}, {input}, {h}, wih);");
            w.WriteLine($"{ModelWriter.Gemm}.MultiplyAdd(rows, {input}, {h}, dy, ldy, wih, {input}, dx, lddx);");
        }

        w.WriteLine();
    }
}
