using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

/// <summary>Everything about one layer that its step kernels need, with the address arithmetic of the packed weights.</summary>
internal sealed class KernelContext
{
    public KernelContext(ModelPlan plan, UnitPlan unit)
    {
        Plan = plan;
        Unit = unit;
        Layer = unit.Layer;
        Groups = StepKernelWriter.Groups(Layer);
        InputMatrix = new MatrixInfo("wih", unit.InputWeight.Offset, Layer.InputWidth, unit.InputWeight.OffsetName);
        RecurrentMatrix = new MatrixInfo("whh", unit.RecurrentWeight.Offset, Layer.Hidden, unit.RecurrentWeight.OffsetName);
    }

    public ModelPlan Plan { get; }

    public UnitPlan Unit { get; }

    public LayerPlan Layer { get; }

    public IReadOnlyList<GateGroup> Groups { get; }

    public MatrixInfo InputMatrix { get; }

    public MatrixInfo RecurrentMatrix { get; }

    public string T => Plan.T;

    public int H => Layer.Hidden;

    public int Gates => Layer.Gates;

    /// <summary>A reset-before GRU: its n block multiplies <c>r ⊙ h</c>, so its step runs in two phases of panels.</summary>
    public bool ResetBefore => Layer.Kind == LayerKind.Gru && !Layer.Info.ResetAfter;

    /// <summary>Weights up to this many bytes stay in L1 (32 KiB of a 48 KiB L1d), so tiles may read panels partially.</summary>
    private const int L1Bytes = 32 * 1024;

    /// <summary>
    /// Weights above this many bytes may not fit, with the rest of a step's data, in the smallest L1d of the class
    /// (32 KiB): their panel kernels can alternate their sweep order, so that the panels the previous step read last,
    /// still in L1 or L2, are read first. Whether they do is decided at start-up from the machine's L1d.
    /// </summary>
    private const int ZigzagBytes = 24 * 1024;

    public int WeightBytes => Gates * H * (Layer.InputWidth + H) * Plan.ElementSize;

    /// <summary>What a step reads and writes: the weights, both biases, the pre-activation buffer, x, h, c and the new h.</summary>
    public int WorkingBytes => WeightBytes + (((3 * Gates * H) + Layer.InputWidth + (4 * H)) * Plan.ElementSize);

    /// <summary>Whether the panel kernels carry the alternating sweep (and the layer its flags): weights that may exceed L1, streamed at some width.
    /// Not a reset-before GRU: its two phases read the r and z panels, then the n panels, so the panels one step
    /// reads last are not those the next reads first.</summary>
    public bool Zigzag => !ResetBefore && WeightBytes > ZigzagBytes && VectorWidth.Vectors(Plan.ElementSize).Any(width => Choose(width).Tiles is null);

    public string Name(bool projected) => Unit.Name + (projected ? "StepProjected" : "Step");

    public bool HasCell => Layer.Kind == LayerKind.Lstm;

    public string Parameters(string first) => $"ref {T} p, ref {T} {first}, ref {T} h, {(HasCell ? $"ref {T} c, " : string.Empty)}ref {T} hOut";

    public string Arguments(string first) => $"ref p, ref {first}, ref h, {(HasCell ? "ref c, " : string.Empty)}ref hOut";

    /// <summary>
    /// Declares a kernel's pre-activation buffer <c>z</c>. A GRU keeps its input part <c>zi</c> (<c>zx</c> itself when
    /// projected) and recurrent part <c>zh</c> apart, because r multiplies only the recurrent n; reset before, it also
    /// holds <c>rh = r ⊙ h</c>.
    /// </summary>
    public void WriteBuffers(IndentedTextWriter w, bool projected)
    {
        int gh = Gates * H;
        bool gru = Layer.Kind == LayerKind.Gru;
        int size = gru ? (projected ? gh : 2 * gh) + (ResetBefore ? H : 0) : gh;
        w.WriteLine($"global::System.Span<{T}> buffer = stackalloc {T}[{size}];");
        w.WriteLine($"ref {T} z = ref global::System.Runtime.InteropServices.MemoryMarshal.GetReference(buffer);");
        if (gru)
        {
            w.WriteLine(projected ? $"ref {T} zi = ref zx;" : $"ref {T} zi = ref z;");
            w.WriteLine(projected ? $"ref {T} zh = ref z;" : $"ref {T} zh = ref NrnnUnsafe.Add(ref z, {gh});");
        }

        if (ResetBefore)
        {
            w.WriteLine($"ref {T} rh = ref NrnnUnsafe.Add(ref zh, {gh});");
        }
    }

    /// <summary>Element index of <c>[row, column]</c> in a panel-major <c>[rows, G·H]</c> matrix.</summary>
    public int Address(MatrixInfo matrix, int row, int column)
    {
        int panel = Plan.PanelWidth, gh = Gates * H;
        int start = column / panel * panel;
        int width = Math.Min(panel, gh - start);
        return matrix.Offset + (start * matrix.Rows) + (row * width) + (column - start);
    }

    /// <summary>Distance between consecutive rows of the panel that holds <paramref name="column"/>.</summary>
    public int RowStride(int column)
    {
        int panel = Plan.PanelWidth, gh = Gates * H;
        int start = column / panel * panel;
        return Math.Min(panel, gh - start);
    }

    /// <summary>
    /// Row sets for <paramref name="accumulators"/> accumulators: enough for <see cref="StepKernelWriter.MinChains"/>
    /// independent chains, as long as the accumulators and one broadcast register per set fit the budget.
    /// </summary>
    public static int RowSets(int accumulators, VectorWidth width)
    {
        int sets = (StepKernelWriter.MinChains + accumulators - 1) / accumulators;
        while (sets > 1 && accumulators * sets > width.Budget)
        {
            sets--;
        }

        return Math.Max(1, sets);
    }

    /// <summary>Chooses register tiles where they fit, panels otherwise.</summary>
    public StepShape Choose(VectorWidth width)
    {
        int budget = width.Budget, panel = Plan.PanelWidth;
        int groups = Groups.Count;

        // A reset-before GRU's n block needs r (all its sums, then σ) before its recurrent product can start, so
        // one tile cannot hold every gate: its step is always two phases of panels.
        if (ResetBefore)
        {
            return new StepShape(null, 0, width, width);
        }

        // The kernel's own width first; a hidden size it does not divide may still tile with narrower
        // vectors, which address the same registers.
        foreach (VectorWidth tileWidth in width.AndNarrower(Plan.ElementSize).Where(w => w.Bits != 0))
        {
            int lanes = tileWidth.Lanes;
            if (H % lanes != 0)
            {
                continue;
            }

            int Accumulators(int units) => groups * units / lanes;
            // No more row sets than rows: extra ones would only add zeros.
            int Sets(int units) => Math.Min(RowSets(Accumulators(units), width), Math.Max(H, Layer.InputWidth));

            // Register tiles pay off while the weights are one stream (a single panel) or sit in L1; beyond
            // that the step is bound by streaming weights from L2, which one panel at a time does best
            // (measured on LSTM (128, 128): 2.6 µs panel by panel against 2.9 µs for tiles over four panels).
            bool onePanel = Gates * H <= panel;
            if (Accumulators(H) <= budget && (onePanel || WeightBytes <= L1Bytes))
            {
                return new StepShape(new TilePlan(H, Sets(H)), Accumulators(H) * Sets(H), tileWidth, width);
            }

            break;
        }

        return new StepShape(null, 0, width, width);
    }

    /// <summary>The starting value of a tile accumulator at <paramref name="column"/>: biases, or the projection (plus b_hh where it lacks it).</summary>
    public string Start(string m, GateGroup group, bool projected, string column)
    {
        var terms = new List<string>();
        if (group.Input && (projected || Unit.HasBias))
        {
            terms.Add(projected ? $"{m}.Load(ref zx, {column})" : $"{m}.Load(ref p, {Named(Unit.InputBias!, column)})");
        }

        if (group.Recurrent && Unit.HasBias && (!projected || Layer.Kind == LayerKind.Gru))
        {
            terms.Add($"{m}.Load(ref p, {Named(Unit.RecurrentBias!, column)})");
        }

        return terms.Count == 0 ? $"{m}.Zero" : string.Join(" + ", terms);
    }

    /// <summary>The starting value of a panel accumulator at <paramref name="column"/> of <paramref name="destination"/>.</summary>
    public string PanelStart(string m, string destination, bool projected, string column)
    {
        if (Layer.Kind == LayerKind.Gru)
        {
            // zi starts at b_ih, zh at b_hh (or zero without biases).
            return Unit.HasBias ? $"{m}.Load(ref p, {Named(destination == "zi" ? Unit.InputBias! : Unit.RecurrentBias!, column)})" : $"{m}.Zero";
        }

        if (projected)
        {
            return $"{m}.Load(ref zx, {column})";
        }

        return Unit.HasBias
            ? $"{m}.Load(ref p, {Named(Unit.InputBias!, column)}) + {m}.Load(ref p, {Named(Unit.RecurrentBias!, column)})"
            : $"{m}.Zero";
    }

    /// <summary><c>{Tensor}Offset + column</c>: an element of a tensor of the parameter block, by the tensor's constant.</summary>
    private static string Named(TensorPlan tensor, string column) => column == "0" ? tensor.OffsetName : $"{tensor.OffsetName} + {column}";

    /// <summary><c>expression + value</c>, folded when the expression is a literal.</summary>
    public static string Plus(string expression, int value)
    {
        if (int.TryParse(expression, NumberStyles.None, CultureInfo.InvariantCulture, out int literal))
        {
            return (literal + value).ToString(CultureInfo.InvariantCulture);
        }

        // "q * 64 + 16" + 32768 → "q * 64 + 32784".
        int plus = expression.LastIndexOf(" + ", StringComparison.Ordinal);
        if (plus > 0 && int.TryParse(expression.Substring(plus + 3), NumberStyles.None, CultureInfo.InvariantCulture, out int tail))
        {
            return Plus(expression.Substring(0, plus), tail + value);
        }

        return value == 0 ? expression : $"{expression} + {value}";
    }

    public string CellText => Layer.Kind switch
    {
        LayerKind.Lstm => "i, f, o = σ(·), g = tanh(·); c = f ⊙ c + i ⊙ g; h = o ⊙ tanh(c)",
        LayerKind.Gru when ResetBefore => "r, z = σ(·); n = tanh(nx + W_hn (r ⊙ h) + b_hn); h = (1 − z) ⊙ n + z ⊙ h",
        LayerKind.Gru => "r, z = σ(·); n = tanh(nx + r ⊙ nh); h = (1 − z) ⊙ n + z ⊙ h",
        _ => $"h = {Layer.Info.Activation.ToString().ToLowerInvariant()}(·)",
    };

    public string ActivationName => Layer.Info.Activation switch
    {
        ActivationKind.Relu => "Relu",
        ActivationKind.Sigmoid => "Sigmoid",
        _ => "Tanh",
    };
}
