namespace NativeRnn;

/// <summary>The nonlinearity <c>g</c> of a simple (Elman) recurrent layer, <c>h_t = g(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)</c>.</summary>
public enum Activation
{
    /// <summary><c>tanh</c>: PyTorch's default for <c>nn.RNN</c>.</summary>
    Tanh = 0,

    /// <summary><c>max(z, 0)</c>: PyTorch's <c>nonlinearity='relu'</c>.</summary>
    Relu = 1,

    /// <summary>The logistic function <c>σ(z) = 1/(1 + e^(−z))</c>.</summary>
    Sigmoid = 2,
}
