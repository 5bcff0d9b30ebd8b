using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeRnn;

/// <summary>How a tensor's elements are arranged inside the packed parameter block.</summary>
public enum TensorStorage
{
    /// <summary>As PyTorch stores it: row-major in the tensor's own shape.</summary>
    RowMajor,

    /// <summary>
    /// A <c>[rows, columns]</c> weight kept as its <c>[columns, rows]</c> transpose, so that each input
    /// value is broadcast into multiply-adds over contiguous outputs.
    /// </summary>
    Transposed,

    /// <summary>
    /// The transpose, cut into column panels of <see cref="TensorInfo.PanelWidth"/> elements stored one after
    /// the other (see <see cref="Kernels.Panels"/>), so products stream the weights in address order.
    /// </summary>
    Panels,
}

/// <summary>What a tensor does in the model; it decides how the tensor is initialised.</summary>
public enum TensorRole
{
    /// <summary><c>weight_ih</c>: input to gates. Glorot uniform per gate block.</summary>
    InputWeight,

    /// <summary><c>weight_hh</c>: hidden state to gates. Orthogonal per gate block.</summary>
    RecurrentWeight,

    /// <summary><c>bias_ih</c>. Zero (an LSTM's forget-gate block: one).</summary>
    InputBias,

    /// <summary><c>bias_hh</c>. Zero.</summary>
    RecurrentBias,

    /// <summary><c>embedding.weight</c>: one row per token. Standard normal, as PyTorch.</summary>
    EmbeddingWeight,

    /// <summary><c>head.weight</c>: the dense output layer. Glorot uniform.</summary>
    HeadWeight,

    /// <summary><c>head.bias</c>. Zero.</summary>
    HeadBias,
}

/// <summary>
/// One named tensor of a model's parameter block: its PyTorch name and shape, where it lives in
/// the block and how it is stored there. <see cref="Import{T}(Span{T}, ReadOnlySpan{T})"/> and <see cref="Export{T}"/> convert
/// between PyTorch's row-major layout and the packed one, for parameters and gradients alike.
/// </summary>
public sealed class TensorInfo
{
    private readonly int[] _shape;

    /// <summary>Describes a tensor.</summary>
    /// <param name="name">PyTorch <c>state_dict</c> name, e.g. <c>weight_ih_l0</c>.</param>
    /// <param name="role">What the tensor does; decides its initialisation.</param>
    /// <param name="offset">First element in the parameter block.</param>
    /// <param name="shape">PyTorch shape: <c>[n]</c> or <c>[rows, columns]</c>.</param>
    /// <param name="storage">Arrangement inside the block.</param>
    /// <param name="gates">Gate blocks stacked along the rows (1 RNN, 3 GRU, 4 LSTM; 1 otherwise).</param>
    /// <param name="onesBlock">A gate block of a bias initialised to <paramref name="onesValue"/> (an LSTM's forget gate), or −1.</param>
    /// <param name="panelWidth">For <see cref="TensorStorage.Panels"/>: the panel width in elements.</param>
    /// <param name="initializer">How a weight starts, as declared; <see cref="WeightInitializer.Default"/> for the role's standard.</param>
    /// <param name="onesValue">The start of the <paramref name="onesBlock"/> block (1 unless declared otherwise).</param>
    /// <exception cref="ArgumentException">The description is inconsistent.</exception>
    public TensorInfo(string name, TensorRole role, int offset, int[] shape, TensorStorage storage = TensorStorage.RowMajor, int gates = 1, int onesBlock = -1, int panelWidth = 0, WeightInitializer initializer = WeightInitializer.Default, double onesValue = 1.0)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length is < 1 or > 2 || Array.Exists(shape, d => d <= 0))
        {
            throw new ArgumentException($"Tensor '{name}' must have one or two positive dimensions.", nameof(shape));
        }

        if (storage != TensorStorage.RowMajor && shape.Length != 2)
        {
            throw new ArgumentException($"Tensor '{name}' is a vector and cannot be stored transposed.", nameof(storage));
        }

        if ((storage == TensorStorage.Panels) != (panelWidth > 0))
        {
            throw new ArgumentException($"Tensor '{name}' needs a positive panel width exactly when it is stored in panels.", nameof(panelWidth));
        }

        if (gates < 1 || shape[0] % gates != 0 || onesBlock >= gates)
        {
            throw new ArgumentException($"Tensor '{name}' cannot be split into {gates} gate blocks.", nameof(gates));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Name = name;
        Role = role;
        Offset = offset;
        _shape = (int[])shape.Clone();
        Storage = storage;
        Gates = gates;
        OnesBlock = onesBlock;
        Initializer = initializer;
        OnesValue = onesValue;
        PanelWidth = panelWidth;
    }

    /// <summary>PyTorch <c>state_dict</c> name.</summary>
    public string Name { get; }

    /// <summary>What the tensor does.</summary>
    public TensorRole Role { get; }

    /// <summary>First element in the parameter (or gradient) block.</summary>
    public int Offset { get; }

    /// <summary>PyTorch shape.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Rows: the first dimension.</summary>
    public int Rows => _shape[0];

    /// <summary>Columns: the second dimension, or 1 for a vector.</summary>
    public int Columns => _shape.Length == 2 ? _shape[1] : 1;

    /// <summary>Number of elements.</summary>
    public int Length => Rows * Columns;

    /// <summary>Arrangement inside the block.</summary>
    public TensorStorage Storage { get; }

    /// <summary>Gate blocks stacked along the rows.</summary>
    public int Gates { get; }

    /// <summary>The gate block initialised to one, or −1.</summary>
    public int OnesBlock { get; }

    /// <summary>The start of the <see cref="OnesBlock"/> gate block (an LSTM's forget-gate bias; 1 unless declared otherwise).</summary>
    public double OnesValue { get; }

    /// <summary>How the tensor starts, as declared; <see cref="WeightInitializer.Default"/> means the role's standard.</summary>
    public WeightInitializer Initializer { get; }

    /// <summary>For <see cref="TensorStorage.Panels"/>: the panel width in elements; otherwise 0.</summary>
    public int PanelWidth { get; }

    /// <summary>Where PyTorch's element <c>[row, column]</c> lives inside the tensor's slice.</summary>
    private int PackedIndex(int row, int column) => Storage switch
    {
        TensorStorage.RowMajor => (row * Columns) + column,
        TensorStorage.Transposed => (column * Rows) + row,

        // The packed matrix is the transpose: [Columns, Rows], column panels over PyTorch's rows.
        _ => Kernels.Panels.Index(column, row, Columns, Rows, PanelWidth),
    };

    /// <summary>The tensor's elements inside a block, in packed order.</summary>
    /// <param name="block">A parameter or gradient block of the model.</param>
    /// <typeparam name="T">Element type.</typeparam>
    /// <returns>The slice.</returns>
    public Span<T> Slice<T>(Span<T> block) => block.Slice(Offset, Length);

    /// <summary>The tensor's elements inside a block, in packed order.</summary>
    /// <param name="block">A parameter or gradient block of the model.</param>
    /// <typeparam name="T">Element type.</typeparam>
    /// <returns>The slice.</returns>
    public ReadOnlySpan<T> Slice<T>(ReadOnlySpan<T> block) => block.Slice(Offset, Length);

    /// <summary>Writes <paramref name="values"/>, given in PyTorch's row-major layout, into the block.</summary>
    /// <param name="block">A parameter or gradient block of the model.</param>
    /// <param name="values">Row-major values in the shape <see cref="Shape"/>; for float and double, all finite.</param>
    /// <typeparam name="T">Element type.</typeparam>
    /// <exception cref="ArgumentException">A length does not match or a value is not finite; the block is then unchanged.</exception>
    public void Import<T>(Span<T> block, ReadOnlySpan<T> values)
    {
        CheckValues(values.Length);
        CheckBlock(block.Length);
        CheckFinite(values);
        Span<T> slice = Slice(block);
        if (Storage == TensorStorage.RowMajor)
        {
            values.CopyTo(slice);
            return;
        }

        int rows = Rows, columns = Columns;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                slice[PackedIndex(r, c)] = values[(r * columns) + c];
            }
        }
    }

    /// <summary>Reads the tensor from the block into <paramref name="destination"/> in PyTorch's row-major layout.</summary>
    /// <param name="block">A parameter or gradient block of the model.</param>
    /// <param name="destination">Receives the values in the shape <see cref="Shape"/>.</param>
    /// <typeparam name="T">Element type.</typeparam>
    /// <exception cref="ArgumentException">A length does not match.</exception>
    public void Export<T>(ReadOnlySpan<T> block, Span<T> destination)
    {
        CheckValues(destination.Length);
        CheckBlock(block.Length);
        ReadOnlySpan<T> slice = Slice(block);
        if (Storage == TensorStorage.RowMajor)
        {
            slice.CopyTo(destination);
            return;
        }

        int rows = Rows, columns = Columns;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                destination[(r * columns) + c] = slice[PackedIndex(r, c)];
            }
        }
    }

    /// <summary>Returns the PyTorch element <c>[row, column]</c> from the block.</summary>
    /// <param name="block">A parameter or gradient block.</param>
    /// <param name="row">Row (for a vector: the index).</param>
    /// <param name="column">Column (0 for a vector).</param>
    /// <typeparam name="T">Element type.</typeparam>
    /// <returns>The element.</returns>
    public ref T At<T>(Span<T> block, int row, int column = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, Columns);
        return ref block[Offset + PackedIndex(row, column)];
    }

    /// <summary>Fills the tensor with its initial values: the declared initialiser, unless <paramref name="options"/> overrides it.</summary>
    /// <param name="block">The parameter block.</param>
    /// <param name="seed">The model seed.</param>
    /// <param name="stream">This tensor's random stream (its index in the layout).</param>
    /// <param name="options">Overrides of the declaration, or null.</param>
    /// <typeparam name="T">Element type.</typeparam>
    internal void Initialize<T>(Span<T> block, ulong seed, ulong stream, Initialization.InitializationOptions? options)
        where T : IFloatingPointIeee754<T>
    {
        var random = new Initialization.DeterministicRandom(seed, stream);
        double[] values = new double[Length];
        int blockRows = Rows / Gates;
        int blockLength = blockRows * Columns;
        WeightInitializer initializer = ChosenInitializer(options);
        double onesValue = options?.ForgetGateBias is double forget && Role == TensorRole.InputBias && OnesBlock >= 0 ? forget : OnesValue;
        for (int g = 0; g < Gates; g++)
        {
            Span<double> gate = values.AsSpan(g * blockLength, blockLength);
            if (Role is TensorRole.InputBias or TensorRole.RecurrentBias or TensorRole.HeadBias)
            {
                gate.Fill(g == OnesBlock ? onesValue : 0.0);
                continue;
            }

            bool square = blockRows == Columns;
            switch (initializer)
            {
                case WeightInitializer.GlorotNormal:
                    Initialization.Initializers.GlorotNormal(gate, Columns, blockRows, ref random);
                    break;
                case WeightInitializer.Orthogonal when square:
                    Initialization.Initializers.Orthogonal(gate, blockRows, ref random);
                    break;
                case WeightInitializer.Identity when square:
                    Initialization.Initializers.Identity(gate, blockRows);
                    break;
                case WeightInitializer.PyTorchUniform:
                    Initialization.Initializers.PyTorchUniform(gate, Role == TensorRole.HeadWeight ? Columns : blockRows, ref random);
                    break;
                case WeightInitializer.StandardNormal:
                    Initialization.Initializers.Normal(gate, 0, 1, ref random);
                    break;
                case WeightInitializer.Zeros:
                    gate.Clear();
                    break;
                default:
                    Initialization.Initializers.GlorotUniform(gate, Columns, blockRows, ref random);
                    break;
            }
        }

        T[] converted = new T[Length];
        for (int i = 0; i < converted.Length; i++)
        {
            converted[i] = T.CreateTruncating(values[i]);
        }

        Import<T>(block, converted);
    }

    /// <summary>The initialiser in force: an override, else the declaration, else the role's standard.</summary>
    private WeightInitializer ChosenInitializer(Initialization.InitializationOptions? options)
    {
        WeightInitializer overridden = Role switch
        {
            TensorRole.InputWeight => options?.InputWeights ?? WeightInitializer.Default,
            TensorRole.RecurrentWeight => options?.RecurrentWeights ?? WeightInitializer.Default,
            TensorRole.HeadWeight => options?.HeadWeights ?? WeightInitializer.Default,
            TensorRole.EmbeddingWeight => options?.Embedding ?? WeightInitializer.Default,
            _ => WeightInitializer.Default,
        };
        if (overridden != WeightInitializer.Default)
        {
            return overridden;
        }

        if (Initializer != WeightInitializer.Default)
        {
            return Initializer;
        }

        return Role switch
        {
            TensorRole.RecurrentWeight => WeightInitializer.Orthogonal,
            TensorRole.EmbeddingWeight => WeightInitializer.StandardNormal,
            _ => WeightInitializer.GlorotUniform,
        };
    }

    /// <summary>Writes <paramref name="values"/> into the block after checking that <paramref name="shape"/> is this tensor's (see <see cref="Import{T}(Span{T}, ReadOnlySpan{T})"/>).</summary>
    /// <param name="block">A parameter or gradient block of the model.</param>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Their shape, which must equal <see cref="Shape"/>: a transposed, flattened or padded shape is refused.</param>
    /// <typeparam name="T">Element type.</typeparam>
    /// <exception cref="ArgumentException">The shape or a length does not match, or a value is not finite; the block is then unchanged.</exception>
    public void Import<T>(Span<T> block, ReadOnlySpan<T> values, ReadOnlySpan<int> shape)
    {
        if (!shape.SequenceEqual(_shape))
        {
            throw new ArgumentException($"Tensor '{Name}' has shape {ShapeText(_shape)} but values of shape {ShapeText(shape)} were given.", nameof(shape));
        }

        Import(block, values);
    }

    private void CheckFinite<T>(ReadOnlySpan<T> values)
    {
        int bad = -1;
        string value = string.Empty;
        if (typeof(T) == typeof(float))
        {
            ReadOnlySpan<float> floats = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(values)), values.Length);
            bad = Kernels.Guard.AllFinite(floats) ? -1 : FirstNonFinite(floats);
            value = bad >= 0 ? floats[bad].ToString(System.Globalization.CultureInfo.InvariantCulture) : value;
        }
        else if (typeof(T) == typeof(double))
        {
            ReadOnlySpan<double> doubles = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<T, double>(ref MemoryMarshal.GetReference(values)), values.Length);
            bad = Kernels.Guard.AllFinite(doubles) ? -1 : FirstNonFinite(doubles);
            value = bad >= 0 ? doubles[bad].ToString(System.Globalization.CultureInfo.InvariantCulture) : value;
        }

        if (bad >= 0)
        {
            string at = _shape.Length == 2 ? $"[{bad / Columns}, {bad % Columns}]" : $"[{bad}]";
            throw new ArgumentException($"Tensor '{Name}' would get the non-finite value {value} at {at}; values must be finite. Nothing was written.", nameof(values));
        }
    }

    private static int FirstNonFinite<TValue>(ReadOnlySpan<TValue> values)
        where TValue : IFloatingPointIeee754<TValue>
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (!TValue.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static string ShapeText(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    private void CheckValues(int length)
    {
        if (length != Length)
        {
            throw new ArgumentException(
                $"Tensor '{Name}' has shape [{string.Join(", ", _shape)}] ({Length} elements) but {length} values were given.");
        }
    }

    private void CheckBlock(int length)
    {
        if (length < Offset + Length)
        {
            throw new ArgumentException(
                $"Tensor '{Name}' ends at element {Offset + Length} of the block but the block has only {length} elements.");
        }
    }
}
