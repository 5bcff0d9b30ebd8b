using System.Linq;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

/// <summary>The parts of a unit's per-sequence state region of the tape, each <c>[batch, H]</c>.</summary>
internal static class TapePart
{
    public const int InitialHidden = 0;
    public const int FinalHidden = 1;
    public const int InitialHiddenGradient = 2;
    public const int FinalHiddenGradient = 3;

    /// <summary>The h_0 the last forward pass started from: what BPTT differentiates, whatever is written to <c>InitialHidden</c> since.</summary>
    public const int RecordedInitialHidden = 4;

    public const int InitialCell = 5;
    public const int FinalCell = 6;
    public const int InitialCellGradient = 7;
    public const int FinalCellGradient = 8;
    public const int RecordedInitialCell = 9;

    /// <summary>Parts of a unit: five for h, five more for an LSTM's c.</summary>
    public static int Count(LayerPlan layer) => layer.Kind == LayerKind.Lstm ? 10 : 5;
}

internal static partial class ModelWriter
{
    /// <summary>
    /// Row-region widths of the tape: the inputs and their gradient, each layer's outputs and output
    /// gradients, each unit's cache, the two shared gate-gradient regions, and for each dropout the dropped
    /// input and its mask.
    /// </summary>
    private static int RowWidth(ModelPlan plan)
        => (2 * plan.InputSize) + plan.Layers.Sum(l => (2 * l.OutputWidth) + (l.Directions * l.CacheWidth)) + plan.MaxDzWidth + plan.MaxDz2Width
         + plan.DropoutSites.Sum(site => 2 * site.Width);

    private static string Part(int layer, int direction, int part) => $"tape.Region({layer}, {direction}, {part})";

    private static void WriteTape(IndentedTextWriter w, ModelPlan plan)
    {
        int rowWidth = RowWidth(plan);
        int stateWidth = plan.Units.Sum(u => TapePart.Count(u.Layer) * u.Layer.Hidden) + plan.MaxWorkWidth;
        int units = plan.Units.Count();

        w.WriteLine("// ──────────────────────────── Training ────────────────────────────");
        w.WriteLine();
        w.WriteLine("/// <summary>");
        w.WriteLine("/// What a training <c>Forward(tape, inputs, outputs)</c> records for backpropagation through time,");
        w.WriteLine("/// for up to <see cref=\"MaxSteps\"/> steps of <see cref=\"MaxBatch\"/> sequences: inputs, every layer's outputs,");
        w.WriteLine("/// the initial and final states and, after <see cref=\"Backward\"/>, their gradients. Sequences are");
        w.WriteLine("/// time-major: row <c>t·Batch + b</c> is step <c>t</c> of sequence <c>b</c>, as PyTorch's default <c>[T, B, ·]</c>.");
        w.WriteLine("/// Allocated once; forward and backward passes then allocate nothing. A tape belongs to one thread at a time.");
        w.WriteLine("/// </summary>");
        w.WriteLine(GeneratedCode);
        using (w.Block($"public sealed class Tape : global::NativeRnn.IRecurrentTape<{plan.T}>"))
        {
            w.WriteLine($"internal readonly {plan.T}[] Buffer;");
            if (plan.HasEmbedding)
            {
                w.WriteLine("internal readonly int[] Tokens;");
            }

            w.WriteLine("private readonly double[] _flow; // [units, MaxSteps] ‖∂L/∂h_t‖ of the last backward pass");
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

                w.WriteLine($"_flow = new double[{units} * maxSteps];");
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
            w.WriteLine("/// <summary>");
            w.WriteLine("/// Whether training passes apply the model's dropout (true at first). Switch it off for an evaluation pass");
            w.WriteLine("/// through a tape; the backward pass follows whatever the forward pass it differentiates did.");
            if (!plan.HasDropout)
            {
                w.WriteLine("/// This model declares no dropout, so it changes nothing.");
            }

            w.WriteLine("/// </summary>");
            w.WriteLine("public bool DropoutEnabled { get; set; } = true;");
            w.WriteLine();
            w.WriteLine("/// <summary>The seed of the dropout masks of the next forward passes (see <see cref=\"SetDropoutStream\"/>).</summary>");
            w.WriteLine("public ulong DropoutSeed { get; private set; }");
            w.WriteLine();
            w.WriteLine("/// <summary>The index, in the whole minibatch, of this tape's first sequence (see <see cref=\"SetDropoutStream\"/>).</summary>");
            w.WriteLine("public int FirstSequence { get; private set; }");
            w.WriteLine();
            w.WriteLine("/// <summary>");
            w.WriteLine("/// Chooses the dropout masks of the next forward passes: each element's mask is a function of <paramref name=\"seed\"/>,");
            w.WriteLine("/// the dropout, the step, the sequence's index in the minibatch (<paramref name=\"firstSequence\"/> plus its row in this");
            w.WriteLine("/// tape) and the column, so the same seed gives the same masks however a minibatch is split over tapes. Set a new seed");
            w.WriteLine("/// for every training step; forward passes with the same seed draw the same masks.");
            w.WriteLine("/// </summary>");
            w.WriteLine("/// <param name=\"seed\">The seed.</param>");
            w.WriteLine("/// <param name=\"firstSequence\">Index in the minibatch of this tape's first sequence, at least 0.</param>");
            using (w.Block("public void SetDropoutStream(ulong seed, int firstSequence = 0)"))
            {
                w.WriteLine("global::System.ArgumentOutOfRangeException.ThrowIfNegative(firstSequence);");
                w.WriteLine("DropoutSeed = seed;");
                w.WriteLine("FirstSequence = firstSequence;");
            }

            w.WriteLine();
            w.WriteLine("/// <summary>Whether the backward pass records <see cref=\"HiddenGradientNorms\"/> (false at first: it costs a pass over ∂L/∂h per step).</summary>");
            w.WriteLine("public bool RecordGradientFlow { get; set; }");
            w.WriteLine();
            w.WriteLine("internal int RowCapacity { get; }");
            w.WriteLine();
            w.WriteLine("/// <summary>Whether the tape holds a forward pass of its current shape.</summary>");
            w.WriteLine("internal bool Recorded { get; set; }");
            w.WriteLine();
            w.WriteLine("/// <summary>Whether a backward pass has run since the last forward pass.</summary>");
            w.WriteLine("internal bool BackwardDone { get; set; }");
            w.WriteLine();
            w.WriteLine("/// <summary>Whether the recorded forward pass applied dropout.</summary>");
            w.WriteLine("internal bool DropoutApplied { get; set; }");
            w.WriteLine();
            w.WriteLine("/// <summary>The parameter storage of the model that recorded the pass: Backward refuses a tape of another model.</summary>");
            w.WriteLine("internal object? Owner { get; set; }");
            w.WriteLine();

            // Offsets of the row regions.
            int column = 0;
            void Region(string name, int width, string what)
            {
                w.WriteLine($"internal int {name} => {(column == 0 ? "0" : $"RowCapacity * {column}")}; // [rows, {width}] {what}");
                column += width;
            }

            Region("XOffset", plan.InputSize, "inputs x_t");
            Region("DXOffset", plan.InputSize, "∂L/∂x_t");
            foreach (LayerPlan layer in plan.Layers)
            {
                Region($"Y{layer.Index}Offset", layer.OutputWidth, $"layer {layer.Index} outputs h_t");
                Region($"DY{layer.Index}Offset", layer.OutputWidth, "∂L/∂h_t");
                if (layer.CacheWidth > 0)
                {
                    foreach (UnitPlan unit in layer.Units)
                    {
                        Region($"{unit.Name}CacheOffset", layer.CacheWidth, "what backward needs");
                    }
                }
            }

            if (plan.MaxDzWidth > 0)
            {
                Region("DZOffset", plan.MaxDzWidth, "∂L/∂(gate pre-activations), one unit at a time");
            }

            if (plan.MaxDz2Width > 0)
            {
                Region("DZ2Offset", plan.MaxDz2Width, "a GRU's ∂L/∂(recurrent pre-activations)");
            }

            foreach (DropoutSite site in plan.DropoutSites)
            {
                string input = site.Index == plan.Layers.Count ? "the head's" : $"layer {site.Index}'s";
                Region($"{site.Name(plan)}Offset", site.Width, $"{input} input after dropout, x ⊙ m");
                Region($"{site.Name(plan)}MaskOffset", site.Width, $"its mask m: 0 or 1/(1 − {site.RateText})");
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
            WriteStateAccessors(w, plan);

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

            w.WriteLine("/// <summary>");
            w.WriteLine("/// The gradient flow of the last backward pass with <see cref=\"RecordGradientFlow\"/> on: element <c>t</c> is");
            w.WriteLine("/// <c>‖∂L/∂h_t‖</c> over the batch (the Frobenius norm of <c>[Batch, H]</c>), the total derivative through every");
            w.WriteLine("/// later step, for <c>t</c> in <c>[0, Steps)</c> — the vanishing-gradient picture of BPTT, measured.");
            w.WriteLine("/// </summary>");
            w.WriteLine("/// <param name=\"layer\">Layer index, 0 at the bottom.</param>");
            w.WriteLine("/// <param name=\"direction\">0 forward in time, 1 the reverse direction of a bidirectional layer.</param>");
            w.WriteLine("/// <returns>A view into the tape.</returns>");
            using (w.Block("public global::System.ReadOnlySpan<double> HiddenGradientNorms(int layer, int direction = 0)"))
            {
                w.WriteLine("return global::System.MemoryExtensions.AsSpan(_flow, UnitIndex(layer, direction) * MaxSteps, Steps);");
            }

            w.WriteLine();
            w.WriteLine("/// <summary>Where the backward pass writes one unit's gradient flow, or an empty span when it is off.</summary>");
            w.WriteLine("internal global::System.Span<double> Flow(int layer, int direction) => RecordGradientFlow ? global::System.MemoryExtensions.AsSpan(_flow, UnitIndex(layer, direction) * MaxSteps, Steps) : default;");
            w.WriteLine();

            w.WriteLine("/// <summary>Copies every final state into the initial state, so the next chunk continues where this one ended (truncated BPTT: the gradient stops at the chunk edge).</summary>");
            using (w.Block("public void CarryState()"))
            {
                foreach (UnitPlan unit in plan.Units)
                {
                    w.WriteLine($"Region({unit.Layer.Index}, {unit.Direction}, {TapePart.FinalHidden}).CopyTo(Region({unit.Layer.Index}, {unit.Direction}, {TapePart.InitialHidden}));");
                    if (unit.Layer.Kind == LayerKind.Lstm)
                    {
                        w.WriteLine($"Region({unit.Layer.Index}, {unit.Direction}, {TapePart.FinalCell}).CopyTo(Region({unit.Layer.Index}, {unit.Direction}, {TapePart.InitialCell}));");
                    }
                }
            }

            w.WriteLine();
            w.WriteLine("/// <summary>Sets every initial state to zero: the next sequences start fresh.</summary>");
            using (w.Block("public void ResetState()"))
            {
                foreach (UnitPlan unit in plan.Units)
                {
                    w.WriteLine($"Region({unit.Layer.Index}, {unit.Direction}, {TapePart.InitialHidden}).Clear();");
                    if (unit.Layer.Kind == LayerKind.Lstm)
                    {
                        w.WriteLine($"Region({unit.Layer.Index}, {unit.Direction}, {TapePart.InitialCell}).Clear();");
                    }
                }
            }

            w.WriteLine();
            w.WriteLine("/// <summary>The index of a unit (one direction of one layer), bottom to top.</summary>");
            w.WriteLine("private static int UnitIndex(int layer, int direction) => (layer, direction) switch");
            w.WriteLine("{");
            w.Indent();
            int index = 0;
            foreach (UnitPlan unit in plan.Units)
            {
                w.WriteLine($"({unit.Layer.Index}, {unit.Direction}) => {index++},");
            }

            w.WriteLine("_ => throw new global::System.ArgumentOutOfRangeException(nameof(layer), $\"The model has no layer {layer} with direction {direction}.\"),");
            w.Outdent();
            w.WriteLine("};");
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
                    int unitParts = TapePart.Count(unit.Layer);
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

            w.WriteLine();
            w.WriteLine("/// <summary>Copies a final-state gradient in, refusing it outside the window between a forward and its backward pass.</summary>");
            using (w.Block($"private void SetFinalGradient(int layer, int direction, int part, {plan.ReadOnlySpan} values, string name)"))
            {
                using (w.Block("if (!Recorded || BackwardDone)"))
                {
                    w.WriteLine("throw new global::System.InvalidOperationException($\"{name} sets a gradient for the backward pass of the recorded forward pass, so it must come after Forward and before Backward (each Forward clears it){(Recorded ? \"; this tape's backward pass has already run\" : \"; this tape holds no forward pass of its current shape\")}.\");");
                }

                w.WriteLine($"{plan.Span} region = Region(layer, direction, part);");
                w.WriteLine($"{Guard}.Length(values.Length, region.Length, nameof(values), \"[Batch, H]\");");
                w.WriteLine($"{Guard}.Finite(values, nameof(values));");
                w.WriteLine("values.CopyTo(region);");
            }
        }

        w.WriteLine();
    }

    private static void WriteStateAccessors(IndentedTextWriter w, ModelPlan plan)
    {
        (string Name, int Part, bool Writable, string Doc)[] accessors =
        {
            ("InitialHidden", TapePart.InitialHidden, true, "The initial hidden state <c>h_0</c> of a layer and direction, <c>[Batch, H]</c>; zero until set. The next forward pass starts from it (and the backward pass differentiates the <c>h_0</c> its forward pass read, whatever is written here since)."),
            ("FinalHidden", TapePart.FinalHidden, false, "The final hidden state <c>h_T</c> after the last forward pass (for a reverse direction: after step 0), <c>[Batch, H]</c>."),
            ("InitialHiddenGradient", TapePart.InitialHiddenGradient, false, "<c>∂L/∂h_0</c> after the last backward pass, <c>[Batch, H]</c>."),
            ("FinalHiddenGradient", TapePart.FinalHiddenGradient, false, "<c>∂L/∂h_T</c> flowing into the final state in the backward pass, <c>[Batch, H]</c>: zero after each forward pass unless set with <see cref=\"SetFinalHiddenGradient\"/>."),
            ("InitialCell", TapePart.InitialCell, true, "The initial cell state <c>c_0</c> of an LSTM layer and direction, <c>[Batch, H]</c>; zero until set."),
            ("FinalCell", TapePart.FinalCell, false, "The final cell state <c>c_T</c> of an LSTM layer after the last forward pass, <c>[Batch, H]</c>."),
            ("InitialCellGradient", TapePart.InitialCellGradient, false, "<c>∂L/∂c_0</c> of an LSTM layer after the last backward pass, <c>[Batch, H]</c>."),
            ("FinalCellGradient", TapePart.FinalCellGradient, false, "<c>∂L/∂c_T</c> flowing into an LSTM layer's final cell state, <c>[Batch, H]</c>: zero after each forward pass unless set with <see cref=\"SetFinalCellGradient\"/>."),
        };
        foreach ((string name, int part, bool writable, string doc) in accessors)
        {
            w.WriteLine($"/// <summary>{doc}</summary>");
            w.WriteLine("/// <param name=\"layer\">Layer index, 0 at the bottom.</param>");
            w.WriteLine("/// <param name=\"direction\">0 forward in time, 1 the reverse direction of a bidirectional layer.</param>");
            w.WriteLine("/// <returns>A view into the tape.</returns>");
            w.WriteLine($"public {(writable ? plan.Span : plan.ReadOnlySpan)} {name}(int layer, int direction = 0) => Region(layer, direction, {part});");
            w.WriteLine();
        }

        foreach ((string name, string state, int part) in new[] { ("SetFinalHiddenGradient", "h_T", TapePart.FinalHiddenGradient), ("SetFinalCellGradient", "c_T", TapePart.FinalCellGradient) })
        {
            w.WriteLine("/// <summary>");
            w.WriteLine($"/// Sets <c>∂L/∂{state}</c> for the next backward pass (truncated BPTT across chunks, a loss on the final state, or the");
            w.WriteLine("/// gradient a decoder sends back to its encoder): call it after <c>Forward</c>, which clears it, and before <c>Backward</c>.");
            w.WriteLine("/// </summary>");
            w.WriteLine("/// <param name=\"layer\">Layer index, 0 at the bottom.</param>");
            w.WriteLine("/// <param name=\"direction\">0 forward in time, 1 the reverse direction of a bidirectional layer.</param>");
            w.WriteLine("/// <param name=\"values\"><c>[Batch, H]</c>, finite.</param>");
            w.WriteLine("/// <exception cref=\"global::System.InvalidOperationException\">The tape holds no forward pass, or its backward pass has already run.</exception>");
            w.WriteLine("/// <exception cref=\"global::System.ArgumentException\">The length is wrong or a value is not finite.</exception>");
            w.WriteLine($"public void {name}(int layer, int direction, {plan.ReadOnlySpan} values) => SetFinalGradient(layer, direction, {part}, values, nameof({name}));");
            w.WriteLine();
        }
    }

    private static string Slice(string offset, string length) => $"m.Slice(tape.{offset}, {length})";

    private static void WriteTrainingForward(IndentedTextWriter w, ModelPlan plan)
    {
        string ro = Readonly(plan);
        bool tokens = plan.HasEmbedding;
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Training forward pass over <c>tape.Steps</c> steps of <c>tape.Batch</c> sequences, starting from the tape's");
        w.WriteLine("/// initial states; records into <paramref name=\"tape\"/> what <see cref=\"Backward\"/> needs. Allocates nothing.");
        if (plan.HasDropout)
        {
            w.WriteLine("/// Applies the declared dropout when <c>tape.DropoutEnabled</c>, with masks drawn from <c>tape.DropoutSeed</c>.");
        }

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
                int k = unit.Layer.Index, d = unit.Direction;
                w.WriteLine($"{Guard}.Finite<{plan.T}>({Part(k, d, TapePart.InitialHidden)}, \"tape.InitialHidden({k}, {d})\");");
                if (unit.Layer.Kind == LayerKind.Lstm)
                {
                    w.WriteLine($"{Guard}.Finite<{plan.T}>({Part(k, d, TapePart.InitialCell)}, \"tape.InitialCell({k}, {d})\");");
                }
            }

            w.WriteLine();
            w.WriteLine($"{plan.ReadOnlySpan} p = ParameterBlock;");
            w.WriteLine($"{plan.Span} m = tape.Buffer;");
            w.WriteLine("tape.Recorded = false;");
            w.WriteLine("tape.Owner = _parameters;");
            w.WriteLine("tape.BackwardDone = false;");
            if (plan.HasDropout)
            {
                w.WriteLine("tape.DropoutApplied = tape.DropoutEnabled;");
            }

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

            w.WriteLine();
            w.WriteLine("// The states BPTT differentiates: a copy, so writing the initial states before Backward changes nothing.");
            foreach (UnitPlan unit in plan.Units)
            {
                int k = unit.Layer.Index, d = unit.Direction;
                w.WriteLine($"{Part(k, d, TapePart.InitialHidden)}.CopyTo({Part(k, d, TapePart.RecordedInitialHidden)});");
                if (unit.Layer.Kind == LayerKind.Lstm)
                {
                    w.WriteLine($"{Part(k, d, TapePart.InitialCell)}.CopyTo({Part(k, d, TapePart.RecordedInitialCell)});");
                }
            }

            string previous = "x";
            string previousWidth = plan.InputWidthName;
            foreach (LayerPlan layer in plan.Layers)
            {
                string y = $"y{layer.Index}";
                w.WriteLine();
                w.WriteLine($"// Layer {layer.Index} ({layer.Describe()}): {previous} → {y}");
                previous = WriteDropoutForward(w, plan, layer.Index, previous, previousWidth);
                if (plan.DropoutAt(layer.Index) is not null)
                {
                    previousWidth = N(plan.DropoutAt(layer.Index)!.Width);
                }

                w.WriteLine($"{plan.Span} {y} = {Slice($"Y{layer.Index}Offset", $"rows * {layer.OutputWidth}")};");
                foreach (UnitPlan unit in layer.Units)
                {
                    int k = layer.Index, d = unit.Direction;
                    string yu = d == 0 ? y : $"{y}.Slice({unit.OutputColumn})";
                    bool lstm = layer.Kind == LayerKind.Lstm;
                    string c0 = lstm ? Part(k, d, TapePart.RecordedInitialCell) : "default";
                    string cN = lstm ? Part(k, d, TapePart.FinalCell) : "default";
                    string cache = layer.CacheWidth > 0 ? Slice($"{unit.Name}CacheOffset", $"rows * {layer.CacheWidth}") : "default";
                    string work = layer.WorkWidth > 0 ? "work" : "default";
                    w.WriteLine($"{unit.Name}Forward(p, {previous}, {previousWidth}, {yu}, {layer.OutputWidth}, {Part(k, d, TapePart.RecordedInitialHidden)}, {Part(k, d, TapePart.FinalHidden)}, {c0}, {cN}, {cache}, {work}, steps, batch);");
                }

                previous = y;
                previousWidth = N(layer.OutputWidth);
            }

            w.WriteLine();
            if (plan.HasHead)
            {
                w.WriteLine($"// Head: {previous} → outputs");
                previous = WriteDropoutForward(w, plan, plan.Layers.Count, previous, previousWidth);
                if (plan.DropoutAt(plan.Layers.Count) is not null)
                {
                    previousWidth = N(plan.TopWidth);
                }

                w.WriteLine($"HeadForward(p, {previous}, {previousWidth}, outputs, rows);");
            }
            else
            {
                w.WriteLine($"// No head: the outputs are the top layer's h_t.");
                w.WriteLine($"{previous}.CopyTo(outputs);");
            }

            w.WriteLine();
            w.WriteLine("// Gradients flowing into the final states start at zero; SetFinalHiddenGradient carries one in.");
            foreach (UnitPlan unit in plan.Units)
            {
                w.WriteLine($"{Part(unit.Layer.Index, unit.Direction, TapePart.FinalHiddenGradient)}.Clear();");
                if (unit.Layer.Kind == LayerKind.Lstm)
                {
                    w.WriteLine($"{Part(unit.Layer.Index, unit.Direction, TapePart.FinalCellGradient)}.Clear();");
                }
            }

            w.WriteLine("tape.Recorded = true;");
        }

        w.WriteLine();
    }

    /// <summary>
    /// Writes the dropout on the input of layer <paramref name="index"/> (or the head), if declared, and returns the
    /// name of what the layer reads: the dropped copy when dropout ran, the input itself otherwise.
    /// </summary>
    private static string WriteDropoutForward(IndentedTextWriter w, ModelPlan plan, int index, string input, string inputWidth)
    {
        DropoutSite? site = plan.DropoutAt(index);
        if (site is null)
        {
            return input;
        }

        string name = site.Name(plan);
        string dropped = char.ToLowerInvariant(name[0]) + name.Substring(1);
        w.WriteLine($"// Dropout({site.RateText}) on this input: x̃ = x ⊙ m, m = 1/(1 − {site.RateText}) with probability {N2(1 - site.Rate)}, else 0; the mask is kept for BPTT.");
        w.WriteLine($"{plan.ReadOnlySpan} {dropped} = {input};");
        using (w.Block("if (tape.DropoutApplied)"))
        {
            w.WriteLine($"{plan.Span} masked = {Slice($"{name}Offset", $"rows * {site.Width}")};");
            w.WriteLine($"global::NativeRnn.Kernels.Dropout.Apply<{plan.T}>({input}, {inputWidth}, masked, {Slice($"{name}MaskOffset", $"rows * {site.Width}")}, steps, batch, {site.Width}, {site.RateText}, tape.DropoutSeed, {site.Index}, tape.FirstSequence);");
            w.WriteLine($"{dropped} = masked;");
        }

        return dropped;
    }

    private static string N2(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private static void WriteBackward(IndentedTextWriter w, ModelPlan plan)
    {
        string ro = Readonly(plan);
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Backpropagation through time for the pass recorded in <paramref name=\"tape\"/>: <b>adds</b> <c>∂L/∂θ</c> for every");
        w.WriteLine("/// parameter to <paramref name=\"gradients\"/> (zero it first, or let it accumulate over chunks), and writes");
        w.WriteLine("/// <c>∂L/∂x_t</c> and <c>∂L/∂h_0</c> into the tape. <c>L</c> is whatever loss produced");
        w.WriteLine("/// <paramref name=\"outputGradients\"/>, plus <c>Σ ∂L/∂h_T · h_T</c> for final-state gradients set on the tape.");
        w.WriteLine("/// The time loop runs <c>t = T−1 … 0</c>; weight gradients are then summed over all steps in single products.");
        w.WriteLine("/// Allocates nothing. May be called again for the same tape. Finite but huge output gradients can overflow");
        w.WriteLine("/// the element type: the block then holds ±∞, which gradient clipping reports and every optimiser refuses.");
        w.WriteLine("/// </summary>");
        w.WriteLine("/// <param name=\"tape\">A tape recorded by this model's training <c>Forward</c> with its current shape.</param>");
        w.WriteLine("/// <param name=\"outputGradients\"><c>∂L/∂y_t</c>, time-major <c>[Steps, Batch, OutputSize]</c>, finite.</param>");
        w.WriteLine("/// <param name=\"gradients\">A gradient block of <see cref=\"ParameterCount\"/> elements, laid out as <see cref=\"Layout\"/>, finite; added to.</param>");
        w.WriteLine("/// <exception cref=\"global::System.InvalidOperationException\">The tape holds no forward pass of its current shape.</exception>");
        w.WriteLine("/// <exception cref=\"global::System.ArgumentException\">The tape was recorded by another model, a length is wrong, or a gradient (given or accumulated) is not finite; nothing is written.</exception>");
        using (w.Block($"public {ro}void Backward(Tape tape, {plan.ReadOnlySpan} outputGradients, {plan.Span} gradients)"))
        {
            w.WriteLine("global::System.ArgumentNullException.ThrowIfNull(tape);");
            using (w.Block("if (!tape.Recorded)"))
            {
                w.WriteLine("throw new global::System.InvalidOperationException(\"Backward needs a tape recorded by the training Forward with the tape's current shape.\");");
            }

            using (w.Block("if (!global::System.Object.ReferenceEquals(tape.Owner, _parameters))"))
            {
                w.WriteLine($"throw new global::System.ArgumentException(\"The tape holds a forward pass of another {plan.Model.Hierarchy.Name}, whose parameters this model does not share; run Forward with this model first.\", nameof(tape));");
            }

            w.WriteLine("int steps = tape.Steps, batch = tape.Batch, rows = steps * batch;");
            w.WriteLine($"{Guard}.Length(outputGradients.Length, (long)rows * OutputSize, nameof(outputGradients), \"[tape.Steps, tape.Batch, OutputSize]\");");
            w.WriteLine("Layout.CheckBlock(gradients.Length, nameof(gradients));");
            w.WriteLine($"{Guard}.Finite(outputGradients, nameof(outputGradients));");
            w.WriteLine($"{Guard}.FiniteAccumulator<{plan.T}>(gradients, nameof(gradients));");
            w.WriteLine();
            w.WriteLine($"{plan.ReadOnlySpan} p = ParameterBlock;");
            w.WriteLine($"{plan.Span} m = tape.Buffer;");
            w.WriteLine($"{plan.Span} scratch = {Slice("ScratchOffset", N(plan.ScratchSize))};");
            LayerPlan top = plan.Layers[plan.Layers.Count - 1];
            w.WriteLine($"{plan.Span} dy{top.Index} = {Slice($"DY{top.Index}Offset", $"rows * {top.OutputWidth}")};");
            if (plan.HasHead)
            {
                DropoutSite? headDropout = plan.DropoutAt(plan.Layers.Count);
                string headInput = Slice($"Y{top.Index}Offset", $"rows * {top.OutputWidth}");
                w.WriteLine();
                w.WriteLine($"// Head: ∂L/∂y_t → ∂L/∂h_t of layer {top.Index}, and the head's gradients.");
                w.WriteLine($"dy{top.Index}.Clear();");
                if (headDropout is not null)
                {
                    string name = headDropout.Name(plan);
                    w.WriteLine($"{plan.ReadOnlySpan} headInput = tape.DropoutApplied ? {Slice($"{name}Offset", $"rows * {top.OutputWidth}")} : {headInput};");
                    headInput = "headInput";
                }

                w.WriteLine($"HeadBackward(p, gradients, {headInput}, {top.OutputWidth}, outputGradients, dy{top.Index}, {top.OutputWidth}, scratch, rows);");
                WriteDropoutBackward(w, plan, plan.Layers.Count, $"dy{top.Index}", N(top.OutputWidth));
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
                DropoutSite? site = plan.DropoutAt(k);
                if (site is not null)
                {
                    w.WriteLine($"{plan.ReadOnlySpan} input{k} = tape.DropoutApplied ? {Slice($"{site.Name(plan)}Offset", $"rows * {site.Width}")} : {x}; // what the layer read");
                    x = $"input{k}";
                }

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
                    string c0 = lstm ? Part(k, d, TapePart.RecordedInitialCell) : "default";
                    string dcN = lstm ? Part(k, d, TapePart.FinalCellGradient) : "default";
                    string dc0 = lstm ? Part(k, d, TapePart.InitialCellGradient) : "default";
                    string cache = layer.CacheWidth > 0 ? Slice($"{unit.Name}CacheOffset", $"rows * {layer.CacheWidth}") : "default";
                    string dz = layer.DzWidth > 0 ? Slice("DZOffset", $"rows * {layer.DzWidth}") : "default";
                    string dz2 = layer.Dz2Width > 0 ? Slice("DZ2Offset", $"rows * {layer.Dz2Width}") : "default";
                    string work = layer.WorkWidth > 0 ? Slice("WorkOffset", $"batch * {plan.MaxWorkWidth}") : "default";
                    w.WriteLine($"{unit.Name}Backward(p, gradients, {x}, {xWidth}, {y}, {dy}, {layer.OutputWidth}, {Part(k, d, TapePart.RecordedInitialHidden)}, {Part(k, d, TapePart.FinalHiddenGradient)}, {Part(k, d, TapePart.InitialHiddenGradient)}, {c0}, {dcN}, {dc0}, {cache}, {dxName}, {xWidth}, {dz}, {dz2}, {work}, scratch, tape.Flow({k}, {d}), steps, batch);");
                }

                WriteDropoutBackward(w, plan, k, dxName, xWidth);
            }

            if (plan.HasEmbedding)
            {
                w.WriteLine();
                w.WriteLine("// Embedding: ∂L/∂E[token] += ∂L/∂x_t for every row that read it.");
                w.WriteLine($"{Rows}.ScatterAdd(dx, EmbeddingSize, global::System.MemoryExtensions.AsSpan(tape.Tokens, 0, rows), {plan.Embedding!.In("gradients")}, EmbeddingSize);");
            }

            w.WriteLine("tape.BackwardDone = true;");
        }

        w.WriteLine();
    }

    /// <summary>Writes <c>∂L/∂x = ∂L/∂x̃ ⊙ m</c> for the dropout on the input of layer <paramref name="index"/>, if declared.</summary>
    private static void WriteDropoutBackward(IndentedTextWriter w, ModelPlan plan, int index, string gradient, string ld)
    {
        DropoutSite? site = plan.DropoutAt(index);
        if (site is null)
        {
            return;
        }

        w.WriteLine($"// Through the dropout: ∂L/∂x = ∂L/∂x̃ ⊙ m, with the mask of the forward pass.");
        using (w.Block("if (tape.DropoutApplied)"))
        {
            w.WriteLine($"global::NativeRnn.Kernels.Dropout.Backward<{plan.T}>({gradient}, {ld}, {Slice($"{site.Name(plan)}MaskOffset", $"rows * {site.Width}")}, rows, {site.Width});");
        }
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
            w.WriteLine("// ∂L/∂h_t += Wᵀ ∂L/∂y_t (row form: dy · W, with W untransposed and panel-major in scratch)");
            w.WriteLine($"{s} weight = scratch.Slice(0, {o * width});");
            w.WriteLine($"{Rows}.TransposePanelsToPanels({weight.In("p")}, {width}, {o}, {plan.PanelWidth}, 0, {o}, weight);");
            w.WriteLine($"{Gemm}.MultiplyAddPanels(rows, {o}, dy, {o}, weight, {width}, {plan.PanelWidth}, 0, {width}, dh, lddh);");
        }

        w.WriteLine();
    }
}
