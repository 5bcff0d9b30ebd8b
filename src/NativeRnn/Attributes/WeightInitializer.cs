namespace NativeRnn;

/// <summary>
/// How a weight matrix starts, chosen per layer in its attribute (<c>InputWeights</c>, <c>RecurrentWeights</c>,
/// a head's <c>Weights</c>) or for a whole model in <see cref="Initialization.InitializationOptions"/>. Every
/// choice is drawn from the model's seed, so the same seed gives the same parameters bit for bit. Gated
/// layers initialise each gate block (<c>[H, in]</c> of the <c>[G·H, in]</c> matrix) on its own.
/// </summary>
public enum WeightInitializer
{
    /// <summary>The role's standard: Glorot uniform for input and head weights, orthogonal for square recurrent blocks, standard normal for embeddings.</summary>
    Default = 0,

    /// <summary>Glorot (Xavier) uniform: <c>U(−a, a)</c>, <c>a = √(6 / (fan_in + fan_out))</c> (Glorot &amp; Bengio 2010).</summary>
    GlorotUniform = 1,

    /// <summary>Glorot (Xavier) normal: <c>N(0, σ²)</c>, <c>σ = √(2 / (fan_in + fan_out))</c>.</summary>
    GlorotNormal = 2,

    /// <summary>
    /// A random orthogonal matrix (Saxe et al. 2014), uniform over the orthogonal group: repeated multiplication by it
    /// neither grows nor shrinks a vector at first. Square blocks only (recurrent weights); other shapes fall back to Glorot uniform.
    /// </summary>
    Orthogonal = 3,

    /// <summary>
    /// The identity (Le, Jaitly &amp; Hinton 2015, "IRNN": identity recurrent weights with ReLU and zero biases keep
    /// the state as it is until training moves them). Square blocks only; other shapes fall back to Glorot uniform.
    /// </summary>
    Identity = 4,

    /// <summary>PyTorch's own default for <c>nn.RNN</c>/<c>nn.LSTM</c>/<c>nn.GRU</c>: <c>U(−1/√H, 1/√H)</c> with <c>H</c> the block's rows (the hidden size).</summary>
    PyTorchUniform = 5,

    /// <summary>Standard normal <c>N(0, 1)</c>, PyTorch's default for <c>nn.Embedding</c>.</summary>
    StandardNormal = 6,

    /// <summary>All zeros.</summary>
    Zeros = 7,
}
