using System;
using System.Numerics;

namespace NativeRnn.Text;

/// <summary>
/// Generates tokens from a streaming token model one step at a time: <see cref="Prime"/> runs a prompt through the
/// model's <c>Step</c>, then each <see cref="Next"/> draws a token from the last logits and feeds it back. The stream's
/// state lives in the generator, so priming and every token allocate nothing.
/// </summary>
/// <typeparam name="T">The model's element type.</typeparam>
public sealed class TextGenerator<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly ITokenStreamingModel<T> _model;
    private readonly T[] _state;
    private readonly T[] _logits;
    private readonly TokenSampler<T> _sampler;
    private bool _primed;

    /// <summary>Creates a generator.</summary>
    /// <param name="model">A model with an embedding, a head with one logit per token, and only forward-in-time layers.</param>
    /// <param name="seed">The seed of the draws.</param>
    /// <exception cref="ArgumentException">The model's outputs are not one logit per token.</exception>
    public TextGenerator(ITokenStreamingModel<T> model, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Description.OutputSize != model.Vocabulary)
        {
            throw new ArgumentException($"The model has {model.Description.OutputSize} outputs per step, not one logit per token of its {model.Vocabulary}.", nameof(model));
        }

        _model = model;
        _state = new T[model.StateSize];
        _logits = new T[model.Vocabulary];
        _sampler = new TokenSampler<T>(model.Vocabulary, seed);
    }

    /// <summary>The stream's state (writable: set it to continue a stream).</summary>
    public Span<T> State => _state;

    /// <summary>The logits after the last token fed in.</summary>
    public ReadOnlySpan<T> Logits => _logits;

    /// <summary>Starts a new stream: the state to zero.</summary>
    public void Reset()
    {
        Array.Clear(_state);
        _primed = false;
    }

    /// <summary>Feeds the prompt's tokens through the model, continuing from the current state.</summary>
    /// <param name="prompt">Token ids, at least one.</param>
    /// <exception cref="ArgumentException">The prompt is empty or a token is out of range.</exception>
    public void Prime(ReadOnlySpan<int> prompt)
    {
        if (prompt.IsEmpty)
        {
            throw new ArgumentException("A prompt needs at least one token, whose logits the first draw reads.", nameof(prompt));
        }

        foreach (int token in prompt)
        {
            _model.Step(_state, token, _logits);
        }

        _primed = true;
    }

    /// <summary>Draws the next token from the last logits and feeds it to the model.</summary>
    /// <param name="options">How to draw.</param>
    /// <returns>The token.</returns>
    /// <exception cref="InvalidOperationException">Nothing has been fed in yet.</exception>
    public int Next(in SamplingOptions options)
    {
        if (!_primed)
        {
            throw new InvalidOperationException("Prime the generator with a prompt before drawing.");
        }

        int token = _sampler.Sample(_logits, options);
        _model.Step(_state, token, _logits);
        return token;
    }

    /// <summary>Starts a new stream from <paramref name="prompt"/> and draws up to <paramref name="destination"/>'s length of tokens.</summary>
    /// <param name="prompt">Token ids, at least one.</param>
    /// <param name="destination">Receives the drawn tokens.</param>
    /// <param name="options">How to draw.</param>
    /// <param name="stopToken">A token that ends generation (written, then the call returns), or −1 for none.</param>
    /// <returns>Tokens written.</returns>
    public int Generate(ReadOnlySpan<int> prompt, Span<int> destination, in SamplingOptions options, int stopToken = -1)
    {
        Reset();
        Prime(prompt);
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = Next(options);
            if (destination[i] == stopToken)
            {
                return i + 1;
            }
        }

        return destination.Length;
    }
}
