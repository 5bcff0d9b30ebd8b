using System.Globalization;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

/// <summary>
/// Writes the no-SIMD form of a step kernel: plain loops over the same packed panels as the vector forms,
/// one element at a time, then the cell over the pre-activation buffer. It runs where no vector width is
/// accelerated (or the JIT's hardware intrinsics are switched off), so it is written for clarity and size,
/// not speed.
/// </summary>
internal static class ScalarKernelWriter
{
    private const string M = "NrnnMath1";

    /// <summary>The name of the scalar body of the kernel.</summary>
    public static string Name(KernelContext k, bool projected) => k.Name(projected) + "Scalar";

    /// <summary>Writes <c>{Unit}Step[Projected]Scalar</c>.</summary>
    public static void Write(IndentedTextWriter w, KernelContext k, bool projected)
    {
        string first = projected ? "zx" : "x";
        w.WriteLine($"/// <summary>{k.Name(projected)} without vectors: loops over the packed panels, then the cell.</summary>");
        w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining | global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]");
        if (k.Plan.Model.AllowUnsafe)
        {
            w.WriteLine("[global::System.Runtime.CompilerServices.SkipLocalsInit]");
        }

        using (w.Block($"private static void {Name(k, projected)}({k.Parameters(first)})"))
        {
            if (k.ResetBefore)
            {
                WriteResetBefore(w, k, projected);
            }
            else
            {
                WriteBody(w, k, projected);
            }
        }

        w.WriteLine();
    }

    /// <summary>The body of the kernel for every layer but the reset-before GRU.</summary>
    private static void WriteBody(IndentedTextWriter w, KernelContext k, bool projected)
    {
        int gh = k.Gates * k.H;
        bool gru = k.Layer.Kind == LayerKind.Gru;

        // The same buffers as the panel form.
        k.WriteBuffers(w, projected);

        w.WriteLine();
        if (gru)
        {
            WriteGruStarts(w, k, projected);

            if (!projected)
            {
                WriteProduct(w, k, k.InputMatrix, "x", "zi");
            }

            WriteProduct(w, k, k.RecurrentMatrix, "h", "zh");
        }
        else
        {
            w.WriteLine(projected ? "// z starts at the projection zx." : "// z starts at b_ih + b_hh.");
            using (w.Block($"for (int j = 0; j < {gh}; j++)"))
            {
                w.WriteLine($"{M}.Store({k.PanelStart(M, "z", projected, "j")}, ref z, j);");
            }

            if (!projected)
            {
                WriteProduct(w, k, k.InputMatrix, "x", "z");
            }

            WriteProduct(w, k, k.RecurrentMatrix, "h", "z");
        }

        // Every product is done before the first h is written, so hOut may be h.
        w.WriteLine();
        w.WriteLine($"// The cell: {k.CellText}.");
        using (w.Block($"for (int u = 0; u < {k.H}; u++)"))
        {
            CellWriter.WriteBufferCell(w, k, M, "u");
        }
    }

    /// <summary>The reset-before GRU: the r and z columns from <c>h</c>, their gates and <c>r ⊙ h</c>, then the n columns from <c>r ⊙ h</c>.</summary>
    private static void WriteResetBefore(IndentedTextWriter w, KernelContext k, bool projected)
    {
        int h = k.H, gh = k.Gates * h;
        k.WriteBuffers(w, projected);
        w.WriteLine();
        WriteGruStarts(w, k, projected);

        if (!projected)
        {
            WriteProduct(w, k, k.InputMatrix, "x", "zi");
        }

        WriteProduct(w, k, k.RecurrentMatrix, "h", "zh", 0, 2 * h, "W_h(r,z) h");
        w.WriteLine();
        w.WriteLine("// r, z = σ(zi + zh) into zh; then r ⊙ h.");
        using (w.Block($"for (int u = 0; u < {2 * h}; u++)"))
        {
            w.WriteLine($"{M}.Store({M}.Sigmoid({M}.Load(ref zi, u) + {M}.Load(ref zh, u)), ref zh, u);");
        }

        using (w.Block($"for (int u = 0; u < {h}; u++)"))
        {
            w.WriteLine($"{M}.Store({M}.Load(ref zh, u) * {M}.Load(ref h, u), ref rh, u);");
        }

        WriteProduct(w, k, k.RecurrentMatrix, "rh", "zh", 2 * h, gh, "W_hn (r ⊙ h)");
        w.WriteLine();
        w.WriteLine("// n = tanh(zi + zh); h = n + z ⊙ (h − n).");
        using (w.Block($"for (int u = 0; u < {h}; u++)"))
        {
            w.WriteLine($"var n = {M}.Tanh({M}.Load(ref zi, u + {2 * h}) + {M}.Load(ref zh, u + {2 * h}));");
            w.WriteLine($"{M}.Store({M}.Fma({M}.Load(ref zh, u + {h}), {M}.Load(ref h, u) - n, n), ref hOut, u);");
        }
    }

    /// <summary>A GRU's sums start at its biases: <c>zi</c> at b_ih (unless projected: it is <c>zx</c>), <c>zh</c> at b_hh.</summary>
    private static void WriteGruStarts(IndentedTextWriter w, KernelContext k, bool projected)
    {
        w.WriteLine(projected ? "// zh starts at b_hh." : "// zi starts at b_ih, zh at b_hh.");
        using (w.Block($"for (int j = 0; j < {k.Gates * k.H}; j++)"))
        {
            if (!projected)
            {
                w.WriteLine($"{M}.Store({k.PanelStart(M, "zi", projected, "j")}, ref zi, j);");
            }

            w.WriteLine($"{M}.Store({k.PanelStart(M, "zh", projected, "j")}, ref zh, j);");
        }
    }

    /// <summary><c>destination += matrix · vector</c>, panel by panel: panel q starts at q·P·rows, its rows as far apart as it is wide.</summary>
    private static void WriteProduct(IndentedTextWriter w, KernelContext k, MatrixInfo matrix, string vector, string destination)
        => WriteProduct(w, k, matrix, vector, destination, 0, k.Gates * k.H, matrix == k.InputMatrix ? "W_ih x" : "W_hh h");

    /// <summary>The same over gate columns [<paramref name="firstColumn"/>, <paramref name="endColumn"/>) only, described as <paramref name="product"/>.</summary>
    private static void WriteProduct(IndentedTextWriter w, KernelContext k, MatrixInfo matrix, string vector, string destination, int firstColumn, int endColumn, string product)
    {
        int gh = k.Gates * k.H, panel = k.Plan.PanelWidth;
        int firstPanel = firstColumn / panel, panels = (endColumn + panel - 1) / panel;
        bool whole = firstColumn == 0 && endColumn == gh;
        string P(int value) => value.ToString(CultureInfo.InvariantCulture);
        w.WriteLine();
        w.WriteLine($"// {destination} += {product}.");
        using (w.Block($"for (int q = {P(firstPanel)}; q < {P(panels)}; q++)"))
        {
            w.WriteLine($"int first = q * {P(panel)};");
            w.WriteLine($"int columns = global::System.Math.Min({P(panel)}, {P(gh)} - first);");
            w.WriteLine($"ref {k.T} panel = ref NrnnUnsafe.Add(ref p, {matrix.OffsetName} + (first * {P(matrix.Rows)}));");
            w.WriteLine($"ref {k.T} sums = ref NrnnUnsafe.Add(ref {destination}, first);");
            if (!whole)
            {
                w.WriteLine($"int from = global::System.Math.Max({P(firstColumn)} - first, 0);");
                w.WriteLine($"int to = global::System.Math.Min({P(endColumn)} - first, columns);");
            }

            using (w.Block($"for (int k = 0; k < {P(matrix.Rows)}; k++)"))
            {
                w.WriteLine($"{k.T} v = NrnnUnsafe.Add(ref {vector}, k);");
                w.WriteLine($"ref {k.T} row = ref NrnnUnsafe.Add(ref panel, k * columns);");
                using (w.Block(whole ? "for (int j = 0; j < columns; j++)" : "for (int j = from; j < to; j++)"))
                {
                    w.WriteLine($"{M}.Store({M}.Fma(v, {M}.Load(ref row, j), {M}.Load(ref sums, j)), ref sums, j);");
                }
            }
        }
    }
}
