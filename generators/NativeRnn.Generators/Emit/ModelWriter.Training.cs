using System.Linq;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

internal static partial class ModelWriter
{
    /// <summary>Parts of a unit's per-sequence state region, in order.</summary>
    private static readonly string[] StateParts =
    {
        "InitialHidden", "FinalHidden", "InitialHiddenGradient", "FinalHiddenGradient",
        "InitialCell", "FinalCell", "InitialCellGradient", "FinalCellGradient",
    };

    private static int PartsOf(LayerPlan layer) => layer.StateParts;

    /// <summary>
    /// Row-region widths of the tape: the inputs and their gradient, each layer's outputs and output
    /// gradients, each unit's cache, and the two shared gate-gradient regions.
    /// </summary>
    private static int RowWidth(ModelPlan plan)
        => (2 * plan.InputSize) + plan.Layers.Sum(l => (2 * l.OutputWidth) + (l.Directions * l.CacheWidth)) + plan.MaxDzWidth + plan.MaxDz2Width;

    private static void WriteTape(IndentedTextWriter w, ModelPlan plan)
    {
        string name = plan.Model.Hierarchy.Name;
        int rowWidth = RowWidth(plan);
        int stateWidth = plan.Units.Sum(u => PartsOf(u.Layer) * u.Layer.Hidden) + plan.MaxWorkWidth;

        w.WriteLine("// ──────────────────────────── Training ────────────────────────────");
        w.WriteLine();
        w.WriteLine("/// <summary>");
        w.WriteLine("/// What a training <c>Forward(tape, inputs, outputs)</c> records for backpropagation through time,");
        w.WriteLine("/// for up to <see cref=\"MaxSteps\"/> steps of <see cref=\"MaxBatch\"/> sequences: inputs, every layer's outputs,");
        w.WriteLine("/// the initial and final states and, after <see cref=\"Backward\"/>, their gradients. Sequences are");
        w.WriteLine("/// time-major: row <c>t·Batch + b</c> is step <c>t</c> of sequence <c>b</c>, as PyTorch's default <c>[T, B, ·]</c>.");
        w.WriteLine("/// Allocated once; forward and backward passes then allocate nothing.");
        w.WriteLine("/// </summary>");
        w.WriteLine(GeneratedCode);
        using (w.Block($"public sealed class Tape : global::NativeRnn.IRecurrentTape<{plan.T}>"))
        {
            w.WriteLine($"internal readonly {plan.T}[] Buffer;");
            if (plan.HasEmbedding)
            {
                w.WriteLine("internal readonly int[] Tokens;");
            }

            w.WriteLine();
            w.WriteLine("/// <summary>Allocates a tape for sequences of up to <paramref name=\"maxSteps\"/> steps, <paramref name=\"maxBatch\"/> at a time.</summary>");
            w.WriteLine("/// <param name=\"maxSteps\">Longest sequence (chunk) length, positive.</param>");
            w.WriteLine("/// <param name=\"maxBatch\">Most sequences per batch, positive.</param>");
            w.WriteLine("/// <exception cref=\"global::System.ArgumentOutOfRangeException\">A size is not positive or the tape would be too large for one array.</exception>");
            using (w.Block("public Tape(int maxSteps, int maxBatch = 1)"))
            {
                w.WriteLine("global::System.ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSteps);");
                w.WriteLine("global::System.ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);");
                w.WriteLine("long rows = (long)maxSteps * maxBatch;");
                w.WriteLine($"long size = (rows * {rowWidth}) + ((long)maxBatch * {stateWidth}) + {plan.ScratchSize};");
                using (w.Block("if (size > global::System.Array.MaxLength)"))
                {
                    w.WriteLine($"throw new global::System.ArgumentOutOfRangeException(nameof(maxSteps), $\"A tape for {{maxSteps}} steps of {{maxBatch}} sequences needs {{size}} elements, more than one array holds.\");");
                }

                w.WriteLine();
                w.WriteLine($"Buffer = new {plan.T}[size];");
                if (plan.HasEmbedding)
                {
                    w.WriteLine("Tokens = new int[rows];");
                }

                w.WriteLine("RowCapacity = (int)rows;");
                w.WriteLine("MaxSteps = Steps = maxSteps;");
                w.WriteLine("MaxBatch = Batch = maxBatch;");
            }

            w.WriteLine();
            w.WriteLine("/// <summary>Longest sequence the tape holds.</summary>");
            w.WriteLine("public int MaxSteps { get; }");
            w.WriteLine();
            w.WriteLine("/// <summary>Most sequences per batch the tape holds.</summary>");
            w.WriteLine("public int MaxBatch { get; }");
            w.WriteLine();
            w.WriteLine("/// <summary>Steps of the current shape (see <see cref=\"SetShape\"/>); <see cref=\"MaxSteps\"/> at first.</summary>");
            w.WriteLine("public int Steps { get; private set; }");
            w.WriteLine();
            w.WriteLine("/// <summary>Sequences of the current shape (see <see cref=\"SetShape\"/>); <see cref=\"MaxBatch\"/> at first.</summary>");
            w.WriteLine("public int Batch { get; private set; }");
            w.WriteLine();
            w.WriteLine("internal int RowCapacity { get; }");
            w.WriteLine();
            w.WriteLine("internal bool Recorded { get; set; }");
            w.WriteLine();

            // Offsets of the row regions.
            int column = 0;
            w.WriteLine($"internal int XOffset => 0; // [rows, {plan.InputSize}] inputs x_t");
            column += plan.InputSize;
            w.WriteLine($"internal int DXOffset => RowCapacity * {column}; // [rows, {plan.InputSize}] ∂L/∂x_t");
            column += plan.InputSize;
            foreach (LayerPlan layer in plan.Layers)
            {
                w.WriteLine($"internal int Y{layer.Index}Offset => RowCapacity * {column}; // [rows, {layer.OutputWidth}] layer {layer.Index} outputs h_t");
                column += layer.OutputWidth;
                w.WriteLine($"internal int DY{layer.Index}Offset => RowCapacity * {column}; // [rows, {layer.OutputWidth}] ∂L/∂h_t");
                column += layer.OutputWidth;
                if (layer.CacheWidth > 0)
                {
                    foreach (UnitPlan unit in layer.Units)
                    {
                        w.WriteLine($"internal int {unit.Name}CacheOffset => RowCapacity * {column}; // [rows, {layer.CacheWidth}] what backward needs");
                        column += layer.CacheWidth;
                    }
                }
            }

            if (plan.MaxDzWidth > 0)
            {
                w.WriteLine($"internal int DZOffset => RowCapacity * {column}; // [rows, {plan.MaxDzWidth}] ∂L/∂(gate pre-activations), one unit at a time");
                column += plan.MaxDzWidth;
            }

            if (plan.MaxDz2Width > 0)
            {
                w.WriteLine($"internal int DZ2Offset => RowCapacity * {column}; // [rows, {plan.MaxDz2Width}] a GRU's ∂L/∂(recurrent pre-activations)");
                column += plan.MaxDz2Width;
            }

            w.WriteLine($"internal int StatesOffset => RowCapacity * {column};");
            int statesWidth = stateWidth - plan.MaxWorkWidth;
            if (plan.MaxWorkWidth > 0)
            {
                w.WriteLine($"internal int WorkOffset => StatesOffset + (MaxBatch * {statesWidth}); // [batch, {plan.MaxWorkWidth}] one step's scratch");
            }

            w.WriteLine($"internal int ScratchOffset => StatesOffset + (MaxBatch * {stateWidth});");
            w.WriteLine();

            w.WriteLine("/// <summary>");
            w.WriteLine("/// Sets the shape of the next passes: <paramref name=\"steps\"/> ≤ <see cref=\"MaxSteps\"/> and");
            w.WriteLine("/// <paramref name=\"batch\"/> ≤ <see cref=\"MaxBatch\"/> (a shorter last chunk, a smaller last batch).");
            w.WriteLine("/// The recorded forward pass is forgotten; initial states keep their memory but are read with the new batch.");
            w.WriteLine("/// </summary>");
            w.WriteLine("/// <param name=\"steps\">Steps per sequence.</param>");
            w.WriteLine("/// <param name=\"batch\">Sequences.</param>");
            using (w.Block("public void SetShape(int steps, int batch)"))
            {
                w.WriteLine($"{Guard}.InRange(steps, MaxSteps, nameof(steps));");
                w.WriteLine($"{Guard}.InRange(batch, MaxBatch, nameof(batch));");
                w.WriteLine("Steps = steps;");
                w.WriteLine("Batch = batch;");
                w.WriteLine("Recorded = false;");
            }

            w.WriteLine();
            string[] docs =
            {
                "The initial hidden state <c>h_0</c> of a layer and direction, <c>[Batch, H]</c>; zero until set. The next forward pass starts from it.",
                "The final hidden state <c>h_T</c> after the last forward pass (for a reverse direction: after step 0), <c>[Batch, H]</c>.",
                "<c>∂L/∂h_0</c> after the last backward pass, <c>[Batch, H]</c>.",
                "<c>∂L/∂h_T</c> that flows into the final state (truncated BPTT, or a loss on the state), <c>[Batch, H]</c>; zeroed by each forward pass, read by the backward pass.",
                "The initial cell state <c>c_0</c> of an LSTM layer and direction, <c>[Batch, H]</c>; zero until set.",
                "The final cell state <c>c_T</c> of an LSTM layer after the last forward pass, <c>[Batch, H]</c>.",
                "<c>∂L/∂c_0</c> of an LSTM layer after the last backward pass, <c>[Batch, H]</c>.",
                "<c>∂L/∂c_T</c> that flows into an LSTM layer's final cell state, <c>[Batch, H]</c>; zeroed by each forward pass.",
            };
            const int parts = 8;
            for (int part = 0; part < parts; part++)
            {
                bool writable = part is 0 or 3 or 4 or 7;
                string spanType = writable ? plan.Span : plan.ReadOnlySpan;
                w.WriteLine($"/// <summary>{docs[part]}</summary>");
                w.WriteLine("/// <param name=\"layer\">Layer index, 0 at the bottom.</param>");
                w.WriteLine("/// <param name=\"direction\">0 forward in time, 1 the reverse direction of a bidirectional layer.</param>");
                w.WriteLine("/// <returns>A view into the tape.</returns>");
                w.WriteLine($"public {spanType} {StateParts[part]}(int layer, int direction = 0) => Region(layer, direction, {part});");
                w.WriteLine();
            }

            w.WriteLine(plan.HasEmbedding
                ? "/// <summary><c>∂L/∂x_t</c> for the embedded inputs <c>x_t = E[token_t]</c> after the last backward pass, <c>[Steps, Batch, EmbeddingSize]</c>.</summary>"
                : "/// <summary><c>∂L/∂x_t</c> after the last backward pass, <c>[Steps, Batch, InputSize]</c>.</summary>");
            w.WriteLine($"public {plan.ReadOnlySpan} InputGradients => global::System.MemoryExtensions.AsSpan(Buffer, DXOffset, Steps * Batch * {plan.InputWidthName});");
            w.WriteLine();
            w.WriteLine("/// <summary>The outputs <c>h_t</c> of a layer in the last forward pass, <c>[Steps, Batch, D·H]</c> (a bidirectional layer: forward then reverse).</summary>");
            w.WriteLine("/// <param name=\"layer\">Layer index, 0 at the bottom.</param>");
            w.WriteLine("/// <returns>A view into the tape.</returns>");
            w.WriteLine($"public {plan.ReadOnlySpan} LayerOutputs(int layer) => layer switch");
            w.WriteLine("{");
            w.Indent();
            foreach (LayerPlan layer in plan.Layers)
            {
                w.WriteLine($"{layer.Index} => global::System.MemoryExtensions.AsSpan(Buffer, Y{layer.Index}Offset, Steps * Batch * {layer.OutputWidth}),");
            }

            w.WriteLine($"_ => throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, \"The model has {plan.Layers.Count} layer(s).\"),");
            w.Outdent();
            w.WriteLine("};");
            w.WriteLine();

            w.WriteLine("/// <summary>Copies every final state into the initial state, so the next chunk continues where this one ended (truncated BPTT: the gradient stops at the chunk edge).</summary>");
            using (w.Block("public void CarryState()"))
            {
                foreach (UnitPlan unit in plan.Units)
                {
                    w.WriteLine($"Region({unit.Layer.Index}, {unit.Direction}, 1).CopyTo(Region({unit.Layer.Index}, {unit.Direction}, 0));");
                    if (unit.Layer.Kind == LayerKind.Lstm)
                    {
                        w.WriteLine($"Region({unit.Layer.Index}, {unit.Direction}, 5).CopyTo(Region({unit.Layer.Index}, {unit.Direction}, 4));");
                    }
                }
            }

            w.WriteLine();
            w.WriteLine("/// <summary>Sets every initial state to zero: the next sequences start fresh.</summary>");
            using (w.Block("public void ResetState()"))
            {
                foreach (UnitPlan unit in plan.Units)
                {
                    w.WriteLine($"Region({unit.Layer.Index}, {unit.Direction}, 0).Clear();");
                    if (unit.Layer.Kind == LayerKind.Lstm)
                    {
                        w.WriteLine($"Region({unit.Layer.Index}, {unit.Direction}, 4).Clear();");
                    }
                }
            }

            w.WriteLine();
            w.WriteLine("/// <summary>The <c>[Batch, H]</c> region <paramref name=\"part\"/> (see the accessors above) of one layer and direction.</summary>");
            using (w.Block($"internal {plan.Span} Region(int layer, int direction, int part)"))
            {
                w.WriteLine("(int start, int hidden, int parts) = (layer, direction) switch");
                w.WriteLine("{");
                w.Indent();
                int unitBase = 0;
                foreach (UnitPlan unit in plan.Units)
                {
                    int unitParts = PartsOf(unit.Layer);
                    w.WriteLine($"({unit.Layer.Index}, {unit.Direction}) => ({unitBase}, {unit.Layer.Hidden}, {unitParts}),");
                    unitBase += unitParts * unit.Layer.Hidden;
                }

                w.WriteLine("_ => throw new global::System.ArgumentOutOfRangeException(nameof(layer), $\"The model has no layer {layer} with direction {direction}.\"),");
                w.Outdent();
                w.WriteLine("};");
                using (w.Block("if (part >= parts)"))
                {
                    w.WriteLine("throw new global::System.InvalidOperationException($\"Layer {layer} is not an LSTM layer and has no cell state.\");");
                }

                w.WriteLine("return global::System.MemoryExtensions.AsSpan(Buffer, StatesOffset + (MaxBatch * (start + (part * hidden))), Batch * hidden);");
            }
        }

        w.WriteLine();
    }

    private static string Slice(string offset, string length) => $"m.Slice(tape.{offset}, {length})";

    private static void WriteTrainingForward(IndentedTextWriter w, ModelPlan plan)
    {
        string ro = Readonly(plan);
        bool tokens = plan.HasEmbedding;
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Training forward pass over <c>tape.Steps</c> steps of <c>tape.Batch</c> sequences, starting from the tape's");
        w.WriteLine("/// initial states; records into <paramref name=\"tape\"/> what <see cref=\"Backward\"/> needs. Allocates nothing.");
        w.WriteLine("/// </summary>");
        w.WriteLine("/// <param name=\"tape\">Records the pass; its shape gives the number of steps and sequences.</param>");
        w.WriteLine(tokens
            ? "/// <param name=\"tokens\">Time-major <c>[Steps, Batch]</c> token ids, each in <c>[0, Vocabulary)</c>.</param>"
            : "/// <param name=\"inputs\">Time-major <c>[Steps, Batch, InputSize]</c>, finite.</param>");
        w.WriteLine("/// <param name=\"outputs\">Receives time-major <c>[Steps, Batch, OutputSize]</c>.</param>");
        w.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length is wrong, an input is invalid or an initial state is not finite.</exception>");
        using (w.Block($"public {ro}void Forward(Tape tape, {plan.InputSpan} {(tokens ? "tokens" : "inputs")}, {plan.Span} outputs)"))
        {
            w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(tape);");
            w.WriteLine("int steps = tape.Steps, batch = tape.Batch, rows = steps * batch;");
            if (tokens)
            {
                w.WriteLine($"{Guard}.Length(tokens.Length, rows, nameof(tokens), \"[tape.Steps, tape.Batch]\");");
                w.WriteLine($"{Rows}.CheckTokens(tokens, Vocabulary);");
            }
            else
            {
                w.WriteLine($"{Guard}.Length(inputs.Length, (long)rows * InputSize, nameof(inputs), \"[tape.Steps, tape.Batch, InputSize]\");");
                w.WriteLine($"{Guard}.Finite(inputs, nameof(inputs));");
            }

            w.WriteLine($"{Guard}.Length(outputs.Length, (long)rows * OutputSize, nameof(outputs), \"[tape.Steps, tape.Batch, OutputSize]\");");
            foreach (UnitPlan unit in plan.Units)
            {
                w.WriteLine($"{Guard}.Finite<{plan.T}>(tape.Region({unit.Layer.Index}, {unit.Direction}, 0), \"tape.InitialHidden({unit.Layer.Index}, {unit.Direction})\");");
                if (unit.Layer.Kind == LayerKind.Lstm)
                {
                    w.WriteLine($"{Guard}.Finite<{plan.T}>(tape.Region({unit.Layer.Index}, {unit.Direction}, 4), \"tape.InitialCell({unit.Layer.Index}, {unit.Direction})\");");
                }
            }

            w.WriteLine();
            w.WriteLine($"{plan.ReadOnlySpan} p = ParameterBlock;");
            w.WriteLine($"{plan.Span} m = tape.Buffer;");
            w.WriteLine("tape.Recorded = false;");
            w.WriteLine($"{plan.Span} x = {Slice("XOffset", $"rows * {plan.InputWidthName}")};");
            if (tokens)
            {
                w.WriteLine("tokens.CopyTo(tape.Tokens);");
                w.WriteLine($"{Rows}.Gather({plan.Embedding!.In("p")}, EmbeddingSize, tokens, x); // x_t = E[token_t]");
            }
            else
            {
                w.WriteLine("inputs.CopyTo(x);");
            }

            if (plan.MaxWorkWidth > 0)
            {
                w.WriteLine($"{plan.Span} work = {Slice("WorkOffset", $"batch * {plan.MaxWorkWidth}")};");
            }

            string previous = "x";
            string previousWidth = plan.InputWidthName;
            foreach (LayerPlan layer in plan.Layers)
            {
                string y = $"y{layer.Index}";
                w.WriteLine();
                w.WriteLine($"// Layer {layer.Index} ({layer.Describe()}): {previous} → {y}");
                w.WriteLine($"{plan.Span} {y} = {Slice($"Y{layer.Index}Offset", $"rows * {layer.OutputWidth}")};");
                foreach (UnitPlan unit in layer.Units)
                {
                    int k = layer.Index, d = unit.Direction;
                    string yu = d == 0 ? y : $"{y}.Slice({unit.OutputColumn})";
                    bool lstm = layer.Kind == LayerKind.Lstm;
                    string c0 = lstm ? $"tape.Region({k}, {d}, 4)" : "default";
                    string cN = lstm ? $"tape.Region({k}, {d}, 5)" : "default";
                    string cache = layer.CacheWidth > 0 ? Slice($"{unit.Name}CacheOffset", $"rows * {layer.CacheWidth}") : "default";
                    string work = layer.WorkWidth > 0 ? "work" : "default";
                    w.WriteLine($"{unit.Name}Forward(p, {previous}, {previousWidth}, {yu}, {layer.OutputWidth}, tape.Region({k}, {d}, 0), tape.Region({k}, {d}, 1), {c0}, {cN}, {cache}, {work}, steps, batch);");
                }

                previous = y;
                previousWidth = N(layer.OutputWidth);
            }

            w.WriteLine();
            if (plan.HasHead)
            {
                w.WriteLine($"// Head: {previous} → outputs");
                w.WriteLine($"HeadForward(p, {previous}, {previousWidth}, outputs, rows);");
            }
            else
            {
                w.WriteLine($"// No head: the outputs are the top layer's h_t.");
                w.WriteLine($"{previous}.CopyTo(outputs);");
            }

            w.WriteLine();
            w.WriteLine("// Gradients flowing into the final states start at zero; set them after this call to carry one in.");
            foreach (UnitPlan unit in plan.Units)
            {
                w.WriteLine($"tape.Region({unit.Layer.Index}, {unit.Direction}, 3).Clear();");
                if (unit.Layer.Kind == LayerKind.Lstm)
                {
                    w.WriteLine($"tape.Region({unit.Layer.Index}, {unit.Direction}, 7).Clear();");
                }
            }

            w.WriteLine("tape.Recorded = true;");
        }

        w.WriteLine();
    }

    private static void WriteBackward(IndentedTextWriter w, ModelPlan plan)
    {
        string ro = Readonly(plan);
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Backpropagation through time for the pass recorded in <paramref name=\"tape\"/>: <b>adds</b> <c>∂L/∂θ</c> for every");
        w.WriteLine("/// parameter to <paramref name=\"gradients\"/> (zero it first, or let it accumulate over chunks), and writes");
        w.WriteLine("/// <c>∂L/∂x_t</c> and <c>∂L/∂h_0</c> into the tape. <c>L</c> is whatever loss produced");
        w.WriteLine("/// <paramref name=\"outputGradients\"/>, plus <c>Σ ∂L/∂h_T · h_T</c> for final-state gradients set on the tape.");
        w.WriteLine("/// The time loop runs <c>t = T−1 … 0</c>; weight gradients are then summed over all steps in single products.");
        w.WriteLine("/// Allocates nothing. May be called again for the same tape.");
        w.WriteLine("/// </summary>");
        w.WriteLine("/// <param name=\"tape\">A tape recorded by the training <c>Forward</c> with its current shape.</param>");
        w.WriteLine("/// <param name=\"outputGradients\"><c>∂L/∂y_t</c>, time-major <c>[Steps, Batch, OutputSize]</c>, finite.</param>");
        w.WriteLine("/// <param name=\"gradients\">A gradient block of <see cref=\"ParameterCount\"/> elements, laid out as <see cref=\"Layout\"/>; added to.</param>");
        w.WriteLine("/// <exception cref=\"global::System.InvalidOperationException\">The tape holds no forward pass of its current shape.</exception>");
        w.WriteLine("/// <exception cref=\"global::System.ArgumentException\">A length is wrong or a gradient is not finite; nothing is written.</exception>");
        using (w.Block($"public {ro}void Backward(Tape tape, {plan.ReadOnlySpan} outputGradients, {plan.Span} gradients)"))
        {
            w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(tape);");
            using (w.Block("if (!tape.Recorded)"))
            {
                w.WriteLine("throw new global::System.InvalidOperationException(\"Backward needs a tape recorded by the training Forward with the tape's current shape.\");");
            }

            w.WriteLine("int steps = tape.Steps, batch = tape.Batch, rows = steps * batch;");
            w.WriteLine($"{Guard}.Length(outputGradients.Length, (long)rows * OutputSize, nameof(outputGradients), \"[tape.Steps, tape.Batch, OutputSize]\");");
            w.WriteLine("Layout.CheckBlock(gradients.Length, nameof(gradients));");
            w.WriteLine($"{Guard}.Finite(outputGradients, nameof(outputGradients));");
            foreach (UnitPlan unit in plan.Units)
            {
                w.WriteLine($"{Guard}.Finite<{plan.T}>(tape.Region({unit.Layer.Index}, {unit.Direction}, 3), \"tape.FinalHiddenGradient({unit.Layer.Index}, {unit.Direction})\");");
                if (unit.Layer.Kind == LayerKind.Lstm)
                {
                    w.WriteLine($"{Guard}.Finite<{plan.T}>(tape.Region({unit.Layer.Index}, {unit.Direction}, 7), \"tape.FinalCellGradient({unit.Layer.Index}, {unit.Direction})\");");
                }
            }

            w.WriteLine();
            w.WriteLine($"{plan.ReadOnlySpan} p = ParameterBlock;");
            w.WriteLine($"{plan.Span} m = tape.Buffer;");
            w.WriteLine($"{plan.Span} scratch = {Slice("ScratchOffset", N(plan.ScratchSize))};");
            LayerPlan top = plan.Layers[plan.Layers.Count - 1];
            w.WriteLine($"{plan.Span} dy{top.Index} = {Slice($"DY{top.Index}Offset", $"rows * {top.OutputWidth}")};");
            if (plan.HasHead)
            {
                w.WriteLine();
                w.WriteLine($"// Head: ∂L/∂y_t → ∂L/∂h_t of layer {top.Index}, and the head's gradients.");
                w.WriteLine($"dy{top.Index}.Clear();");
                w.WriteLine($"HeadBackward(p, gradients, {Slice($"Y{top.Index}Offset", $"rows * {top.OutputWidth}")}, {top.OutputWidth}, outputGradients, dy{top.Index}, {top.OutputWidth}, scratch, rows);");
            }
            else
            {
                w.WriteLine($"outputGradients.CopyTo(dy{top.Index});");
            }

            for (int k = plan.Layers.Count - 1; k >= 0; k--)
            {
                LayerPlan layer = plan.Layers[k];
                string x = k == 0 ? Slice("XOffset", $"rows * {plan.InputWidthName}") : Slice($"Y{k - 1}Offset", $"rows * {plan.Layers[k - 1].OutputWidth}");
                string dxName = k == 0 ? "dx" : $"dy{k - 1}";
                string dxSlice = k == 0 ? Slice("DXOffset", $"rows * {plan.InputWidthName}") : Slice($"DY{k - 1}Offset", $"rows * {plan.Layers[k - 1].OutputWidth}");
                string xWidth = k == 0 ? plan.InputWidthName : N(plan.Layers[k - 1].OutputWidth);
                w.WriteLine();
                w.WriteLine($"// Layer {k} ({layer.Describe()}): ∂L/∂h_t → ∂L/∂{(k == 0 ? "x_t" : $"h_t of layer {k - 1}")}, and the layer's gradients.");
                w.WriteLine($"{plan.Span} {dxName} = {dxSlice};");
                w.WriteLine($"{dxName}.Clear();");
                foreach (UnitPlan unit in layer.Units)
                {
                    int d = unit.Direction;
                    string y = Slice($"Y{k}Offset", $"rows * {layer.OutputWidth}");
                    string dy = $"dy{k}";
                    if (d == 1)
                    {
                        y += $".Slice({unit.OutputColumn})";
                        dy += $".Slice({unit.OutputColumn})";
                    }

                    bool lstm = layer.Kind == LayerKind.Lstm;
                    string c0 = lstm ? $"tape.Region({k}, {d}, 4)" : "default";
                    string dcN = lstm ? $"tape.Region({k}, {d}, 7)" : "default";
                    string dc0 = lstm ? $"tape.Region({k}, {d}, 6)" : "default";
                    string cache = layer.CacheWidth > 0 ? Slice($"{unit.Name}CacheOffset", $"rows * {layer.CacheWidth}") : "default";
                    string dz = layer.DzWidth > 0 ? Slice("DZOffset", $"rows * {layer.DzWidth}") : "default";
                    string dz2 = layer.Dz2Width > 0 ? Slice("DZ2Offset", $"rows * {layer.Dz2Width}") : "default";
                    string work = layer.WorkWidth > 0 ? Slice("WorkOffset", $"batch * {plan.MaxWorkWidth}") : "default";
                    w.WriteLine($"{unit.Name}Backward(p, gradients, {x}, {xWidth}, {y}, {dy}, {layer.OutputWidth}, tape.Region({k}, {d}, 0), tape.Region({k}, {d}, 3), tape.Region({k}, {d}, 2), {c0}, {dcN}, {dc0}, {cache}, {dxName}, {xWidth}, {dz}, {dz2}, {work}, scratch, steps, batch);");
                }
            }

            if (plan.HasEmbedding)
            {
                w.WriteLine();
                w.WriteLine("// Embedding: ∂L/∂E[token] += ∂L/∂x_t for every row that read it.");
                w.WriteLine($"{Rows}.ScatterAdd(dx, EmbeddingSize, global::System.MemoryExtensions.AsSpan(tape.Tokens, 0, rows), {plan.Embedding!.In("gradients")}, EmbeddingSize);");
            }
        }

        w.WriteLine();
    }

    private static void WriteHead(IndentedTextWriter w, ModelPlan plan)
    {
        if (!plan.HasHead)
        {
            return;
        }

        TensorPlan weight = plan.HeadWeight!, bias = plan.HeadBias!;
        int o = plan.OutputSize, width = plan.TopWidth;
        string rs = plan.ReadOnlySpan, s = plan.Span;
        w.WriteLine($"// ─────────────── Head: dense, {width} → {o} ───────────────");
        w.WriteLine("//   y_t = W h_t + b        W = head.weight [" + o + ", " + width + "] (stored transposed), b = head.bias [" + o + "]");
        w.WriteLine();
        w.WriteLine($"/// <summary>y [rows, {o}] ← h [rows, {width}] (row stride ldh) · Wᵀ + b.</summary>");
        using (w.Block($"private static void HeadForward({rs} p, {rs} h, int ldh, {s} y, int rows)"))
        {
            w.WriteLine($"{Rows}.Broadcast(y, rows, {o}, {o}, {bias.In("p")});");
            w.WriteLine($"{Gemm}.MultiplyAddPanels(rows, {width}, h, ldh, {weight.In("p")}, {o}, {plan.PanelWidth}, 0, {o}, y, {o});");
        }

        w.WriteLine();
        w.WriteLine($"/// <summary>Backward of <see cref=\"HeadForward\"/>: adds ∂L/∂W, ∂L/∂b to g and ∂L/∂h to dh [rows, {width}].</summary>");
        using (w.Block($"private static void HeadBackward({rs} p, {s} g, {rs} h, int ldh, {rs} dy, {s} dh, int lddh, {s} scratch, int rows)"))
        {
            w.WriteLine("// ∂L/∂W += Σ_t ∂L/∂y_t h_tᵀ (stored transposed: hᵀ · dy);  ∂L/∂b += Σ_t ∂L/∂y_t");
            w.WriteLine($"{Gemm}.MultiplyAddTransposedAPanels({width}, rows, h, ldh, dy, {o}, {weight.In("g")}, {o}, {plan.PanelWidth}, 0, {o});");
            w.WriteLine($"{Rows}.SumInto(dy, rows, {o}, {o}, {bias.In("g")});");
            w.WriteLine();
            w.WriteLine("// ∂L/∂h_t += Wᵀ ∂L/∂y_t (row form: dy · W, with W untransposed in scratch)");
            w.WriteLine($"{s} weight = scratch.Slice(0, {o * width});");
            w.WriteLine($"{Rows}.TransposePanels({weight.In("p")}, {width}, {o}, {plan.PanelWidth}, weight);");
            w.WriteLine($"{Gemm}.MultiplyAdd(rows, {width}, {o}, dy, {o}, weight, {width}, dh, lddh);");
        }

        w.WriteLine();
    }
}
