using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeRnn.Kernels;

/// <summary>
/// Row-wise helpers the generated code uses around the matrix products: broadcasting biases into
/// rows, summing rows into a bias gradient, adding and transposing strided matrices.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class Rows
{
    /// <summary><c>x[r, :] ← bias</c> for every row: starts a pre-activation at its bias before products accumulate into it.</summary>
    /// <param name="x">Destination matrix.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="columns">Columns (the bias length).</param>
    /// <param name="ld">Leading dimension of <paramref name="x"/>.</param>
    /// <param name="bias">The bias, <paramref name="columns"/> long.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Broadcast<T>(Span<T> x, int rows, int columns, int ld, ReadOnlySpan<T> bias)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(x.Length, rows, columns, ld, nameof(x));
        CheckLength(bias.Length, columns, nameof(bias));
        for (int r = 0; r < rows; r++)
        {
            bias.CopyTo(x.Slice(r * ld, columns));
        }
    }

    /// <summary><c>x[r, :] ← bias1 + bias2</c> for every row (PyTorch keeps <c>b_ih</c> and <c>b_hh</c> apart; the forward adds both).</summary>
    /// <param name="x">Destination matrix.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="columns">Columns (the bias length).</param>
    /// <param name="ld">Leading dimension of <paramref name="x"/>.</param>
    /// <param name="bias1">First bias.</param>
    /// <param name="bias2">Second bias.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Broadcast<T>(Span<T> x, int rows, int columns, int ld, ReadOnlySpan<T> bias1, ReadOnlySpan<T> bias2)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(x.Length, rows, columns, ld, nameof(x));
        CheckLength(bias1.Length, columns, nameof(bias1));
        CheckLength(bias2.Length, columns, nameof(bias2));
        if (rows == 0)
        {
            return;
        }

        Span<T> first = x.Slice(0, columns);
        bias1.CopyTo(first);
        ElementwiseDriver.MapInPlace<AddOperator<T>, T>(ref MemoryMarshal.GetReference(bias2), ref MemoryMarshal.GetReference(first), columns);
        for (int r = 1; r < rows; r++)
        {
            first.CopyTo(x.Slice(r * ld, columns));
        }
    }

    /// <summary><c>x[r, :] ← 0</c> for every row: starts the pre-activations of a layer without biases.</summary>
    /// <param name="x">Destination matrix.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="columns">Columns.</param>
    /// <param name="ld">Leading dimension of <paramref name="x"/>.</param>
    /// <typeparam name="T">Element type.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Clear<T>(Span<T> x, int rows, int columns, int ld)
        where T : unmanaged
    {
        Gemm.CheckMatrix(x.Length, rows, columns, ld, nameof(x));
        if (ld == columns)
        {
            x.Slice(0, rows * columns).Clear();
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            x.Slice(r * ld, columns).Clear();
        }
    }

    /// <summary><c>y[r, :] ← y[r, :] ⊙ x[r, :]</c> for two strided matrices (a dropout mask applied to a gradient).</summary>
    /// <param name="x">The factors.</param>
    /// <param name="ldx">Leading dimension of <paramref name="x"/>.</param>
    /// <param name="y">Multiplied in place.</param>
    /// <param name="ldy">Leading dimension of <paramref name="y"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="columns">Columns.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyInto<T>(ReadOnlySpan<T> x, int ldx, Span<T> y, int ldy, int rows, int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(x.Length, rows, columns, ldx, nameof(x));
        Gemm.CheckMatrix(y.Length, rows, columns, ldy, nameof(y));
        ref T source = ref MemoryMarshal.GetReference(x);
        ref T destination = ref MemoryMarshal.GetReference(y);
        if (ldx == columns && ldy == columns)
        {
            ElementwiseDriver.MapInPlace<MultiplyOperator<T>, T>(ref source, ref destination, rows * columns);
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            ElementwiseDriver.MapInPlace<MultiplyOperator<T>, T>(ref Unsafe.Add(ref source, r * ldx), ref Unsafe.Add(ref destination, r * ldy), columns);
        }
    }

    /// <summary><c>Σ_r Σ_c x[r, c]²</c> of a strided matrix, accumulated in double (the gradient-flow norms).</summary>
    /// <param name="x">The matrix.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="columns">Columns.</param>
    /// <param name="ld">Leading dimension of <paramref name="x"/>.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <returns>The sum of squares.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares<T>(ReadOnlySpan<T> x, int rows, int columns, int ld)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(x.Length, rows, columns, ld, nameof(x));
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            sum += VectorMath.SumOfSquares(x.Slice(r * ld, columns));
        }

        return sum;
    }

    /// <summary><c>sum[c] += Σ_r x[r, c]</c>: the gradient of a bias broadcast over rows.</summary>
    /// <param name="x">Source matrix.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="columns">Columns.</param>
    /// <param name="ld">Leading dimension of <paramref name="x"/>.</param>
    /// <param name="sum">Accumulated into, <paramref name="columns"/> long.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SumInto<T>(ReadOnlySpan<T> x, int rows, int columns, int ld, Span<T> sum)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(x.Length, rows, columns, ld, nameof(x));
        CheckLength(sum.Length, columns, nameof(sum));
        ref T source = ref MemoryMarshal.GetReference(x);
        ref T destination = ref MemoryMarshal.GetReference(sum);
        for (int r = 0; r < rows; r++)
        {
            ElementwiseDriver.MapInPlace<AddOperator<T>, T>(ref Unsafe.Add(ref source, r * ld), ref destination, columns);
        }
    }

    /// <summary>
    /// <c>sum[c] += Σ_r x[r, c]</c> and <c>secondSum[c] += Σ_r x[r, c]</c>: two biases with the same gradient (an LSTM's
    /// or an RNN's <c>b_ih</c> and <c>b_hh</c>), each summed exactly as <see cref="SumInto{T}(ReadOnlySpan{T}, int, int, int, Span{T})"/>
    /// would, with <paramref name="x"/> (megabytes over a whole batch) read from memory once instead of twice.
    /// </summary>
    /// <param name="x">Source matrix.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="columns">Columns.</param>
    /// <param name="ld">Leading dimension of <paramref name="x"/>.</param>
    /// <param name="sum">Accumulated into, <paramref name="columns"/> long.</param>
    /// <param name="secondSum">Also accumulated into, <paramref name="columns"/> long.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SumInto<T>(ReadOnlySpan<T> x, int rows, int columns, int ld, Span<T> sum, Span<T> secondSum)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(x.Length, rows, columns, ld, nameof(x));
        CheckLength(sum.Length, columns, nameof(sum));
        CheckLength(secondSum.Length, columns, nameof(secondSum));
        ref T source = ref MemoryMarshal.GetReference(x);
        ref T first = ref MemoryMarshal.GetReference(sum);
        ref T second = ref MemoryMarshal.GetReference(secondSum);
        for (int r = 0; r < rows; r++)
        {
            // The row is read from memory for the first sum and from L1 for the second.
            ref T row = ref Unsafe.Add(ref source, r * ld);
            ElementwiseDriver.MapInPlace<AddOperator<T>, T>(ref row, ref first, columns);
            ElementwiseDriver.MapInPlace<AddOperator<T>, T>(ref row, ref second, columns);
        }
    }

    /// <summary><c>y[r, :] += x[r, :]</c> for two strided matrices.</summary>
    /// <param name="x">Source matrix.</param>
    /// <param name="ldx">Leading dimension of <paramref name="x"/>.</param>
    /// <param name="y">Accumulated into.</param>
    /// <param name="ldy">Leading dimension of <paramref name="y"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="columns">Columns.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddInto<T>(ReadOnlySpan<T> x, int ldx, Span<T> y, int ldy, int rows, int columns)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Gemm.CheckMatrix(x.Length, rows, columns, ldx, nameof(x));
        Gemm.CheckMatrix(y.Length, rows, columns, ldy, nameof(y));
        ref T source = ref MemoryMarshal.GetReference(x);
        ref T destination = ref MemoryMarshal.GetReference(y);
        if (ldx == columns && ldy == columns)
        {
            ElementwiseDriver.MapInPlace<AddOperator<T>, T>(ref source, ref destination, rows * columns);
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            ElementwiseDriver.MapInPlace<AddOperator<T>, T>(ref Unsafe.Add(ref source, r * ldx), ref Unsafe.Add(ref destination, r * ldy), columns);
        }
    }

    /// <summary><c>y[r, :] ← x[r, :]</c> for two strided matrices.</summary>
    /// <param name="x">Source matrix.</param>
    /// <param name="ldx">Leading dimension of <paramref name="x"/>.</param>
    /// <param name="y">Destination matrix.</param>
    /// <param name="ldy">Leading dimension of <paramref name="y"/>.</param>
    /// <param name="rows">Rows.</param>
    /// <param name="columns">Columns.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Copy<T>(ReadOnlySpan<T> x, int ldx, Span<T> y, int ldy, int rows, int columns)
        where T : unmanaged
    {
        Gemm.CheckMatrix(x.Length, rows, columns, ldx, nameof(x));
        Gemm.CheckMatrix(y.Length, rows, columns, ldy, nameof(y));
        for (int r = 0; r < rows; r++)
        {
            x.Slice(r * ldx, columns).CopyTo(y.Slice(r * ldy, columns));
        }
    }

    /// <summary><c>y[c, r] ← x[r, c]</c>: <paramref name="y"/> becomes the <paramref name="columns"/>×<paramref name="rows"/> transpose.</summary>
    /// <param name="x">Source, row-major <paramref name="rows"/>×<paramref name="columns"/>, contiguous.</param>
    /// <param name="rows">Rows of <paramref name="x"/>.</param>
    /// <param name="columns">Columns of <paramref name="x"/>.</param>
    /// <param name="y">Destination, row-major <paramref name="columns"/>×<paramref name="rows"/>, contiguous.</param>
    /// <typeparam name="T">Element type.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose<T>(ReadOnlySpan<T> x, int rows, int columns, Span<T> y)
        where T : unmanaged
    {
        Gemm.CheckMatrix(x.Length, rows, columns, Math.Max(columns, 1), nameof(x));
        Gemm.CheckMatrix(y.Length, columns, rows, Math.Max(rows, 1), nameof(y));
        TransposeBlock(ref MemoryMarshal.GetReference(x), columns, ref MemoryMarshal.GetReference(y), rows, rows, columns);
    }

    /// <summary><c>y[c, r] ← x[r, c]</c> for a panel-major <paramref name="x"/> (see <see cref="Panels"/>): recovers a weight in PyTorch's layout.</summary>
    /// <param name="x">Panel-major <paramref name="rows"/>×<paramref name="columns"/>.</param>
    /// <param name="rows">Rows of <paramref name="x"/>.</param>
    /// <param name="columns">Columns of <paramref name="x"/>.</param>
    /// <param name="panelWidth">Panel width of <paramref name="x"/>.</param>
    /// <param name="y">Destination, row-major <paramref name="columns"/>×<paramref name="rows"/>.</param>
    /// <typeparam name="T">Element type.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransposePanels<T>(ReadOnlySpan<T> x, int rows, int columns, int panelWidth, Span<T> y)
        where T : unmanaged
    {
        Gemm.CheckPanels(x.Length, rows, columns, panelWidth, 0, columns, nameof(x));
        Gemm.CheckMatrix(y.Length, columns, rows, Math.Max(rows, 1), nameof(y));
        for (int start = 0; start < columns; start += panelWidth)
        {
            int width = Math.Min(panelWidth, columns - start);
            ReadOnlySpan<T> panel = x.Slice(start * rows, width * rows);
            Transpose(panel, rows, width, y.Slice(start * rows, width * rows));
        }
    }

    /// <summary>
    /// <c>y[c, r] ← x[r, first + c]</c> for <c>c</c> in <c>[0, count)</c>, with both <paramref name="x"/> and
    /// <paramref name="y"/> panel-major (see <see cref="Panels"/>) at the same panel width: the untransposed weight that
    /// backward products such as <c>∂L/∂h = ∂L/∂z · W</c> read through <see cref="Gemm.MultiplyAddPanels"/>. In that
    /// layout a 64-row slice of <c>W</c> is one contiguous block, where row-major rows of 512 bytes and more fall into
    /// few L1 sets and are evicted between row groups (measured on a Zen 3: that product 14–17% faster at hidden 128
    /// and 256).
    /// </summary>
    /// <param name="x">Panel-major <paramref name="rows"/>×<paramref name="columns"/>.</param>
    /// <param name="rows">Rows of <paramref name="x"/>, columns of <paramref name="y"/>.</param>
    /// <param name="columns">Columns of <paramref name="x"/>.</param>
    /// <param name="panelWidth">Panel width of <paramref name="x"/> and of <paramref name="y"/>.</param>
    /// <param name="first">First column of <paramref name="x"/> transposed.</param>
    /// <param name="count">Columns of <paramref name="x"/> transposed, rows of <paramref name="y"/>.</param>
    /// <param name="y">Destination, panel-major <paramref name="count"/>×<paramref name="rows"/>.</param>
    /// <typeparam name="T">Element type.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransposePanelsToPanels<T>(ReadOnlySpan<T> x, int rows, int columns, int panelWidth, int first, int count, Span<T> y)
        where T : unmanaged
    {
        Gemm.CheckPanels(x.Length, rows, columns, panelWidth, first, count, nameof(x));
        Gemm.CheckPanels(y.Length, count, rows, panelWidth, 0, rows, nameof(y));
        ref T source = ref MemoryMarshal.GetReference(x);
        ref T destination = ref MemoryMarshal.GetReference(y);

        // Source panels across the columns taken, destination panels across x's rows; each pair is one block.
        for (int column = first; column < first + count;)
        {
            int sourceStart = column / panelWidth * panelWidth;
            int sourceWidth = Math.Min(panelWidth, columns - sourceStart);
            int take = Math.Min(sourceStart + sourceWidth, first + count) - column;
            for (int rowStart = 0; rowStart < rows; rowStart += panelWidth)
            {
                int width = Math.Min(panelWidth, rows - rowStart);
                ref T from = ref Unsafe.Add(ref source, (sourceStart * rows) + (rowStart * sourceWidth) + (column - sourceStart));
                ref T to = ref Unsafe.Add(ref destination, (rowStart * count) + ((column - first) * width));
                TransposeBlock(ref from, sourceWidth, ref to, width, width, take);
            }

            column += take;
        }
    }

    /// <summary><c>to[c·toStride + r] ← from[r·fromStride + c]</c> for a <paramref name="rows"/>×<paramref name="columns"/> block.</summary>
    private static void TransposeBlock<T>(ref T from, nint fromStride, ref T to, nint toStride, int rows, int columns)
    {
        // Tiles keep both the rows read and the rows written in L1.
        const int Tile = 16;
        for (int r0 = 0; r0 < rows; r0 += Tile)
        {
            int rEnd = Math.Min(rows, r0 + Tile);
            for (int c0 = 0; c0 < columns; c0 += Tile)
            {
                int cEnd = Math.Min(columns, c0 + Tile);
                for (int r = r0; r < rEnd; r++)
                {
                    for (int c = c0; c < cEnd; c++)
                    {
                        Unsafe.Add(ref to, (c * toStride) + r) = Unsafe.Add(ref from, (r * fromStride) + c);
                    }
                }
            }
        }
    }

    /// <summary><c>x[r, :] ← table[tokens[r], :]</c>: an embedding lookup.</summary>
    /// <param name="table">Row-major <c>[vocabulary, width]</c>.</param>
    /// <param name="width">Columns of the table.</param>
    /// <param name="tokens">Row indices, each in <c>[0, vocabulary)</c>.</param>
    /// <param name="x">Receives <c>[tokens.Length, width]</c>, contiguous.</param>
    /// <typeparam name="T">Element type.</typeparam>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the table.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gather<T>(ReadOnlySpan<T> table, int width, ReadOnlySpan<int> tokens, Span<T> x)
        where T : unmanaged
    {
        int vocabulary = table.Length / width;
        CheckTokens(tokens, vocabulary);
        Gemm.CheckMatrix(x.Length, tokens.Length, width, width, nameof(x));
        for (int r = 0; r < tokens.Length; r++)
        {
            table.Slice(tokens[r] * width, width).CopyTo(x.Slice(r * width, width));
        }
    }

    /// <summary><c>table[tokens[r], :] += x[r, :]</c>: the gradient of <see cref="Gather{T}"/>, summed over repeated tokens.</summary>
    /// <param name="x">Rows <c>[tokens.Length, width]</c> with stride <paramref name="ldx"/>.</param>
    /// <param name="ldx">Row stride of <paramref name="x"/>.</param>
    /// <param name="tokens">Row indices, each in <c>[0, vocabulary)</c>.</param>
    /// <param name="table">Row-major <c>[vocabulary, width]</c>, added to.</param>
    /// <param name="width">Columns.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the table.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ScatterAdd<T>(ReadOnlySpan<T> x, int ldx, ReadOnlySpan<int> tokens, Span<T> table, int width)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int vocabulary = table.Length / width;
        CheckTokens(tokens, vocabulary);
        Gemm.CheckMatrix(x.Length, tokens.Length, width, ldx, nameof(x));
        ref T source = ref MemoryMarshal.GetReference(x);
        ref T destination = ref MemoryMarshal.GetReference(table);
        for (int r = 0; r < tokens.Length; r++)
        {
            ElementwiseDriver.MapInPlace<AddOperator<T>, T>(ref Unsafe.Add(ref source, r * ldx), ref Unsafe.Add(ref destination, tokens[r] * width), width);
        }
    }

    /// <summary>Throws unless every token lies in <c>[0, vocabulary)</c>.</summary>
    /// <param name="tokens">Token ids.</param>
    /// <param name="vocabulary">Number of tokens.</param>
    /// <exception cref="ArgumentOutOfRangeException">A token is outside the vocabulary; the message gives its position.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CheckTokens(ReadOnlySpan<int> tokens, int vocabulary)
    {
        for (int i = 0; i < tokens.Length; i++)
        {
            if ((uint)tokens[i] >= (uint)vocabulary)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), tokens[i], $"Token {i} is {tokens[i]}, but the vocabulary has ids 0 to {vocabulary - 1}.");
            }
        }
    }

    private static void CheckLength(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"'{name}' must have {expected} elements but has {actual}.", name);
        }
    }
}

/// <summary><c>x + y</c>.</summary>
internal readonly struct AddOperator<T> : IBinaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Invoke<TOps, TVector>(TVector x, TVector y)
        where TOps : ISimd<TVector, T>
        => TOps.Add(x, y);
}

/// <summary><c>x · y</c>.</summary>
internal readonly struct MultiplyOperator<T> : IBinaryOperator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVector Invoke<TOps, TVector>(TVector x, TVector y)
        where TOps : ISimd<TVector, T>
        => TOps.Multiply(x, y);
}
