using System.Linq;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

internal static partial class ModelWriter
{
    private static void WriteState(IndentedTextWriter w, ModelPlan plan)
    {
        w.WriteLine("// ──────────────────────── Streaming inference ───────────────────────");
        w.WriteLine();
        w.WriteLine("/// <summary>Elements of a <see cref=\"State\"/>: h of every layer" + (plan.Layers.Any(l => l.Kind == LayerKind.Lstm) ? ", and c of every LSTM layer" : string.Empty) + ".</summary>");
        w.WriteLine($"public const int StateSize = {plan.StateSize};");
        w.WriteLine();
        w.WriteLine("/// <summary>");
        w.WriteLine("/// The recurrent state of one stream, fixed in size and stored inline (no heap): a zero value is");
        w.WriteLine("/// the state before the first step. Copy it to fork a stream; it converts to a span of all its elements.");
        w.WriteLine("/// </summary>");
        w.WriteLine($"[global::System.Runtime.CompilerServices.InlineArray(StateSize)]");
        w.WriteLine(GeneratedCode);
        using (w.Block("public struct State"))
        {
            w.WriteLine($"private {plan.T} _element0;");
            w.WriteLine();
            w.WriteLine("/// <summary>The hidden state <c>h</c> of a layer.</summary>");
            w.WriteLine("/// <param name=\"layer\">Layer index, 0 at the bottom.</param>");
            w.WriteLine("/// <returns>A view of the layer's <c>h</c> inside this state.</returns>");
            w.WriteLine("[global::System.Diagnostics.CodeAnalysis.UnscopedRef]");
            w.WriteLine($"public {plan.Span} Hidden(int layer) => layer switch");
            w.WriteLine("{");
            w.Indent();
            foreach (LayerPlan layer in plan.Layers)
            {
                w.WriteLine($"{layer.Index} => All.Slice({layer.StateOffset}, {layer.Hidden}),");
            }

            w.WriteLine($"_ => throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, \"The model has {plan.Layers.Count} layer(s).\"),");
            w.Outdent();
            w.WriteLine("};");
            w.WriteLine();
            w.WriteLine("/// <summary>The cell state <c>c</c> of an LSTM layer.</summary>");
            w.WriteLine("/// <param name=\"layer\">Layer index, 0 at the bottom.</param>");
            w.WriteLine("/// <returns>A view of the layer's <c>c</c> inside this state.</returns>");
            w.WriteLine("/// <exception cref=\"global::System.InvalidOperationException\">The layer is not an LSTM.</exception>");
            w.WriteLine("[global::System.Diagnostics.CodeAnalysis.UnscopedRef]");
            w.WriteLine($"public {plan.Span} Cell(int layer) => layer switch");
            w.WriteLine("{");
            w.Indent();
            foreach (LayerPlan layer in plan.Layers)
            {
                w.WriteLine(layer.Kind == LayerKind.Lstm
                    ? $"{layer.Index} => All.Slice({layer.StateOffset + layer.Hidden}, {layer.Hidden}),"
                    : $"{layer.Index} => throw new global::System.InvalidOperationException(\"Layer {layer.Index} is not an LSTM layer and has no cell state.\"),");
            }

            w.WriteLine($"_ => throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, \"The model has {plan.Layers.Count} layer(s).\"),");
            w.Outdent();
            w.WriteLine("};");
            w.WriteLine();
            w.WriteLine("/// <summary>Sets every element to zero: the state before the first step.</summary>");
            w.WriteLine("public void Reset() => All.Clear();");
            w.WriteLine();
            w.WriteLine("[global::System.Diagnostics.CodeAnalysis.UnscopedRef]");
            w.WriteLine($"private {plan.Span} All => global::System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref _element0, StateSize);");
        }

        w.WriteLine();
    }

    /// <summary>
    /// For a model that cannot stream, members with the streaming names whose use is a compile error
    /// NRNN0014 that says why, instead of a bare "no such member".
    /// </summary>
    private static void WriteNoStreaming(IndentedTextWriter w, ModelPlan plan)
    {
        string message = $"{Diagnostics.DiagnosticDescriptors.StreamingUseId}: {plan.Model.Hierarchy.Name} has a bidirectional layer, whose reverse direction needs the whole sequence, so it cannot run step by step. Run whole sequences with Forward(Tape, …).";
        string obsolete = $"[global::System.Obsolete(\"{message}\", true, DiagnosticId = \"{Diagnostics.DiagnosticDescriptors.StreamingUseId}\", UrlFormat = \"{Diagnostics.HelpLinks.Format}\")]";
        w.WriteLine("// ─────────── No streaming: a bidirectional layer needs the whole sequence ───────────");
        w.WriteLine();
        w.WriteLine("/// <summary>Not available: this model has a bidirectional layer and cannot run step by step (NRNN0014).</summary>");
        w.WriteLine(obsolete);
        w.WriteLine("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
        using (w.Block("public struct State"))
        {
        }

        w.WriteLine();
        string input = plan.HasEmbedding ? "int token" : $"{plan.ReadOnlySpan} input";
        w.WriteLine("/// <summary>Not available: this model has a bidirectional layer and cannot run step by step (NRNN0014).</summary>");
        w.WriteLine($"/// <param name=\"state\">Unused.</param>");
        w.WriteLine($"/// <param name=\"{(plan.HasEmbedding ? "token" : "input")}\">Unused.</param>");
        w.WriteLine($"/// <param name=\"output\">Unused.</param>");
        w.WriteLine(obsolete);
        w.WriteLine("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
        w.WriteLine($"public {Readonly(plan)}void Step(ref State state, {input}, {plan.Span} output) => throw new global::System.NotSupportedException(\"{message}\");");
        w.WriteLine();
        string inputs = plan.HasEmbedding ? "global::System.ReadOnlySpan<int> tokens" : $"{plan.ReadOnlySpan} inputs";
        foreach (string method in new[] { "Step", "Forward" })
        {
            w.WriteLine("/// <summary>Not available: this model has a bidirectional layer and cannot run step by step (NRNN0014).</summary>");
            w.WriteLine("/// <param name=\"states\">Unused.</param>");
            w.WriteLine($"/// <param name=\"{(plan.HasEmbedding ? "tokens" : "inputs")}\">Unused.</param>");
            w.WriteLine("/// <param name=\"outputs\">Unused.</param>");
            w.WriteLine(obsolete);
            w.WriteLine("[global::System.ComponentModel.EditorBrowsable(global::System.ComponentModel.EditorBrowsableState.Never)]");
            w.WriteLine($"public {Readonly(plan)}void {method}(global::System.Span<State> states, {inputs}, {plan.Span} outputs) => throw new global::System.NotSupportedException(\"{message}\");");
            w.WriteLine();
        }
    }

    private const string MemoryMarshal = "global::System.Runtime.InteropServices.MemoryMarshal";

    /// <summary>
    /// Writes the code that carries one stream's rows through every layer and the head. With
    /// <paramref name="chunked"/>, <paramref name="steps"/> rows at once: each layer's input projection is one
    /// product over the chunk, then the layer's generated kernel runs the recurrence step by step. Otherwise
    /// one step, each layer's generated kernel updating its state in place.
    /// </summary>
    private static void WriteStreamingLayers(IndentedTextWriter w, ModelPlan plan, string input, string output, string steps, bool chunked)
    {
        string previous = input;
        string previousWidth = plan.InputWidthName;
        for (int k = 0; k < plan.Layers.Count; k++)
        {
            LayerPlan layer = plan.Layers[k];
            UnitPlan unit = layer.Units[0];
            bool last = k == plan.Layers.Count - 1;
            int hidden = layer.Hidden, gh = layer.Gates * hidden;
            string h = $"s.Slice({layer.StateOffset}, {hidden})";
            string hRef = $"NrnnUnsafe.Add(ref state, {layer.StateOffset})";
            string cArgument = layer.Kind == LayerKind.Lstm ? $"ref NrnnUnsafe.Add(ref state, {layer.StateOffset + hidden}), " : string.Empty;
            if (!chunked)
            {
                w.WriteLine($"// Layer {k} ({layer.Describe()}): {previous} → h of layer {k}, in place.");
                w.WriteLine($"{unit.Name}Step(ref parameters, ref {MemoryMarshal}.GetReference({previous}), ref {hRef}, {cArgument}ref {hRef});");
                previous = h;
                if (last && !plan.HasHead)
                {
                    w.WriteLine($"NrnnUnsafe.CopyBlockUnaligned(ref NrnnUnsafe.As<{plan.T}, byte>(ref {MemoryMarshal}.GetReference({output})), ref NrnnUnsafe.As<{plan.T}, byte>(ref {hRef}), {hidden * plan.ElementSize});");
                }
            }
            else
            {
                string buffer = last && !plan.HasHead ? output : (k % 2 == 0 ? "a" : "b");
                w.WriteLine($"// Layer {k} ({layer.Describe()}): {previous} → {buffer}; its state is updated in place.");
                using (w.Block())
                {
                    bool gru = layer.Kind == LayerKind.Gru;
                    w.WriteLine($"// z_t = W_ih x_t + b_ih{(gru ? string.Empty : " + b_hh")} for the whole chunk in one product.");
                    w.WriteLine($"{plan.Span} z = projection.Slice(0, {steps} * {gh});");
                    w.WriteLine(gru
                        ? UnitWriter.StartRows("z", steps, gh, N(gh), unit.InputBias?.In("p"))
                        : UnitWriter.StartRows("z", steps, gh, N(gh), unit.InputBias?.In("p"), unit.RecurrentBias?.In("p")));
                    w.WriteLine($"{Gemm}.MultiplyAddPanels({steps}, {layer.InputWidth}, {previous}, {previousWidth}, {unit.InputWeight.In("p")}, {gh}, {plan.PanelWidth}, 0, {gh}, z, {gh});");
                    w.WriteLine();
                    w.WriteLine($"// Then the recurrence, one generated step at a time: h_t from z_t and h_(t−1).");
                    w.WriteLine($"ref {plan.T} zRows = ref {MemoryMarshal}.GetReference(z);");
                    w.WriteLine($"ref {plan.T} hRows = ref {MemoryMarshal}.GetReference({buffer});");
                    w.WriteLine($"ref {plan.T} h0 = ref {hRef};");
                    using (w.Block($"for (int t = 0; t < {steps}; t++)"))
                    {
                        w.WriteLine($"ref {plan.T} previous = ref t == 0 ? ref h0 : ref NrnnUnsafe.Add(ref hRows, (t - 1) * {hidden});");
                        w.WriteLine($"{unit.Name}StepProjected(ref parameters, ref NrnnUnsafe.Add(ref zRows, t * {gh}), ref previous, {cArgument}ref NrnnUnsafe.Add(ref hRows, t * {hidden}));");
                    }

                    w.WriteLine($"{buffer}.Slice(({steps} - 1) * {hidden}, {hidden}).CopyTo({h});");
                }

                previous = buffer;
            }

            previousWidth = N(hidden);
        }

        if (plan.HasHead)
        {
            w.WriteLine($"// Head: {previous} → {output}.");
            w.WriteLine($"HeadForward(p, {previous}, {previousWidth}, {output}, {steps});");
        }
    }

    /// <summary>Stack buffers are filled before they are read; where the project allows unsafe code, skip zeroing them.</summary>
    private static void WriteSkipLocalsInit(IndentedTextWriter w, ModelPlan plan)
    {
        if (plan.Model.AllowUnsafe)
        {
            w.WriteLine("[global::System.Runtime.CompilerServices.SkipLocalsInit]");
        }
    }

    private static void WriteStep(IndentedTextWriter w, ModelPlan plan)
    {
        string ro = Readonly(plan);
        bool tokens = plan.HasEmbedding;
        string input = tokens ? "int token" : $"{plan.ReadOnlySpan} input";
        string arguments = tokens ? "token" : "input";
        w.WriteLine("/// <summary>");
        w.WriteLine($"/// Advances one stream by one time step: reads {(tokens ? "a token" : "<c>x_t</c>")}, updates <paramref name=\"state\"/> from");
        w.WriteLine("/// <c>h_{t−1}</c> to <c>h_t</c> in every layer and writes the output <c>y_t</c>. Allocates nothing.");
        w.WriteLine("/// </summary>");
        w.WriteLine("/// <param name=\"state\">The stream's state, updated in place.</param>");
        w.WriteLine(tokens
            ? "/// <param name=\"token\">The token id, in <c>[0, Vocabulary)</c>.</param>"
            : "/// <param name=\"input\"><c>x_t</c>, <see cref=\"InputSize\"/> finite values.</param>");
        w.WriteLine("/// <param name=\"output\">Receives <c>y_t</c>, <see cref=\"OutputSize\"/> values.</param>");
        w.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">A length is wrong, the input is {(tokens ? "not a token id" : "not finite")} or the state holds NaN or ∞; the state is unchanged.</exception>");
        w.WriteLine(UnitWriter.AggressiveOptimization);
        w.WriteLine($"public {ro}void Step(ref State state, {input}, {plan.Span} output) => StepCore(state, {arguments}, output);");
        w.WriteLine();
        WriteSkipLocalsInit(w, plan);
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block($"private {ro}void StepCore({plan.Span} s, {input}, {plan.Span} output)"))
        {
            if (tokens)
            {
                using (w.Block("if ((uint)token >= Vocabulary)"))
                {
                    w.WriteLine("throw new global::System.ArgumentOutOfRangeException(nameof(token), token, $\"The vocabulary has ids 0 to {Vocabulary - 1}.\");");
                }
            }
            else
            {
                w.WriteLine($"{Guard}.Length(input.Length, InputSize, nameof(input), \"[InputSize]\");");
                w.WriteLine($"{Guard}.Finite(input, nameof(input));");
            }

            w.WriteLine($"{Guard}.Length(output.Length, OutputSize, nameof(output), \"[OutputSize]\");");
            w.WriteLine($"{Guard}.Finite<{plan.T}>(s, \"state\");");
            w.WriteLine($"{plan.Span} block = ParameterBlock;");
            w.WriteLine($"{plan.ReadOnlySpan} p = block;");
            w.WriteLine($"ref {plan.T} parameters = ref {MemoryMarshal}.GetReference(block);");
            w.WriteLine($"ref {plan.T} state = ref {MemoryMarshal}.GetReference(s);");
            if (tokens)
            {
                w.WriteLine($"{plan.ReadOnlySpan} x = p.Slice({plan.Embedding!.OffsetName} + (token * EmbeddingSize), EmbeddingSize); // x_t = E[token]");
            }

            WriteStreamingLayers(w, plan, tokens ? "x" : "input", "output", "1", chunked: false);
        }

        w.WriteLine();
    }

    /// <summary>Elements of the chunk buffer per step of the streaming <c>Forward</c>: layer outputs, input projections, embedded inputs.</summary>
    private static int ChunkRowWidth(ModelPlan plan)
        => (plan.Layers.Count > 1 ? 2 : 1) * plan.MaxLayerWidth
         + plan.Layers.Max(l => l.Gates * l.Hidden)
         + (plan.HasEmbedding ? plan.InputSize : 0);

    private static void WriteStreamingForward(IndentedTextWriter w, ModelPlan plan)
    {
        string ro = Readonly(plan);
        int stackChunk = plan.ChunkSteps;
        const int PooledChunk = 128;
        int rowWidth = ChunkRowWidth(plan);
        bool tokens = plan.HasEmbedding;
        string inputs = tokens ? "global::System.ReadOnlySpan<int> tokens" : $"{plan.ReadOnlySpan} inputs";
        string inputsName = tokens ? "tokens" : "inputs";
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Runs one stream over a whole sequence, continuing from <paramref name=\"state\"/>: the same result as");
        w.WriteLine("/// <c>Step</c> once per step, but each layer's input projection <c>W_ih x_t</c> is one product over");
        w.WriteLine($"/// up to {PooledChunk} steps, so the input weights are read once per chunk, not once per step. Short sequences");
        w.WriteLine($"/// (up to {stackChunk} steps) use stack buffers; longer ones a buffer from the shared array pool. Allocates nothing");
        w.WriteLine("/// once the pool is warm.");
        w.WriteLine("/// </summary>");
        w.WriteLine("/// <param name=\"state\">The stream's state, advanced to the end of the sequence.</param>");
        w.WriteLine(tokens
            ? "/// <param name=\"tokens\">The token ids, each in <c>[0, Vocabulary)</c>.</param>"
            : "/// <param name=\"inputs\"><c>[steps, InputSize]</c>, finite.</param>");
        w.WriteLine("/// <param name=\"outputs\">Receives <c>[steps, OutputSize]</c>.</param>");
        w.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">A length is wrong, an input is {(tokens ? "not a token id" : "not finite")} or the state holds NaN or ∞; the state is unchanged.</exception>");
        w.WriteLine(UnitWriter.AggressiveOptimization);
        w.WriteLine($"public {ro}void Forward(ref State state, {inputs}, {plan.Span} outputs) => ForwardCore(state, {inputsName}, outputs);");
        w.WriteLine();
        WriteSkipLocalsInit(w, plan);
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block($"private {ro}void ForwardCore({plan.Span} s, {inputs}, {plan.Span} outputs)"))
        {
            if (tokens)
            {
                w.WriteLine("int steps = tokens.Length;");
                w.WriteLine($"{Rows}.CheckTokens(tokens, Vocabulary);");
            }
            else
            {
                w.WriteLine("int steps = inputs.Length / InputSize;");
                w.WriteLine($"{Guard}.Length(inputs.Length, (long)steps * InputSize, nameof(inputs), \"[steps, InputSize]\");");
                w.WriteLine($"{Guard}.Finite(inputs, nameof(inputs));");
            }

            w.WriteLine($"{Guard}.Length(outputs.Length, (long)steps * OutputSize, nameof(outputs), \"[steps, OutputSize]\");");
            w.WriteLine($"{Guard}.Finite<{plan.T}>(s, \"state\");");
            using (w.Block($"if (steps <= {stackChunk})"))
            {
                w.WriteLine($"ForwardChunks(s, {inputsName}, outputs, stackalloc {plan.T}[{stackChunk * rowWidth}], {stackChunk});");
                w.WriteLine("return;");
            }

            w.WriteLine();
            w.WriteLine($"{plan.T}[] rented = global::System.Buffers.ArrayPool<{plan.T}>.Shared.Rent({PooledChunk * rowWidth});");
            using (w.Block("try"))
            {
                w.WriteLine($"ForwardChunks(s, {inputsName}, outputs, rented, {PooledChunk});");
            }

            using (w.Block("finally"))
            {
                w.WriteLine($"global::System.Buffers.ArrayPool<{plan.T}>.Shared.Return(rented);");
            }
        }

        w.WriteLine();
        w.WriteLine("/// <summary>The streaming forward pass in chunks of <paramref name=\"chunk\"/> steps, with its buffers carved from <paramref name=\"buffer\"/>.</summary>");
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block($"private {ro}void ForwardChunks({plan.Span} s, {inputs}, {plan.Span} outputs, {plan.Span} buffer, int chunk)"))
        {
            w.WriteLine($"int steps = {(tokens ? "tokens.Length" : "inputs.Length / InputSize")};");
            w.WriteLine($"{plan.Span} block = ParameterBlock;");
            w.WriteLine($"{plan.ReadOnlySpan} p = block;");
            w.WriteLine($"ref {plan.T} parameters = ref {MemoryMarshal}.GetReference(block);");
            w.WriteLine($"ref {plan.T} state = ref {MemoryMarshal}.GetReference(s);");
            w.WriteLine("int used = 0;");
            void Carve(string name, string length) => w.WriteLine($"{plan.Span} {name} = buffer.Slice(used, {length}); used += {name}.Length;");
            Carve("a", $"chunk * {plan.MaxLayerWidth}");
            if (plan.Layers.Count > 1)
            {
                Carve("b", $"chunk * {plan.MaxLayerWidth}");
            }

            Carve("projection", $"chunk * {plan.Layers.Max(l => l.Gates * l.Hidden)}");

            if (tokens)
            {
                Carve("embedded", "chunk * EmbeddingSize");
            }

            using (w.Block("for (int t0 = 0; t0 < steps; t0 += chunk)"))
            {
                w.WriteLine("int n = global::System.Math.Min(chunk, steps - t0);");
                if (tokens)
                {
                    w.WriteLine($"{plan.Span} x = embedded.Slice(0, n * EmbeddingSize);");
                    w.WriteLine($"{Rows}.Gather({plan.Embedding!.In("p")}, EmbeddingSize, tokens.Slice(t0, n), x); // x_t = E[token_t]");
                }
                else
                {
                    w.WriteLine($"{plan.ReadOnlySpan} x = inputs.Slice(t0 * InputSize, n * InputSize);");
                }

                w.WriteLine($"{plan.Span} y = outputs.Slice(t0 * OutputSize, n * OutputSize);");
                WriteStreamingLayers(w, plan, "x", "y", "n", chunked: true);
            }
        }

        w.WriteLine();
    }
}
