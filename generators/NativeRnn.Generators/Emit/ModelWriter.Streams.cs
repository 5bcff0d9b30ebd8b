using System.Linq;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

internal static partial class ModelWriter
{
    /// <summary>
    /// Elements of chunk buffer the many-stream passes aim for (512 KiB of floats): large enough that a chunk's
    /// input projection reads the input weights once for many rows, small enough to stay in L2.
    /// </summary>
    private const int StreamChunkElements = 131072;

    /// <summary>Buffers up to this many bytes come from the stack; larger ones from the shared array pool.</summary>
    private const int StreamStackBytes = 32 * 1024;

    /// <summary>Elements of the many-stream buffer per row (one stream at one step): layer outputs, caches, embedded inputs.</summary>
    private static int StreamRowWidth(ModelPlan plan)
        => ((plan.Layers.Count > 1 ? 2 : 1) * plan.MaxLayerWidth) + plan.MaxCacheWidth + (plan.HasEmbedding ? plan.InputSize : 0);

    /// <summary>Elements of the many-stream buffer per stream, whatever the chunk: the states side by side, one step's scratch.</summary>
    private static int StreamFixedWidth(ModelPlan plan) => plan.StateSize + plan.MaxWorkWidth;

    /// <summary>
    /// Writes <c>Step(Span&lt;State&gt;, …)</c> and <c>Forward(Span&lt;State&gt;, …)</c>: B independent streams per call. Their
    /// states are laid side by side per layer, and each layer runs the batched pass that training uses, so every
    /// weight is read once per step for all streams (and the input weights once per chunk of steps).
    /// </summary>
    private static void WriteManyStreams(IndentedTextWriter w, ModelPlan plan)
    {
        string ro = Readonly(plan);
        bool tokens = plan.HasEmbedding;
        string span = plan.Span;
        string stepInputs = tokens ? "global::System.ReadOnlySpan<int> tokens" : $"{plan.ReadOnlySpan} inputs";
        string inputsName = tokens ? "tokens" : "inputs";

        w.WriteLine("// ──────────────────── Many streams per call ────────────────────");
        w.WriteLine();
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Advances <c>states.Length</c> independent streams by one time step in one call: stream <c>b</c> reads row");
        w.WriteLine($"/// <c>b</c> of <paramref name=\"{inputsName}\"/>, updates <c>states[b]</c> and writes row <c>b</c> of <paramref name=\"outputs\"/>. The same");
        w.WriteLine("/// result as the single-stream <c>Step</c> on each stream (to rounding: the products");
        w.WriteLine("/// sum in another order), but each weight is read once for all streams, so a server or a multi-channel device");
        w.WriteLine("/// pays for the weights once. Allocates nothing once the shared array pool is warm.");
        w.WriteLine("/// </summary>");
        w.WriteLine("/// <param name=\"states\">One state per stream, updated in place.</param>");
        w.WriteLine(tokens
            ? "/// <param name=\"tokens\">One token id per stream, <c>[states.Length]</c>, each in <c>[0, Vocabulary)</c>.</param>"
            : "/// <param name=\"inputs\"><c>x_t</c> of every stream, <c>[states.Length, InputSize]</c>, finite.</param>");
        w.WriteLine("/// <param name=\"outputs\">Receives <c>y_t</c> of every stream, <c>[states.Length, OutputSize]</c>.</param>");
        w.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">There is no stream, a length is wrong, an input is {(tokens ? "not a token id" : "not finite")} or a state holds NaN or ∞; no state is changed.</exception>");
        w.WriteLine($"public {ro}void Step(global::System.Span<State> states, {stepInputs}, {span} outputs) => CheckedStreams({MemoryMarshal}.Cast<State, {plan.T}>(states), {inputsName}, outputs, oneStep: true);");
        w.WriteLine();
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Runs <c>states.Length</c> independent streams over a stretch of steps in one call, continuing from their");
        w.WriteLine("/// states: the same result as the many-stream <c>Step</c> once per step, with each layer's input projection one");
        w.WriteLine("/// product over a chunk of steps of all streams. Inputs and outputs are time-major: row <c>t · states.Length + b</c>");
        w.WriteLine("/// is stream <c>b</c> at step <c>t</c>, as in a training batch. Allocates nothing once the shared array pool is warm.");
        w.WriteLine("/// </summary>");
        w.WriteLine("/// <param name=\"states\">One state per stream, advanced to the end of the stretch.</param>");
        w.WriteLine(tokens
            ? "/// <param name=\"tokens\"><c>[steps, states.Length]</c> token ids, each in <c>[0, Vocabulary)</c>.</param>"
            : "/// <param name=\"inputs\"><c>[steps, states.Length, InputSize]</c>, finite.</param>");
        w.WriteLine("/// <param name=\"outputs\">Receives <c>[steps, states.Length, OutputSize]</c>.</param>");
        w.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">There is no stream, a length is wrong, an input is {(tokens ? "not a token id" : "not finite")} or a state holds NaN or ∞; no state is changed.</exception>");
        w.WriteLine($"public {ro}void Forward(global::System.Span<State> states, {stepInputs}, {span} outputs) => CheckedStreams({MemoryMarshal}.Cast<State, {plan.T}>(states), {inputsName}, outputs, oneStep: false);");
        w.WriteLine();
        w.WriteLine("/// <summary>The checks of the many-stream passes, on the states as one span of whole states; then the pass.</summary>");
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block($"private {ro}void CheckedStreams({span} states, {stepInputs}, {span} outputs, bool oneStep)"))
        {
            WriteStreamChecks(w, plan);
            using (w.Block("if (batch == 1)"))
            {
                w.WriteLine("// One stream: the single-stream kernels, tuned for batch 1.");
                w.WriteLine(tokens
                    ? "if (oneStep) { StepCore(states, tokens[0], outputs); } else { ForwardCore(states, tokens, outputs); }"
                    : "if (oneStep) { StepCore(states, inputs, outputs); } else { ForwardCore(states, inputs, outputs); }");
                w.WriteLine("return;");
            }

            using (w.Block("if (steps > 0)"))
            {
                w.WriteLine($"ManyStreams(states, batch, {inputsName}, outputs, steps);");
            }
        }

        w.WriteLine();
        WriteManyStreamsCore(w, plan, stepInputs, inputsName);
    }

    private static void WriteStreamChecks(IndentedTextWriter w, ModelPlan plan)
    {
        bool tokens = plan.HasEmbedding;
        using (w.Block("if (states.IsEmpty || states.Length % StateSize != 0)"))
        {
            w.WriteLine("throw new global::System.ArgumentException($\"'states' must hold one or more whole states of {StateSize} elements but has {states.Length}.\", nameof(states));");
        }

        w.WriteLine("int batch = states.Length / StateSize;");
        string x = tokens ? "tokens" : "inputs", width = tokens ? string.Empty : " * InputSize", shape = tokens ? string.Empty : ", InputSize";
        w.WriteLine($"int steps = oneStep ? 1 : (int)({x}.Length / ((long)batch{width}));");
        w.WriteLine($"{Guard}.Length({x}.Length, (long)steps * batch{width}, nameof({x}), oneStep ? \"[states.Length{shape}]\" : \"[steps, states.Length{shape}]\");");
        w.WriteLine(tokens ? $"{Rows}.CheckTokens(tokens, Vocabulary);" : $"{Guard}.Finite(inputs, nameof(inputs));");
        w.WriteLine($"{Guard}.Length(outputs.Length, (long)steps * batch * OutputSize, nameof(outputs), oneStep ? \"[states.Length, OutputSize]\" : \"[steps, states.Length, OutputSize]\");");
        w.WriteLine($"{Guard}.FiniteStates<{plan.T}>(states, StateSize, nameof(states));");
    }

    private static void WriteManyStreamsCore(IndentedTextWriter w, ModelPlan plan, string inputs, string inputsName)
    {
        string ro = Readonly(plan);
        string span = plan.Span;
        bool tokens = plan.HasEmbedding;
        int rowWidth = StreamRowWidth(plan), fixedWidth = StreamFixedWidth(plan);
        int stackElements = StreamStackBytes / plan.ElementSize;

        w.WriteLine("/// <summary>The many-stream pass over checked arguments: sizes its chunk to the number of streams, then finds its buffer.</summary>");
        WriteSkipLocalsInit(w, plan);
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block($"private {ro}void ManyStreams({span} s, int batch, {inputs}, {span} outputs, int steps)"))
        {
            w.WriteLine($"int chunk = global::System.Math.Clamp({N(StreamChunkElements)} / (batch * {N(rowWidth)}), 1, steps);");
            w.WriteLine($"long length = ((long)chunk * batch * {N(rowWidth)}) + ((long)batch * {N(fixedWidth)});");
            using (w.Block($"if (length <= {N(stackElements)})"))
            {
                w.WriteLine($"StreamChunks(s, batch, {inputsName}, outputs, steps, stackalloc {plan.T}[(int)length], chunk);");
                w.WriteLine("return;");
            }

            w.WriteLine();
            w.WriteLine($"{plan.T}[] rented = global::System.Buffers.ArrayPool<{plan.T}>.Shared.Rent(checked((int)length));");
            using (w.Block("try"))
            {
                w.WriteLine($"StreamChunks(s, batch, {inputsName}, outputs, steps, rented, chunk);");
            }

            using (w.Block("finally"))
            {
                w.WriteLine($"global::System.Buffers.ArrayPool<{plan.T}>.Shared.Return(rented);");
            }
        }

        w.WriteLine();
        w.WriteLine("/// <summary>");
        w.WriteLine("/// The many-stream pass in chunks of <paramref name=\"chunk\"/> steps: the states are gathered into per-layer blocks");
        w.WriteLine("/// <c>[batch, H]</c>, every layer runs its batched pass over the chunk, and the states are scattered back at the end.");
        w.WriteLine("/// </summary>");
        w.WriteLine(UnitWriter.AggressiveOptimization);
        using (w.Block($"private {ro}void StreamChunks({span} s, int batch, {inputs}, {span} outputs, int steps, {span} buffer, int chunk)"))
        {
            w.WriteLine($"{plan.ReadOnlySpan} p = ParameterBlock;");
            w.WriteLine("int used = 0;");
            void Carve(string name, string length) => w.WriteLine($"{span} {name} = buffer.Slice(used, {length}); used += {name}.Length;");
            Carve("packed", "batch * StateSize");
            if (plan.MaxWorkWidth > 0)
            {
                Carve("work", $"batch * {N(plan.MaxWorkWidth)}");
            }

            Carve("a", $"chunk * batch * {N(plan.MaxLayerWidth)}");
            if (plan.Layers.Count > 1)
            {
                Carve("b", $"chunk * batch * {N(plan.MaxLayerWidth)}");
            }

            if (plan.MaxCacheWidth > 0)
            {
                Carve("cache", $"chunk * batch * {N(plan.MaxCacheWidth)}");
            }

            if (tokens)
            {
                Carve("embedded", "chunk * batch * EmbeddingSize");
            }

            w.WriteLine();
            w.WriteLine("// Each layer's h (and c) of every stream side by side, as the batched layer passes read and write them.");
            foreach ((string name, int offset, int width) in StateBlocks(plan))
            {
                w.WriteLine($"{span} {name} = packed.Slice(batch * {N(offset)}, batch * {N(width)});");
                w.WriteLine($"{Rows}.Copy(s.Slice({N(offset)}), StateSize, {name}, {N(width)}, batch, {N(width)});");
            }

            w.WriteLine();
            using (w.Block("for (int t0 = 0; t0 < steps; t0 += chunk)"))
            {
                w.WriteLine("int n = global::System.Math.Min(chunk, steps - t0);");
                w.WriteLine("int rows = n * batch;");
                if (tokens)
                {
                    w.WriteLine($"{span} x = embedded.Slice(0, rows * EmbeddingSize);");
                    w.WriteLine($"{Rows}.Gather({plan.Embedding!.In("p")}, EmbeddingSize, tokens.Slice(t0 * batch, rows), x); // x_t = E[token_t]");
                }
                else
                {
                    w.WriteLine($"{plan.ReadOnlySpan} x = inputs.Slice(t0 * batch * InputSize, rows * InputSize);");
                }

                w.WriteLine($"{span} y = outputs.Slice(t0 * batch * OutputSize, rows * OutputSize);");
                string previous = "x", previousWidth = plan.InputWidthName;
                for (int k = 0; k < plan.Layers.Count; k++)
                {
                    LayerPlan layer = plan.Layers[k];
                    UnitPlan unit = layer.Units[0];
                    bool last = k == plan.Layers.Count - 1;
                    string destination = last && !plan.HasHead ? "y" : (k % 2 == 0 ? "a" : "b");
                    string h = $"h{k}", c = layer.Kind == LayerKind.Lstm ? $"c{k}" : "default";
                    w.WriteLine($"// Layer {k} ({layer.Describe()}): {previous} → {destination}, all streams at once.");
                    w.WriteLine($"{unit.Name}Forward(p, {previous}, {previousWidth}, {destination}, {N(layer.Hidden)}, {h}, {h}, {c}, {c}, {(layer.CacheWidth > 0 ? "cache" : "default")}, {(layer.WorkWidth > 0 ? "work" : "default")}, n, batch);");
                    previous = destination;
                    previousWidth = N(layer.Hidden);
                }

                if (plan.HasHead)
                {
                    w.WriteLine($"// Head: {previous} → y.");
                    w.WriteLine($"HeadForward(p, {previous}, {previousWidth}, y, rows);");
                }
            }

            w.WriteLine();
            w.WriteLine("// The new states back into each stream's own.");
            foreach ((string name, int offset, int width) in StateBlocks(plan))
            {
                w.WriteLine($"{Rows}.Copy({name}, {N(width)}, s.Slice({N(offset)}), StateSize, batch, {N(width)});");
            }
        }

        w.WriteLine();
    }

    /// <summary>The parts of a stream's state: each layer's h, and c for an LSTM, with their offsets in the state.</summary>
    private static System.Collections.Generic.IEnumerable<(string Name, int Offset, int Width)> StateBlocks(ModelPlan plan)
    {
        foreach (LayerPlan layer in plan.Layers)
        {
            yield return ($"h{layer.Index}", layer.StateOffset, layer.Hidden);
            if (layer.Kind == LayerKind.Lstm)
            {
                yield return ($"c{layer.Index}", layer.StateOffset + layer.Hidden, layer.Hidden);
            }
        }
    }
}
