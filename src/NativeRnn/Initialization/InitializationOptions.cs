namespace NativeRnn.Initialization;

/// <summary>
/// Overrides of the declared initialisers for one call of a model's <c>Initialize(seed, options)</c>. A property left at
/// <see cref="WeightInitializer.Default"/> (or <see langword="null"/>) keeps what the declaration says; the declaration's
/// own default is the role's standard (see <see cref="WeightInitializer.Default"/>).
/// </summary>
public sealed record InitializationOptions
{
    /// <summary>Every <c>weight_ih</c>.</summary>
    public WeightInitializer InputWeights { get; init; }

    /// <summary>Every <c>weight_hh</c>.</summary>
    public WeightInitializer RecurrentWeights { get; init; }

    /// <summary>The head's <c>head.weight</c>.</summary>
    public WeightInitializer HeadWeights { get; init; }

    /// <summary>The embedding table <c>embedding.weight</c>.</summary>
    public WeightInitializer Embedding { get; init; }

    /// <summary>The start of every LSTM forget gate's <c>bias_ih</c> block (1 and 0 are the usual choices); null keeps the declared value.</summary>
    public double? ForgetGateBias { get; init; }
}
