using System;
using System.Numerics;

namespace NativeRnn;

/// <summary>
/// What every generated model offers, for code that works with any model: generic training loops,
/// tools, tests. The generated type has the same members with its concrete types (its own
/// <c>Tape</c>), which are what hot code should call. A model also implements
/// <see cref="ISequenceModel{T}"/> (real-valued inputs) or <see cref="ITokenSequenceModel{T}"/> (token ids).
/// </summary>
/// <typeparam name="T">The element type, <see cref="float"/> or <see cref="double"/>.</typeparam>
public interface IRecurrentModel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>The architecture.</summary>
    ModelDescription Description { get; }

    /// <summary>The named tensors of the parameter block.</summary>
    ModelLayout Layout { get; }

    /// <summary>The parameter block.</summary>
    Span<T> Parameters { get; }

    /// <summary>Re-initialises every parameter deterministically from <paramref name="seed"/> (see the generated <c>Initialize</c>).</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="options">Overrides of the declared initialisers, or null.</param>
    void Initialize(ulong seed, Initialization.InitializationOptions? options = null);

    /// <summary>Allocates a tape for training passes.</summary>
    /// <param name="maxSteps">Longest sequence.</param>
    /// <param name="maxBatch">Most sequences per batch.</param>
    /// <returns>The tape.</returns>
    IRecurrentTape<T> CreateTape(int maxSteps, int maxBatch = 1);

    /// <summary>Backpropagation through time (see the generated <c>Backward</c>); adds to <paramref name="gradients"/>.</summary>
    /// <param name="tape">A tape recorded by a training forward pass.</param>
    /// <param name="outputGradients"><c>[Steps, Batch, OutputSize]</c>.</param>
    /// <param name="gradients">A gradient block, added to.</param>
    void Backward(IRecurrentTape<T> tape, ReadOnlySpan<T> outputGradients, Span<T> gradients);
}

/// <summary>A model whose inputs are real-valued vectors of <c>InputSize</c> features.</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ISequenceModel<T> : IRecurrentModel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Training forward pass (see the generated <c>Forward(Tape, …)</c>).</summary>
    /// <param name="tape">A tape of this model type.</param>
    /// <param name="inputs">Time-major <c>[Steps, Batch, InputSize]</c>.</param>
    /// <param name="outputs">Receives <c>[Steps, Batch, OutputSize]</c>.</param>
    void Forward(IRecurrentTape<T> tape, ReadOnlySpan<T> inputs, Span<T> outputs);
}

/// <summary>A model whose inputs are token ids (its first layer is an embedding).</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ITokenSequenceModel<T> : IRecurrentModel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Number of distinct tokens.</summary>
    int Vocabulary { get; }

    /// <summary>Training forward pass (see the generated <c>Forward(Tape, …)</c>).</summary>
    /// <param name="tape">A tape of this model type.</param>
    /// <param name="tokens">Time-major <c>[Steps, Batch]</c> token ids.</param>
    /// <param name="outputs">Receives <c>[Steps, Batch, OutputSize]</c>.</param>
    void Forward(IRecurrentTape<T> tape, ReadOnlySpan<int> tokens, Span<T> outputs);
}

/// <summary>A model over real-valued inputs that also runs one stream step by step (every layer unidirectional).</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IStreamingModel<T> : ISequenceModel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Elements of the streaming state.</summary>
    int StateSize { get; }

    /// <summary>One time step (see the generated <c>Step</c>); the state is a span of <see cref="StateSize"/> elements.</summary>
    /// <param name="state">The state, updated in place.</param>
    /// <param name="input"><c>x_t</c>.</param>
    /// <param name="output">Receives <c>y_t</c>.</param>
    void Step(Span<T> state, ReadOnlySpan<T> input, Span<T> output);

    /// <summary>A whole sequence of one stream (see the generated streaming <c>Forward</c>).</summary>
    /// <param name="state">The state, advanced in place.</param>
    /// <param name="inputs"><c>[steps, InputSize]</c>.</param>
    /// <param name="outputs">Receives <c>[steps, OutputSize]</c>.</param>
    void Forward(Span<T> state, ReadOnlySpan<T> inputs, Span<T> outputs);

    /// <summary>Several independent streams by one step in one call (see the generated many-stream <c>Step</c>).</summary>
    /// <param name="states">The states of the streams end to end, a multiple of <see cref="StateSize"/> elements, updated in place.</param>
    /// <param name="inputs"><c>[streams, InputSize]</c>.</param>
    /// <param name="outputs">Receives <c>[streams, OutputSize]</c>.</param>
    void StepStreams(Span<T> states, ReadOnlySpan<T> inputs, Span<T> outputs);

    /// <summary>Several independent streams over a stretch of steps (see the generated many-stream <c>Forward</c>).</summary>
    /// <param name="states">The states of the streams end to end, a multiple of <see cref="StateSize"/> elements, advanced in place.</param>
    /// <param name="inputs">Time-major <c>[steps, streams, InputSize]</c>.</param>
    /// <param name="outputs">Receives <c>[steps, streams, OutputSize]</c>.</param>
    void ForwardStreams(Span<T> states, ReadOnlySpan<T> inputs, Span<T> outputs);
}

/// <summary>A token model that also runs one stream step by step (every layer unidirectional).</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ITokenStreamingModel<T> : ITokenSequenceModel<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Elements of the streaming state.</summary>
    int StateSize { get; }

    /// <summary>One time step (see the generated <c>Step</c>).</summary>
    /// <param name="state">The state, updated in place.</param>
    /// <param name="token">The token id.</param>
    /// <param name="output">Receives <c>y_t</c>.</param>
    void Step(Span<T> state, int token, Span<T> output);

    /// <summary>A whole sequence of one stream (see the generated streaming <c>Forward</c>).</summary>
    /// <param name="state">The state, advanced in place.</param>
    /// <param name="tokens">The token ids.</param>
    /// <param name="outputs">Receives <c>[steps, OutputSize]</c>.</param>
    void Forward(Span<T> state, ReadOnlySpan<int> tokens, Span<T> outputs);

    /// <summary>Several independent streams by one step in one call (see the generated many-stream <c>Step</c>).</summary>
    /// <param name="states">The states of the streams end to end, a multiple of <see cref="StateSize"/> elements, updated in place.</param>
    /// <param name="tokens">One token id per stream.</param>
    /// <param name="outputs">Receives <c>[streams, OutputSize]</c>.</param>
    void StepStreams(Span<T> states, ReadOnlySpan<int> tokens, Span<T> outputs);

    /// <summary>Several independent streams over a stretch of steps (see the generated many-stream <c>Forward</c>).</summary>
    /// <param name="states">The states of the streams end to end, a multiple of <see cref="StateSize"/> elements, advanced in place.</param>
    /// <param name="tokens">Time-major <c>[steps, streams]</c> token ids.</param>
    /// <param name="outputs">Receives <c>[steps, streams, OutputSize]</c>.</param>
    void ForwardStreams(Span<T> states, ReadOnlySpan<int> tokens, Span<T> outputs);
}

/// <summary>The tape of a generated model, seen through an interface (see the generated <c>Tape</c>).</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IRecurrentTape<T>
    where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    /// <summary>Longest sequence the tape holds.</summary>
    int MaxSteps { get; }

    /// <summary>Most sequences per batch the tape holds.</summary>
    int MaxBatch { get; }

    /// <summary>Steps of the current shape.</summary>
    int Steps { get; }

    /// <summary>Sequences of the current shape.</summary>
    int Batch { get; }

    /// <summary>Sets the shape of the next passes.</summary>
    /// <param name="steps">Steps, at most <see cref="MaxSteps"/>.</param>
    /// <param name="batch">Sequences, at most <see cref="MaxBatch"/>.</param>
    void SetShape(int steps, int batch);

    /// <summary><c>h_0</c> of a layer and direction, <c>[Batch, H]</c>.</summary>
    /// <param name="layer">Layer.</param>
    /// <param name="direction">Direction.</param>
    /// <returns>A view into the tape.</returns>
    Span<T> InitialHidden(int layer, int direction = 0);

    /// <summary><c>h_T</c> of a layer and direction.</summary>
    /// <param name="layer">Layer.</param>
    /// <param name="direction">Direction.</param>
    /// <returns>A view into the tape.</returns>
    ReadOnlySpan<T> FinalHidden(int layer, int direction = 0);

    /// <summary><c>∂L/∂h_0</c> after the backward pass.</summary>
    /// <param name="layer">Layer.</param>
    /// <param name="direction">Direction.</param>
    /// <returns>A view into the tape.</returns>
    ReadOnlySpan<T> InitialHiddenGradient(int layer, int direction = 0);

    /// <summary><c>∂L/∂h_T</c> flowing in through the final state (see <see cref="SetFinalHiddenGradient"/>).</summary>
    /// <param name="layer">Layer.</param>
    /// <param name="direction">Direction.</param>
    /// <returns>A view into the tape.</returns>
    ReadOnlySpan<T> FinalHiddenGradient(int layer, int direction = 0);

    /// <summary>Sets <c>∂L/∂h_T</c> for the next backward pass; only between a forward pass (which clears it) and its backward pass.</summary>
    /// <param name="layer">Layer.</param>
    /// <param name="direction">Direction.</param>
    /// <param name="values"><c>[Batch, H]</c>, finite.</param>
    /// <exception cref="InvalidOperationException">The tape holds no forward pass, or its backward pass has already run.</exception>
    void SetFinalHiddenGradient(int layer, int direction, ReadOnlySpan<T> values);

    /// <summary><c>c_0</c> of an LSTM layer.</summary>
    /// <param name="layer">Layer.</param>
    /// <param name="direction">Direction.</param>
    /// <returns>A view into the tape.</returns>
    Span<T> InitialCell(int layer, int direction = 0);

    /// <summary><c>c_T</c> of an LSTM layer.</summary>
    /// <param name="layer">Layer.</param>
    /// <param name="direction">Direction.</param>
    /// <returns>A view into the tape.</returns>
    ReadOnlySpan<T> FinalCell(int layer, int direction = 0);

    /// <summary><c>∂L/∂c_0</c> of an LSTM layer.</summary>
    /// <param name="layer">Layer.</param>
    /// <param name="direction">Direction.</param>
    /// <returns>A view into the tape.</returns>
    ReadOnlySpan<T> InitialCellGradient(int layer, int direction = 0);

    /// <summary><c>∂L/∂c_T</c> flowing into an LSTM layer's final cell state (see <see cref="SetFinalCellGradient"/>).</summary>
    /// <param name="layer">Layer.</param>
    /// <param name="direction">Direction.</param>
    /// <returns>A view into the tape.</returns>
    ReadOnlySpan<T> FinalCellGradient(int layer, int direction = 0);

    /// <summary>Sets <c>∂L/∂c_T</c> of an LSTM layer for the next backward pass; only between a forward pass and its backward pass.</summary>
    /// <param name="layer">Layer.</param>
    /// <param name="direction">Direction.</param>
    /// <param name="values"><c>[Batch, H]</c>, finite.</param>
    /// <exception cref="InvalidOperationException">The tape holds no forward pass, or its backward pass has already run.</exception>
    void SetFinalCellGradient(int layer, int direction, ReadOnlySpan<T> values);

    /// <summary>Whether training passes apply the model's dropout (true at first).</summary>
    bool DropoutEnabled { get; set; }

    /// <summary>Chooses the dropout masks of the next forward passes (see the generated <c>SetDropoutStream</c>).</summary>
    /// <param name="seed">The seed.</param>
    /// <param name="firstSequence">Index in the whole minibatch of this tape's first sequence.</param>
    void SetDropoutStream(ulong seed, int firstSequence = 0);

    /// <summary>Whether the backward pass records <see cref="HiddenGradientNorms"/>.</summary>
    bool RecordGradientFlow { get; set; }

    /// <summary><c>‖∂L/∂h_t‖</c> for every step of the last backward pass with <see cref="RecordGradientFlow"/> on.</summary>
    /// <param name="layer">Layer.</param>
    /// <param name="direction">Direction.</param>
    /// <returns>A view into the tape, <see cref="Steps"/> long.</returns>
    ReadOnlySpan<double> HiddenGradientNorms(int layer, int direction = 0);

    /// <summary><c>∂L/∂x_t</c> after the backward pass.</summary>
    ReadOnlySpan<T> InputGradients { get; }

    /// <summary>The outputs of a layer in the last forward pass.</summary>
    /// <param name="layer">Layer.</param>
    /// <returns>A view into the tape.</returns>
    ReadOnlySpan<T> LayerOutputs(int layer);

    /// <summary>Copies final states into initial states (truncated BPTT).</summary>
    void CarryState();

    /// <summary>Zeroes the initial states.</summary>
    void ResetState();
}
