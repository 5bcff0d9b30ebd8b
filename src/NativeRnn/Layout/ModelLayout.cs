using System;
using System.Collections;
using System.Collections.Generic;
using System.Numerics;

namespace NativeRnn;

/// <summary>
/// The named tensors of a generated model, in the order they tile its flat parameter block.
/// Gradients use the same layout, so an optimiser is one loop over the block.
/// </summary>
public sealed class ModelLayout : IReadOnlyList<TensorInfo>
{
    private readonly TensorInfo[] _tensors;
    private readonly Dictionary<string, TensorInfo> _byName;

    /// <summary>Creates a layout; the tensors must tile <c>[0, parameterCount)</c> in order, without gaps or overlaps.</summary>
    /// <param name="parameterCount">Elements in the block.</param>
    /// <param name="tensors">The tensors, in block order.</param>
    /// <exception cref="ArgumentException">The tensors do not tile the block or a name repeats.</exception>
    public ModelLayout(int parameterCount, params TensorInfo[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        _tensors = (TensorInfo[])tensors.Clone();
        _byName = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        int next = 0;
        foreach (TensorInfo tensor in _tensors)
        {
            if (tensor.Offset != next)
            {
                throw new ArgumentException($"Tensor '{tensor.Name}' starts at {tensor.Offset}; expected {next}.", nameof(tensors));
            }

            if (!_byName.TryAdd(tensor.Name, tensor))
            {
                throw new ArgumentException($"Tensor name '{tensor.Name}' appears twice.", nameof(tensors));
            }

            next += tensor.Length;
        }

        if (next != parameterCount)
        {
            throw new ArgumentException($"The tensors cover {next} elements but the block has {parameterCount}.", nameof(parameterCount));
        }

        ParameterCount = parameterCount;
    }

    /// <summary>Elements in the parameter block.</summary>
    public int ParameterCount { get; }

    /// <summary>Number of tensors.</summary>
    public int Count => _tensors.Length;

    /// <summary>The tensor at <paramref name="index"/> in block order.</summary>
    /// <param name="index">Index.</param>
    /// <returns>The tensor.</returns>
    public TensorInfo this[int index] => _tensors[index];

    /// <summary>The tensor named <paramref name="name"/> (a PyTorch <c>state_dict</c> key).</summary>
    /// <param name="name">Name.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="KeyNotFoundException">No tensor has that name; the message lists the names there are.</exception>
    public TensorInfo this[string name]
        => TryGetTensor(name, out TensorInfo? tensor)
            ? tensor
            : throw new KeyNotFoundException($"The model has no tensor '{name}'. Its tensors are: {string.Join(", ", Names())}.");

    /// <summary>Looks a tensor up by name.</summary>
    /// <param name="name">Name.</param>
    /// <param name="tensor">The tensor, when found.</param>
    /// <returns>Whether it was found.</returns>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TensorInfo? tensor)
        => _byName.TryGetValue(name, out tensor);

    /// <summary>Fills every tensor of <paramref name="block"/> with its standard initial values, deterministically from <paramref name="seed"/>.</summary>
    /// <param name="block">The parameter block.</param>
    /// <param name="seed">The seed.</param>
    /// <typeparam name="T">Element type.</typeparam>
    /// <exception cref="ArgumentException">The block has the wrong length.</exception>
    public void Initialize<T>(Span<T> block, ulong seed)
        where T : IFloatingPointIeee754<T>
        => Initialize(block, seed, null);

    /// <summary>
    /// Fills every tensor of <paramref name="block"/> with its initial values, deterministically from <paramref name="seed"/>,
    /// with <paramref name="options"/> overriding the declared initialisers.
    /// </summary>
    /// <param name="block">The parameter block.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="options">Overrides of the declaration, or null to keep it.</param>
    /// <typeparam name="T">Element type.</typeparam>
    /// <exception cref="ArgumentException">The block has the wrong length.</exception>
    public void Initialize<T>(Span<T> block, ulong seed, Initialization.InitializationOptions? options)
        where T : IFloatingPointIeee754<T>
    {
        CheckBlock(block.Length);
        for (int i = 0; i < _tensors.Length; i++)
        {
            _tensors[i].Initialize(block, seed, (ulong)i, options);
        }
    }

    /// <summary>Throws unless <paramref name="length"/> equals <see cref="ParameterCount"/>.</summary>
    /// <param name="length">A block's length.</param>
    /// <param name="name">The argument's name, for the message.</param>
    /// <exception cref="ArgumentException">The length is wrong.</exception>
    public void CheckBlock(int length, string name = "block")
    {
        if (length != ParameterCount)
        {
            throw new ArgumentException($"A parameter or gradient block of this model has {ParameterCount} elements but '{name}' has {length}.", name);
        }
    }

    /// <inheritdoc/>
    public IEnumerator<TensorInfo> GetEnumerator() => ((IEnumerable<TensorInfo>)_tensors).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => _tensors.GetEnumerator();

    private IEnumerable<string> Names()
    {
        foreach (TensorInfo tensor in _tensors)
        {
            yield return tensor.Name;
        }
    }
}
