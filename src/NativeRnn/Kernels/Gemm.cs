using System;
using System.ComponentModel;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeRnn.Kernels;

/// <summary>
/// Dense matrix products for row-major matrices with leading dimensions. The generated model code
/// calls these with sizes that are constants of the model.
/// </summary>
/// <remarks>
/// Every product accumulates: <c>C += A·B</c>. The caller zeroes or pre-fills <c>C</c> (with a bias,
/// for instance), which lets one call add the input projection and the next the recurrent one.
/// Register-blocked micro-kernels of 6 rows × 4 vectors (32 vector registers) or 6 rows × 2 vectors (16) run at the
/// widest accelerated width; the columns that remain fall to narrower widths and finally to scalar code.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class Gemm
{
    /// <summary>Rows of <c>A</c> per block, chosen so a block of <c>A</c> stays in L2 across column panels.</summary>
    private const int RowBlock = 64;

    /// <summary>
    /// Depth of the inner dimension per pass. B's slice for one 64-column block is then 16 KiB of float, half of
    /// the smallest L1d of the class (32 KiB), so each row group reads it from L1 rather than B from L2 or L3.
    /// Measured on a Zen 3 (512 KiB L2): 64 beat 32 and 128, and no slicing was 1.3–1.6× slower at hidden 256.
    /// A constant, not read from the machine: the slices are summed into C one after another, so the depth is part of
    /// the rounding, and a fixed depth keeps a training run bit for bit the same on every machine and vector width.
    /// </summary>
    private const int DepthBlock = 64;

    /// <summary>
    /// Columns of B per block: with <see cref="DepthBlock"/>, 16 KiB of float, which stays in L1 while every row group
    /// of a row block reads it (and the size of the copied block where B's rows are far apart). A multiple of every
    /// micro-kernel's width, so blocking the columns never changes which kernel computes an element.
    /// </summary>
    private const int ColumnBlock = 64;

    /// <summary>
    /// Row stride of B, in bytes, from which its slice is copied before use: half the distance at which addresses
    /// share an L1 set (<see cref="CacheGeometry.L1SetPeriodBytes"/>), where the 64 rows of a slice land in at most
    /// two groups of sets, 32 rows each, far more than an L1's 8–12 ways. That period is 4 KiB on the x64 cores of the
    /// class (so 2 KiB here), and larger on ARM64 cores with bigger, wider L1s. Measured on a Zen 5 at hidden 256 (the
    /// weight gradients' <c>dZ</c>, stride 4 KiB): 2.1× faster on the 256-bit path, 1.1× on the 512-bit one; at a stride
    /// of 1 KiB (a quarter of the period) the copy cost more than it saved. Copying never changes a result.
    /// </summary>
    private static readonly int PackStrideBytes = PackStrideFor(CacheGeometry.Current);

    /// <summary>Half the L2 of this machine, in bytes: the rows of A that <see cref="MultiplyAddPanels"/> takes per pass.</summary>
    private static readonly int L2HalfBytes = CacheGeometry.Current.L2Bytes / 2;

    /// <summary>The copy threshold for a machine with the caches of <paramref name="caches"/> (see <see cref="PackStrideBytes"/>).</summary>
    internal static int PackStrideFor(CacheGeometry caches) => Math.Max(1024, caches.L1SetPeriodBytes / 2);

    /// <summary>Rows of A from which copying B's slice pays: each copied block is then read by at least five row groups.</summary>
    private const int PackRows = 32;

    /// <summary>
    /// <c>C[m×n] += A[m×k] · B[k×n]</c>.
    /// </summary>
    /// <param name="m">Rows of <paramref name="a"/> and <paramref name="c"/>.</param>
    /// <param name="n">Columns of <paramref name="b"/> and <paramref name="c"/>.</param>
    /// <param name="k">Columns of <paramref name="a"/>, rows of <paramref name="b"/>.</param>
    /// <param name="a">Row-major <c>A</c>; row <c>i</c> starts at <c>i·lda</c>.</param>
    /// <param name="lda">Leading dimension of <paramref name="a"/> (at least <paramref name="k"/>).</param>
    /// <param name="b">Row-major <c>B</c>; row <c>p</c> starts at <c>p·ldb</c>.</param>
    /// <param name="ldb">Leading dimension of <paramref name="b"/> (at least <paramref name="n"/>).</param>
    /// <param name="c">Row-major <c>C</c>, accumulated into.</param>
    /// <param name="ldc">Leading dimension of <paramref name="c"/> (at least <paramref name="n"/>).</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension too small, or a span too short.</exception>
    public static void MultiplyAdd<T>(int m, int n, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckMatrix(a.Length, m, k, lda, nameof(a));
        CheckMatrix(b.Length, k, n, ldb, nameof(b));
        CheckMatrix(c.Length, m, n, ldc, nameof(c));
        if (m == 0 || n == 0 || k == 0)
        {
            return;
        }

        Run(m, n, k, ref MemoryMarshal.GetReference(a), lda, 1, ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), ldc);
    }

    /// <summary>
    /// <c>C[m×n] += Aᵀ · B</c> where <c>A</c> is stored as a row-major <c>[k×m]</c> matrix: the form of a
    /// weight gradient, <c>dWᵀ += Xᵀ · dZ</c>, summed over every row (time step and sequence) of <c>X</c>.
    /// </summary>
    /// <param name="m">Rows of <c>Aᵀ</c> and <paramref name="c"/> (columns of the stored <paramref name="a"/>).</param>
    /// <param name="n">Columns of <paramref name="b"/> and <paramref name="c"/>.</param>
    /// <param name="k">Rows of the stored <paramref name="a"/> and of <paramref name="b"/>.</param>
    /// <param name="a">Row-major <c>[k×m]</c>; row <c>p</c> starts at <c>p·lda</c>.</param>
    /// <param name="lda">Leading dimension of <paramref name="a"/> (at least <paramref name="m"/>).</param>
    /// <param name="b">Row-major <c>[k×n]</c>.</param>
    /// <param name="ldb">Leading dimension of <paramref name="b"/>.</param>
    /// <param name="c">Row-major <c>[m×n]</c>, accumulated into.</param>
    /// <param name="ldc">Leading dimension of <paramref name="c"/>.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension too small, or a span too short.</exception>
    public static void MultiplyAddTransposedA<T>(int m, int n, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckMatrix(a.Length, k, m, lda, nameof(a));
        CheckMatrix(b.Length, k, n, ldb, nameof(b));
        CheckMatrix(c.Length, m, n, ldc, nameof(c));
        if (m == 0 || n == 0 || k == 0)
        {
            return;
        }

        Run(m, n, k, ref MemoryMarshal.GetReference(a), 1, lda, ref MemoryMarshal.GetReference(b), ldb, ref MemoryMarshal.GetReference(c), ldc);
    }

    /// <summary>
    /// <c>C[m, count] += A[m×k] · B[:, start..start+count)</c> where <c>B</c> is a panel-major <c>[k, columns]</c>
    /// matrix (see <see cref="Panels"/>): the forward product with packed weights, or part of it.
    /// </summary>
    /// <param name="m">Rows of <paramref name="a"/> and <paramref name="c"/>.</param>
    /// <param name="k">Columns of <paramref name="a"/>, rows of <paramref name="b"/>.</param>
    /// <param name="a">Row-major <c>A</c>.</param>
    /// <param name="lda">Leading dimension of <paramref name="a"/>.</param>
    /// <param name="b">Panel-major <c>B</c>, <c>k × columns</c> elements.</param>
    /// <param name="columns">Columns of <paramref name="b"/>.</param>
    /// <param name="panelWidth">Panel width of <paramref name="b"/>.</param>
    /// <param name="start">First column of <paramref name="b"/> used.</param>
    /// <param name="count">Columns used (and columns of <paramref name="c"/>).</param>
    /// <param name="c">Row-major <c>C</c>, accumulated into.</param>
    /// <param name="ldc">Leading dimension of <paramref name="c"/>.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAddPanels<T>(int m, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int columns, int panelWidth, int start, int count, Span<T> c, int ldc)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckPanels(b.Length, k, columns, panelWidth, start, count, nameof(b));
        CheckMatrix(a.Length, m, k, lda, nameof(a));
        CheckMatrix(c.Length, m, count, ldc, nameof(c));
        if (m == 0 || count == 0 || k == 0)
        {
            return;
        }

        ref T a0 = ref MemoryMarshal.GetReference(a);
        ref T b0 = ref MemoryMarshal.GetReference(b);
        ref T c0 = ref MemoryMarshal.GetReference(c);
        // Rows of A in chunks that fit half the L2, each chunk across all the panels, so A (the chunk's inputs, up to
        // megabytes) is read from memory once rather than once per panel. Splitting rows never changes a result.
        int chunk = RowChunk<T>(k);
        for (int i = 0; i < m; i += chunk)
        {
            int rows = Math.Min(chunk, m - i);
            ref T ai = ref Unsafe.Add(ref a0, i * lda);
            ref T ci = ref Unsafe.Add(ref c0, i * ldc);
            for (int column = start; column < start + count;)
            {
                int panelStart = column / panelWidth * panelWidth;
                int width = Math.Min(panelWidth, columns - panelStart);
                int take = Math.Min(panelStart + width, start + count) - column;
                ref T panel = ref Unsafe.Add(ref b0, (panelStart * k) + (column - panelStart));
                Run(rows, take, k, ref ai, lda, 1, ref panel, width, ref Unsafe.Add(ref ci, column - start), ldc);
                column += take;
            }
        }
    }

    /// <summary>
    /// <c>C[:, start..start+count) += Aᵀ · B</c> where <c>C</c> is a panel-major <c>[m, columns]</c> matrix and
    /// <c>A</c> is stored <c>[k×m]</c>: the weight gradient <c>dWᵀ += Xᵀ · dZ</c> in the packed layout.
    /// </summary>
    /// <param name="m">Columns of the stored <paramref name="a"/>, rows of <paramref name="c"/>.</param>
    /// <param name="k">Rows of the stored <paramref name="a"/> and of <paramref name="b"/>.</param>
    /// <param name="a">Row-major <c>[k×m]</c>.</param>
    /// <param name="lda">Leading dimension of <paramref name="a"/>.</param>
    /// <param name="b">Row-major <c>[k×count]</c>.</param>
    /// <param name="ldb">Leading dimension of <paramref name="b"/>.</param>
    /// <param name="c">Panel-major <c>C</c>, <c>m × columns</c> elements, accumulated into.</param>
    /// <param name="columns">Columns of <paramref name="c"/>.</param>
    /// <param name="panelWidth">Panel width of <paramref name="c"/>.</param>
    /// <param name="start">First column of <paramref name="c"/> written.</param>
    /// <param name="count">Columns written (and columns of <paramref name="b"/>).</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAddTransposedAPanels<T>(int m, int k, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int columns, int panelWidth, int start, int count)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckPanels(c.Length, m, columns, panelWidth, start, count, nameof(c));
        CheckMatrix(a.Length, k, m, lda, nameof(a));
        CheckMatrix(b.Length, k, count, ldb, nameof(b));
        if (m == 0 || count == 0 || k == 0)
        {
            return;
        }

        ref T a0 = ref MemoryMarshal.GetReference(a);
        ref T b0 = ref MemoryMarshal.GetReference(b);
        ref T c0 = ref MemoryMarshal.GetReference(c);
        // One slice of the inner dimension at a time across all the panels, rather than each panel over the whole
        // depth: the stored A (k × m, the layer's inputs or states over the whole batch, megabytes) is then read
        // from memory once instead of once per panel, while C (the gradient, all panels) stays in L2. Slices of
        // DepthBlock are those Run takes anyway, so the rounding is unchanged. Zen 3: the weight gradients
        // 3–13% faster at hidden 64–256.
        for (int p = 0; p < k; p += DepthBlock)
        {
            int depth = Math.Min(DepthBlock, k - p);
            ref T ap = ref Unsafe.Add(ref a0, p * lda);
            ref T bp = ref Unsafe.Add(ref b0, p * ldb);
            for (int column = start; column < start + count;)
            {
                int panelStart = column / panelWidth * panelWidth;
                int width = Math.Min(panelWidth, columns - panelStart);
                int take = Math.Min(panelStart + width, start + count) - column;
                ref T panel = ref Unsafe.Add(ref c0, (panelStart * m) + (column - panelStart));
                Run(m, take, depth, ref ap, 1, lda, ref Unsafe.Add(ref bp, column - start), ldb, ref panel, width);
                column += take;
            }
        }
    }

    /// <summary>Rows of A per pass over B's panels: as many as keep those rows in half the L2 (a multiple of <see cref="RowBlock"/>).</summary>
    private static int RowChunk<T>(int k) => Math.Max(RowBlock, L2HalfBytes / Math.Max(1, k * Unsafe.SizeOf<T>()) / RowBlock * RowBlock);

    /// <summary>Throws unless a span of <paramref name="length"/> holds a panel-major matrix and the column range lies inside it.</summary>
    internal static void CheckPanels(int length, int rows, int columns, int panelWidth, int start, int count, string name)
    {
        Panels.CheckWidth(panelWidth);
        if (rows < 0 || columns < 0 || length != (long)rows * columns)
        {
            throw new ArgumentException($"Panel matrix '{name}' ({rows}×{columns}) needs {(long)rows * columns} elements but the span has {length}.", name);
        }

        if (start < 0 || count < 0 || start + count > columns)
        {
            throw new ArgumentException($"Columns {start} to {start + count} are outside panel matrix '{name}' of {columns} columns.", name);
        }
    }

    /// <summary>Throws unless a span of <paramref name="length"/> holds a <paramref name="rows"/>×<paramref name="columns"/> matrix with leading dimension <paramref name="leading"/>.</summary>
    internal static void CheckMatrix(int length, int rows, int columns, int leading, string name)
    {
        if (rows < 0 || columns < 0)
        {
            throw new ArgumentException($"Matrix '{name}' has a negative size ({rows}×{columns}).", name);
        }

        if (leading < columns || leading < 1)
        {
            throw new ArgumentException($"Matrix '{name}' has leading dimension {leading}, less than its {columns} columns.", name);
        }

        long needed = rows == 0 || columns == 0 ? 0 : ((long)(rows - 1) * leading) + columns;
        if (length < needed)
        {
            throw new ArgumentException(
                $"Matrix '{name}' ({rows}×{columns}, leading dimension {leading}) needs {needed} elements but the span has {length}.", name);
        }
    }

    /// <summary>
    /// <c>C += A·B</c> with <c>A(i, p) = a[i·rowStrideA + p·columnStrideA]</c>; sizes already checked.
    /// </summary>
    private static void Run<T>(int m, int n, int k, ref T a, nint rowStrideA, nint columnStrideA, ref T b, nint ldb, ref T c, nint ldc)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        if (m >= PackRows && ldb * Unsafe.SizeOf<T>() >= PackStrideBytes)
        {
            RunPacked(m, n, k, ref a, rowStrideA, columnStrideA, ref b, ldb, ref c, ldc);
            return;
        }

        // Slices of the inner dimension, so that every row group reads B's slice from cache instead of the whole
        // of B from memory (the weight gradients sum over thousands of rows).
        for (int p = 0; p < k; p += DepthBlock)
        {
            int depth = Math.Min(DepthBlock, k - p);
            RunSlice(m, n, depth, ref Unsafe.Add(ref a, p * columnStrideA), rowStrideA, columnStrideA, ref Unsafe.Add(ref b, p * ldb), ldb, ref c, ldc);
        }
    }

    /// <summary>
    /// <see cref="Run"/> with B's slice copied, block by block, into a contiguous buffer on the stack (see
    /// <see cref="PackStrideBytes"/>): every row group then reads the block from L1.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RunPacked<T>(int m, int n, int k, ref T a, nint rowStrideA, nint columnStrideA, ref T b, nint ldb, ref T c, nint ldc)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        Span<T> buffer = stackalloc T[DepthBlock * ColumnBlock];
        ref T packed = ref MemoryMarshal.GetReference(buffer);
        for (int p = 0; p < k; p += DepthBlock)
        {
            int depth = Math.Min(DepthBlock, k - p);
            ref T slice = ref Unsafe.Add(ref b, p * ldb);
            for (int j = 0; j < n; j += ColumnBlock)
            {
                int columns = Math.Min(ColumnBlock, n - j);
                for (int q = 0; q < depth; q++)
                {
                    Copy(ref Unsafe.Add(ref slice, (q * ldb) + j), ref Unsafe.Add(ref packed, q * columns), columns);
                }

                RunSlice(m, columns, depth, ref Unsafe.Add(ref a, p * columnStrideA), rowStrideA, columnStrideA, ref packed, columns, ref Unsafe.Add(ref c, j), ldc);
            }
        }
    }

    /// <summary>
    /// Copies <paramref name="count"/> contiguous elements (a few hundred bytes: inline vector moves, not a call).
    /// <see cref="Rows.Copy"/> does the same with a memmove per row, which measured 3–14% slower in the copied
    /// weight-gradient products on the 256-bit path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy<T>(ref T source, ref T destination, int count)
        where T : unmanaged
    {
        ref byte from = ref Unsafe.As<T, byte>(ref source);
        ref byte to = ref Unsafe.As<T, byte>(ref destination);
        nint bytes = (nint)count * Unsafe.SizeOf<T>();
        nint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 64 <= bytes; i += 64)
            {
                Vector256<byte> v0 = Vector256.LoadUnsafe(ref from, (nuint)i);
                Vector256<byte> v1 = Vector256.LoadUnsafe(ref from, (nuint)(i + 32));
                v0.StoreUnsafe(ref to, (nuint)i);
                v1.StoreUnsafe(ref to, (nuint)(i + 32));
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 16 <= bytes; i += 16)
            {
                Vector128.LoadUnsafe(ref from, (nuint)i).StoreUnsafe(ref to, (nuint)i);
            }
        }

        for (; i < bytes; i++)
        {
            Unsafe.Add(ref to, i) = Unsafe.Add(ref from, i);
        }
    }

    /// <summary><see cref="Run"/> over one slice of the inner dimension.</summary>
    private static void RunSlice<T>(int m, int n, int k, ref T a, nint rowStrideA, nint columnStrideA, ref T b, nint ldb, ref T c, nint ldc)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int j = 0;
        if (Simd512<T>.IsAccelerated)
        {
            j = Columns<Simd512<T>, Vector512<T>, T>(j, m, n, k, ref a, rowStrideA, columnStrideA, ref b, ldb, ref c, ldc);
        }

        if (Simd256<T>.IsAccelerated && j + Vector256<T>.Count <= n)
        {
            j = Columns<Simd256<T>, Vector256<T>, T>(j, m, n, k, ref a, rowStrideA, columnStrideA, ref b, ldb, ref c, ldc);
        }

        if (Simd128<T>.IsAccelerated && j + Vector128<T>.Count <= n)
        {
            j = Columns<Simd128<T>, Vector128<T>, T>(j, m, n, k, ref a, rowStrideA, columnStrideA, ref b, ldb, ref c, ldc);
        }

        if (j < n)
        {
            Columns<SimdScalar<T>, T, T>(j, m, n, k, ref a, rowStrideA, columnStrideA, ref b, ldb, ref c, ldc);
        }
    }

    /// <summary>Computes columns <c>[firstColumn, end)</c> where <c>end</c> is the last whole vector; returns <c>end</c>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static int Columns<TOps, TVector, T>(int firstColumn, int m, int n, int k, ref T a, nint rowStrideA, nint columnStrideA, ref T b, nint ldb, ref T c, nint ldc)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        int width = TOps.Count;
        int end = firstColumn + ((n - firstColumn) / width * width);
        if (end == firstColumn)
        {
            return firstColumn;
        }

        // Six rows at a time. With 32 vector registers (AVX-512), six rows × four vectors: 24 accumulators, 10 loads
        // per 24 FMAs. With 16 (AVX2, SSE; and the 128-bit and scalar paths generally), six rows × two vectors:
        // 12 accumulators, enough independent chains to cover two FMA pipes of 4-cycle latency (4 × 2 had 8, exactly
        // the minimum), and 8 loads per 12 FMAs instead of 6 per 8.
        bool wide = Unsafe.SizeOf<TVector>() == 64;
        int sixRowWidth = (wide ? 4 : 2) * width;
        for (int i0 = 0; i0 < m; i0 += RowBlock)
        {
            int rowEnd = Math.Min(m, i0 + RowBlock);

            // Column blocks outside the row groups: each block of B's slice (DepthBlock × ColumnBlock) is read from
            // L2 once per row block and then from L1 by every row group, rather than streamed whole by each group.
            for (int jc = firstColumn; jc < end; jc += ColumnBlock)
            {
                int je = Math.Min(end, jc + ColumnBlock);
                int sixRowEnd = i0 + ((rowEnd - i0) / 6 * 6);
                for (int i = i0; i < sixRowEnd; i += 6)
                {
                    ref T ai = ref Unsafe.Add(ref a, i * rowStrideA);
                    ref T ci = ref Unsafe.Add(ref c, i * ldc);
                    int j = jc;
                    for (; j + sixRowWidth <= je; j += sixRowWidth)
                    {
                        if (wide)
                        {
                            Block6x4<TOps, TVector, T>(k, ref ai, rowStrideA, columnStrideA, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref ci, j), ldc);
                        }
                        else
                        {
                            Block6x2<TOps, TVector, T>(k, ref ai, rowStrideA, columnStrideA, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref ci, j), ldc);
                        }
                    }

                    if (j < je)
                    {
                        // The last columns of these six rows, one vector at a time with six chains (a single column when
                        // the scalar path finishes a row whose width is no multiple of four, such as a 65-word head):
                        // four rows and two single rows measured 5–10% slower on such products on a Zen 3.
                        for (int jj = j; jj < je; jj += width)
                        {
                            Block6x1<TOps, TVector, T>(k, ref ai, rowStrideA, columnStrideA, ref Unsafe.Add(ref b, jj), ldb, ref Unsafe.Add(ref ci, jj), ldc);
                        }
                    }
                }

                int rowStart = sixRowEnd;
                int fourRowEnd = rowStart + ((rowEnd - rowStart) / 4 * 4);

                // Four rows at a time: 4×2 and 4×1 vector blocks.
                for (int i = rowStart; i < fourRowEnd; i += 4)
                {
                    ref T ai = ref Unsafe.Add(ref a, i * rowStrideA);
                    ref T ci = ref Unsafe.Add(ref c, i * ldc);
                    int j = jc;
                    for (; j + (2 * width) <= je; j += 2 * width)
                    {
                        Block4x2<TOps, TVector, T>(k, ref ai, rowStrideA, columnStrideA, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref ci, j), ldc);
                    }

                    for (; j < je; j += width)
                    {
                        Block4x1<TOps, TVector, T>(k, ref ai, rowStrideA, columnStrideA, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref ci, j), ldc);
                    }
                }

                // Two remaining rows together: eight chains share each load of B (the recurrent products have 32 rows,
                // five groups of six and two left over).
                int pairEnd = fourRowEnd + ((rowEnd - fourRowEnd) / 2 * 2);
                for (int i = fourRowEnd; i < pairEnd; i += 2)
                {
                    ref T ai = ref Unsafe.Add(ref a, i * rowStrideA);
                    ref T ci = ref Unsafe.Add(ref c, i * ldc);
                    int j = jc;
                    for (; j + (4 * width) <= je; j += 4 * width)
                    {
                        Block2x4<TOps, TVector, T>(k, ref ai, rowStrideA, columnStrideA, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref ci, j), ldc);
                    }

                    for (; j < je; j += width)
                    {
                        Block1x1<TOps, TVector, T>(k, ref ai, columnStrideA, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref ci, j));
                        Block1x1<TOps, TVector, T>(k, ref Unsafe.Add(ref ai, rowStrideA), columnStrideA, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref ci, j + ldc));
                    }
                }

                // The last row alone, with four vectors in flight to hide the FMA latency.
                for (int i = pairEnd; i < rowEnd; i++)
                {
                    ref T ai = ref Unsafe.Add(ref a, i * rowStrideA);
                    ref T ci = ref Unsafe.Add(ref c, i * ldc);
                    int j = jc;
                    for (; j + (4 * width) <= je; j += 4 * width)
                    {
                        Block1x4<TOps, TVector, T>(k, ref ai, columnStrideA, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref ci, j));
                    }

                    for (; j < je; j += width)
                    {
                        Block1x1<TOps, TVector, T>(k, ref ai, columnStrideA, ref Unsafe.Add(ref b, j), ldb, ref Unsafe.Add(ref ci, j));
                    }
                }
            }
        }

        return end;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block6x4<TOps, TVector, T>(int k, ref T a, nint rowStrideA, nint columnStrideA, ref T b, nint ldb, ref T c, nint ldc)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        nint w = TOps.Count;
        PrefetchRows(ref c, ldc, 6, 4 * w);

        TVector c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVector c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TVector c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        TVector c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        TVector c40 = TOps.Zero, c41 = TOps.Zero, c42 = TOps.Zero, c43 = TOps.Zero;
        TVector c50 = TOps.Zero, c51 = TOps.Zero, c52 = TOps.Zero, c53 = TOps.Zero;
        nint offsetA = 0;
        for (int p = 0; p < k; p++)
        {
            TVector b0 = TOps.Load(ref b);
            TVector b1 = TOps.Load(ref Unsafe.Add(ref b, w));
            TVector b2 = TOps.Load(ref Unsafe.Add(ref b, 2 * w));
            TVector b3 = TOps.Load(ref Unsafe.Add(ref b, 3 * w));
            ref T ap = ref Unsafe.Add(ref a, offsetA);
            TVector x = TOps.Broadcast(ap);
            c00 = TOps.MultiplyAdd(x, b0, c00);
            c01 = TOps.MultiplyAdd(x, b1, c01);
            c02 = TOps.MultiplyAdd(x, b2, c02);
            c03 = TOps.MultiplyAdd(x, b3, c03);
            x = TOps.Broadcast(Unsafe.Add(ref ap, rowStrideA));
            c10 = TOps.MultiplyAdd(x, b0, c10);
            c11 = TOps.MultiplyAdd(x, b1, c11);
            c12 = TOps.MultiplyAdd(x, b2, c12);
            c13 = TOps.MultiplyAdd(x, b3, c13);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 2 * rowStrideA));
            c20 = TOps.MultiplyAdd(x, b0, c20);
            c21 = TOps.MultiplyAdd(x, b1, c21);
            c22 = TOps.MultiplyAdd(x, b2, c22);
            c23 = TOps.MultiplyAdd(x, b3, c23);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 3 * rowStrideA));
            c30 = TOps.MultiplyAdd(x, b0, c30);
            c31 = TOps.MultiplyAdd(x, b1, c31);
            c32 = TOps.MultiplyAdd(x, b2, c32);
            c33 = TOps.MultiplyAdd(x, b3, c33);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 4 * rowStrideA));
            c40 = TOps.MultiplyAdd(x, b0, c40);
            c41 = TOps.MultiplyAdd(x, b1, c41);
            c42 = TOps.MultiplyAdd(x, b2, c42);
            c43 = TOps.MultiplyAdd(x, b3, c43);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 5 * rowStrideA));
            c50 = TOps.MultiplyAdd(x, b0, c50);
            c51 = TOps.MultiplyAdd(x, b1, c51);
            c52 = TOps.MultiplyAdd(x, b2, c52);
            c53 = TOps.MultiplyAdd(x, b3, c53);
            offsetA += columnStrideA;
            b = ref Unsafe.Add(ref b, ldb);
        }

        AddRow4<TOps, TVector, T>(ref c, w, c00, c01, c02, c03);
        AddRow4<TOps, TVector, T>(ref Unsafe.Add(ref c, ldc), w, c10, c11, c12, c13);
        AddRow4<TOps, TVector, T>(ref Unsafe.Add(ref c, 2 * ldc), w, c20, c21, c22, c23);
        AddRow4<TOps, TVector, T>(ref Unsafe.Add(ref c, 3 * ldc), w, c30, c31, c32, c33);
        AddRow4<TOps, TVector, T>(ref Unsafe.Add(ref c, 4 * ldc), w, c40, c41, c42, c43);
        AddRow4<TOps, TVector, T>(ref Unsafe.Add(ref c, 5 * ldc), w, c50, c51, c52, c53);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block6x2<TOps, TVector, T>(int k, ref T a, nint rowStrideA, nint columnStrideA, ref T b, nint ldb, ref T c, nint ldc)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        nint w = TOps.Count;
        PrefetchRows(ref c, ldc, 6, 2 * w);

        TVector c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero, c20 = TOps.Zero, c21 = TOps.Zero;
        TVector c30 = TOps.Zero, c31 = TOps.Zero, c40 = TOps.Zero, c41 = TOps.Zero, c50 = TOps.Zero, c51 = TOps.Zero;
        nint offsetA = 0;
        for (int p = 0; p < k; p++)
        {
            TVector b0 = TOps.Load(ref b);
            TVector b1 = TOps.Load(ref Unsafe.Add(ref b, w));
            ref T ap = ref Unsafe.Add(ref a, offsetA);
            TVector x = TOps.Broadcast(ap);
            c00 = TOps.MultiplyAdd(x, b0, c00);
            c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(Unsafe.Add(ref ap, rowStrideA));
            c10 = TOps.MultiplyAdd(x, b0, c10);
            c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 2 * rowStrideA));
            c20 = TOps.MultiplyAdd(x, b0, c20);
            c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 3 * rowStrideA));
            c30 = TOps.MultiplyAdd(x, b0, c30);
            c31 = TOps.MultiplyAdd(x, b1, c31);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 4 * rowStrideA));
            c40 = TOps.MultiplyAdd(x, b0, c40);
            c41 = TOps.MultiplyAdd(x, b1, c41);
            x = TOps.Broadcast(Unsafe.Add(ref ap, 5 * rowStrideA));
            c50 = TOps.MultiplyAdd(x, b0, c50);
            c51 = TOps.MultiplyAdd(x, b1, c51);
            offsetA += columnStrideA;
            b = ref Unsafe.Add(ref b, ldb);
        }

        AddRow2<TOps, TVector, T>(ref c, w, c00, c01);
        AddRow2<TOps, TVector, T>(ref Unsafe.Add(ref c, ldc), w, c10, c11);
        AddRow2<TOps, TVector, T>(ref Unsafe.Add(ref c, 2 * ldc), w, c20, c21);
        AddRow2<TOps, TVector, T>(ref Unsafe.Add(ref c, 3 * ldc), w, c30, c31);
        AddRow2<TOps, TVector, T>(ref Unsafe.Add(ref c, 4 * ldc), w, c40, c41);
        AddRow2<TOps, TVector, T>(ref Unsafe.Add(ref c, 5 * ldc), w, c50, c51);
    }

    /// <summary>
    /// Asks for the cache lines of the block of C that the micro-kernel adds into at its end, so that they arrive while
    /// it computes: the input projection writes a C of 4 MiB and more (the chunk's pre-activations), whose lines
    /// otherwise come from L3 one block at a time, after the loop, with nothing left to overlap them. Measured on a
    /// Zen 3: that product (2048 × 512 × 64) 15% faster; no change where C is already in L1. A hint only: x64 has the
    /// instruction, and .NET exposes none for ARM64.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void PrefetchRows<T>(ref T c, nint ldc, int rows, nint count)
    {
        if (Sse.IsSupported)
        {
            for (int r = 0; r < rows; r++)
            {
                byte* row = (byte*)Unsafe.AsPointer(ref Unsafe.Add(ref c, r * ldc));
                byte* last = row + ((count * Unsafe.SizeOf<T>()) - 1);
                for (byte* line = row; line < last; line += 64)
                {
                    Sse.Prefetch0(line);
                }

                Sse.Prefetch0(last);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow2<TOps, TVector, T>(ref T c, nint w, TVector v0, TVector v1)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        AddTo<TOps, TVector, T>(v0, ref c);
        AddTo<TOps, TVector, T>(v1, ref Unsafe.Add(ref c, w));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow4<TOps, TVector, T>(ref T c, nint w, TVector v0, TVector v1, TVector v2, TVector v3)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        AddTo<TOps, TVector, T>(v0, ref c);
        AddTo<TOps, TVector, T>(v1, ref Unsafe.Add(ref c, w));
        AddTo<TOps, TVector, T>(v2, ref Unsafe.Add(ref c, 2 * w));
        AddTo<TOps, TVector, T>(v3, ref Unsafe.Add(ref c, 3 * w));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x2<TOps, TVector, T>(int k, ref T a, nint rowStrideA, nint columnStrideA, ref T b, nint ldb, ref T c, nint ldc)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        nint width = TOps.Count;
        ref T a1 = ref Unsafe.Add(ref a, rowStrideA);
        ref T a2 = ref Unsafe.Add(ref a, 2 * rowStrideA);
        ref T a3 = ref Unsafe.Add(ref a, 3 * rowStrideA);
        TVector c00 = TOps.Zero, c01 = TOps.Zero, c10 = TOps.Zero, c11 = TOps.Zero;
        TVector c20 = TOps.Zero, c21 = TOps.Zero, c30 = TOps.Zero, c31 = TOps.Zero;
        nint offsetA = 0;
        for (int p = 0; p < k; p++)
        {
            TVector b0 = TOps.Load(ref b);
            TVector b1 = TOps.Load(ref Unsafe.Add(ref b, width));
            TVector x = TOps.Broadcast(Unsafe.Add(ref a, offsetA));
            c00 = TOps.MultiplyAdd(x, b0, c00);
            c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(Unsafe.Add(ref a1, offsetA));
            c10 = TOps.MultiplyAdd(x, b0, c10);
            c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(Unsafe.Add(ref a2, offsetA));
            c20 = TOps.MultiplyAdd(x, b0, c20);
            c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(Unsafe.Add(ref a3, offsetA));
            c30 = TOps.MultiplyAdd(x, b0, c30);
            c31 = TOps.MultiplyAdd(x, b1, c31);
            offsetA += columnStrideA;
            b = ref Unsafe.Add(ref b, ldb);
        }

        AddTo<TOps, TVector, T>(c00, ref c);
        AddTo<TOps, TVector, T>(c01, ref Unsafe.Add(ref c, width));
        ref T c1 = ref Unsafe.Add(ref c, ldc);
        AddTo<TOps, TVector, T>(c10, ref c1);
        AddTo<TOps, TVector, T>(c11, ref Unsafe.Add(ref c1, width));
        ref T c2 = ref Unsafe.Add(ref c, 2 * ldc);
        AddTo<TOps, TVector, T>(c20, ref c2);
        AddTo<TOps, TVector, T>(c21, ref Unsafe.Add(ref c2, width));
        ref T c3 = ref Unsafe.Add(ref c, 3 * ldc);
        AddTo<TOps, TVector, T>(c30, ref c3);
        AddTo<TOps, TVector, T>(c31, ref Unsafe.Add(ref c3, width));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block6x1<TOps, TVector, T>(int k, ref T a, nint rowStrideA, nint columnStrideA, ref T b, nint ldb, ref T c, nint ldc)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        ref T a3 = ref Unsafe.Add(ref a, 3 * rowStrideA);
        TVector c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero, c4 = TOps.Zero, c5 = TOps.Zero;
        nint offsetA = 0;
        for (int p = 0; p < k; p++)
        {
            TVector b0 = TOps.Load(ref b);
            ref T ap = ref Unsafe.Add(ref a, offsetA);
            ref T ap3 = ref Unsafe.Add(ref a3, offsetA);
            c0 = TOps.MultiplyAdd(TOps.Broadcast(ap), b0, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref ap, rowStrideA)), b0, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref ap, 2 * rowStrideA)), b0, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(ap3), b0, c3);
            c4 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref ap3, rowStrideA)), b0, c4);
            c5 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref ap3, 2 * rowStrideA)), b0, c5);
            offsetA += columnStrideA;
            b = ref Unsafe.Add(ref b, ldb);
        }

        AddTo<TOps, TVector, T>(c0, ref c);
        AddTo<TOps, TVector, T>(c1, ref Unsafe.Add(ref c, ldc));
        AddTo<TOps, TVector, T>(c2, ref Unsafe.Add(ref c, 2 * ldc));
        AddTo<TOps, TVector, T>(c3, ref Unsafe.Add(ref c, 3 * ldc));
        AddTo<TOps, TVector, T>(c4, ref Unsafe.Add(ref c, 4 * ldc));
        AddTo<TOps, TVector, T>(c5, ref Unsafe.Add(ref c, 5 * ldc));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x1<TOps, TVector, T>(int k, ref T a, nint rowStrideA, nint columnStrideA, ref T b, nint ldb, ref T c, nint ldc)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        ref T a1 = ref Unsafe.Add(ref a, rowStrideA);
        ref T a2 = ref Unsafe.Add(ref a, 2 * rowStrideA);
        ref T a3 = ref Unsafe.Add(ref a, 3 * rowStrideA);
        TVector c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        nint offsetA = 0;
        for (int p = 0; p < k; p++)
        {
            TVector b0 = TOps.Load(ref b);
            c0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, offsetA)), b0, c0);
            c1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a1, offsetA)), b0, c1);
            c2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a2, offsetA)), b0, c2);
            c3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a3, offsetA)), b0, c3);
            offsetA += columnStrideA;
            b = ref Unsafe.Add(ref b, ldb);
        }

        AddTo<TOps, TVector, T>(c0, ref c);
        AddTo<TOps, TVector, T>(c1, ref Unsafe.Add(ref c, ldc));
        AddTo<TOps, TVector, T>(c2, ref Unsafe.Add(ref c, 2 * ldc));
        AddTo<TOps, TVector, T>(c3, ref Unsafe.Add(ref c, 3 * ldc));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block2x4<TOps, TVector, T>(int k, ref T a, nint rowStrideA, nint columnStrideA, ref T b, nint ldb, ref T c, nint ldc)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        nint w = TOps.Count;
        ref T a1 = ref Unsafe.Add(ref a, rowStrideA);
        TVector c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVector c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        nint offsetA = 0;
        for (int p = 0; p < k; p++)
        {
            TVector b0 = TOps.Load(ref b);
            TVector b1 = TOps.Load(ref Unsafe.Add(ref b, w));
            TVector b2 = TOps.Load(ref Unsafe.Add(ref b, 2 * w));
            TVector b3 = TOps.Load(ref Unsafe.Add(ref b, 3 * w));
            TVector x = TOps.Broadcast(Unsafe.Add(ref a, offsetA));
            c00 = TOps.MultiplyAdd(x, b0, c00);
            c01 = TOps.MultiplyAdd(x, b1, c01);
            c02 = TOps.MultiplyAdd(x, b2, c02);
            c03 = TOps.MultiplyAdd(x, b3, c03);
            x = TOps.Broadcast(Unsafe.Add(ref a1, offsetA));
            c10 = TOps.MultiplyAdd(x, b0, c10);
            c11 = TOps.MultiplyAdd(x, b1, c11);
            c12 = TOps.MultiplyAdd(x, b2, c12);
            c13 = TOps.MultiplyAdd(x, b3, c13);
            offsetA += columnStrideA;
            b = ref Unsafe.Add(ref b, ldb);
        }

        AddRow4<TOps, TVector, T>(ref c, w, c00, c01, c02, c03);
        AddRow4<TOps, TVector, T>(ref Unsafe.Add(ref c, ldc), w, c10, c11, c12, c13);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1x4<TOps, TVector, T>(int k, ref T a, nint columnStrideA, ref T b, nint ldb, ref T c)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        nint width = TOps.Count;
        TVector c0 = TOps.Zero, c1 = TOps.Zero, c2 = TOps.Zero, c3 = TOps.Zero;
        nint offsetA = 0;
        for (int p = 0; p < k; p++)
        {
            TVector x = TOps.Broadcast(Unsafe.Add(ref a, offsetA));
            c0 = TOps.MultiplyAdd(x, TOps.Load(ref b), c0);
            c1 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref b, width)), c1);
            c2 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref b, 2 * width)), c2);
            c3 = TOps.MultiplyAdd(x, TOps.Load(ref Unsafe.Add(ref b, 3 * width)), c3);
            offsetA += columnStrideA;
            b = ref Unsafe.Add(ref b, ldb);
        }

        AddTo<TOps, TVector, T>(c0, ref c);
        AddTo<TOps, TVector, T>(c1, ref Unsafe.Add(ref c, width));
        AddTo<TOps, TVector, T>(c2, ref Unsafe.Add(ref c, 2 * width));
        AddTo<TOps, TVector, T>(c3, ref Unsafe.Add(ref c, 3 * width));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1x1<TOps, TVector, T>(int k, ref T a, nint columnStrideA, ref T b, nint ldb, ref T c)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
    {
        TVector c0 = TOps.Zero;
        nint offsetA = 0;
        for (int p = 0; p < k; p++)
        {
            c0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref a, offsetA)), TOps.Load(ref b), c0);
            offsetA += columnStrideA;
            b = ref Unsafe.Add(ref b, ldb);
        }

        AddTo<TOps, TVector, T>(c0, ref c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTo<TOps, TVector, T>(TVector value, ref T destination)
        where TOps : ISimd<TVector, T>
        where T : unmanaged
        => TOps.Store(TOps.Add(TOps.Load(ref destination), value), ref destination);
}
