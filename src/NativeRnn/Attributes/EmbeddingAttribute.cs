using System;

namespace NativeRnn;

/// <summary>
/// A token embedding as the first layer: the inputs become token ids in <c>[0, vocabulary)</c> and
/// <c>x_t = E[token_t]</c>, with the table <c>embedding.weight</c> <c>[vocabulary, dimension]</c>
/// (standard normal at first, as PyTorch's <c>nn.Embedding</c>). Its gradient is accumulated per token.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = true, Inherited = false)]
public sealed class EmbeddingAttribute : Attribute
{
    /// <summary>Declares the embedding.</summary>
    /// <param name="vocabulary">Number of distinct tokens; must be positive.</param>
    /// <param name="dimension">Length of each token's vector; must be positive.</param>
    public EmbeddingAttribute(int vocabulary, int dimension)
    {
        Vocabulary = vocabulary;
        Dimension = dimension;
    }

    /// <summary>Number of distinct tokens.</summary>
    public int Vocabulary { get; }

    /// <summary>Length of each token's vector.</summary>
    public int Dimension { get; }
}
