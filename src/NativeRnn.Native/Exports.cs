using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using NativeRnn.Serialization;

namespace NativeRnn.Native;

/// <summary>
/// The C functions of <c>include/nativernn.h</c>. Every one returns a status instead of throwing: an exception never
/// crosses into C. A failure's message is kept per thread for <c>nrnn_last_error</c>. States belong to the caller (a
/// float array of the model's state size), so one model serves any number of streams without allocating.
/// </summary>
public static unsafe class Exports
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>A null pointer, a wrong length, a token out of range, a non-finite input.</summary>
    public const int InvalidArgument = 1;

    /// <summary>No declared model has the name.</summary>
    public const int UnknownModel = 2;

    /// <summary>The weights are malformed or do not fit the model; the model is unchanged.</summary>
    public const int BadWeights = 3;

    /// <summary>A token function on a model of real-valued inputs, or the other way round.</summary>
    public const int WrongModelKind = 4;

    /// <summary>Memory ran out.</summary>
    public const int OutOfMemory = 5;

    /// <summary>Anything else; the message says what.</summary>
    public const int Internal = 6;

    /// <summary>Flag of <c>nrnn_load_safetensors</c>: skip tensors the model does not have (a file with more in it).</summary>
    public const uint LoadIgnoreUnexpected = 1;

    // A UTF-8, NUL-terminated copy of the last failure's message on this thread, freed when the next one replaces it.
    [ThreadStatic]
    private static byte* t_lastError;

    private static byte* s_version;
    private static byte** s_names;

    /// <summary>The library's version, a static NUL-terminated string.</summary>
    /// <returns>The version.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_version")]
    public static byte* Version()
    {
        if (s_version == null)
        {
            s_version = Utf8(typeof(Exports).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
        }

        return s_version;
    }

    /// <summary>The number of declared models.</summary>
    /// <returns>The count.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_model_count")]
    public static int ModelCount() => Models.Names.Length;

    /// <summary>The name of the declared model at <paramref name="index"/>, a static string, or null past the end.</summary>
    /// <param name="index">From 0 to the count − 1.</param>
    /// <returns>The name or null.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_model_name")]
    public static byte* ModelName(int index)
    {
        if ((uint)index >= (uint)Models.Names.Length)
        {
            return null;
        }

        if (s_names == null)
        {
            var names = (byte**)NativeMemory.AllocZeroed((nuint)Models.Names.Length, (nuint)sizeof(byte*));
            for (int i = 0; i < Models.Names.Length; i++)
            {
                names[i] = Utf8(Models.Names[i]);
            }

            s_names = names;
        }

        return s_names[index];
    }

    /// <summary>Creates a model by name, its parameters initialised from <paramref name="seed"/>.</summary>
    /// <param name="name">A declared model's name, NUL-terminated UTF-8.</param>
    /// <param name="seed">The initialisation seed.</param>
    /// <param name="model">Receives the handle (null on failure).</param>
    /// <returns>A status.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_create")]
    public static int Create(byte* name, ulong seed, IntPtr* model)
    {
        try
        {
            if (model == null)
            {
                return Fail(InvalidArgument, "model (the handle's destination) is null.");
            }

            *model = IntPtr.Zero;
            if (name == null)
            {
                return Fail(InvalidArgument, "name is null.");
            }

            string text = Marshal.PtrToStringUTF8((IntPtr)name) ?? string.Empty;
            IRecurrentModel<float>? created = Models.Create(text, seed);
            if (created is null)
            {
                return Fail(UnknownModel, $"There is no model named '{text}'; the models are {Models.List()}.");
            }

            *model = GCHandle.ToIntPtr(GCHandle.Alloc(created));
            return Ok;
        }
        catch (Exception error)
        {
            return Fail(error);
        }
    }

    /// <summary>Frees a model; null is allowed and does nothing.</summary>
    /// <param name="model">The handle.</param>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_free")]
    public static void Free(IntPtr model)
    {
        if (model != IntPtr.Zero)
        {
            GCHandle.FromIntPtr(model).Free();
        }
    }

    /// <summary>The model's sizes (see <c>nrnn_info</c> in the header).</summary>
    /// <param name="model">The handle.</param>
    /// <param name="info">Receives the sizes.</param>
    /// <returns>A status.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_get_info")]
    public static int GetInfo(IntPtr model, Info* info)
    {
        try
        {
            if (!TryGet(model, out IRecurrentModel<float>? m) || info == null)
            {
                return Fail(InvalidArgument, info == null ? "info is null." : "model is null.");
            }

            ModelDescription d = m.Description;
            *info = new Info
            {
                InputSize = d.HasEmbedding ? 0 : d.InputSize,
                Vocabulary = d.Vocabulary,
                OutputSize = d.OutputSize,
                StateSize = StateSize(m),
                ParameterCount = m.Parameters.Length,
            };
            return Ok;
        }
        catch (Exception error)
        {
            return Fail(error);
        }
    }

    /// <summary>Loads every parameter from a safetensors file held in memory; on failure the model is unchanged.</summary>
    /// <param name="model">The handle.</param>
    /// <param name="data">The whole file.</param>
    /// <param name="length">Its length in bytes.</param>
    /// <param name="flags"><see cref="LoadIgnoreUnexpected"/> or 0.</param>
    /// <returns>A status.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_load_safetensors")]
    public static int LoadSafeTensors(IntPtr model, byte* data, nuint length, uint flags)
    {
        try
        {
            if (!TryGet(model, out IRecurrentModel<float>? m))
            {
                return Fail(InvalidArgument, "model is null.");
            }

            if (data == null || length > int.MaxValue)
            {
                return Fail(InvalidArgument, data == null ? "data is null." : $"{length} bytes are more than one buffer may hold here ({int.MaxValue}).");
            }

            var options = new SafeTensorsOptions { IgnoreUnexpected = (flags & LoadIgnoreUnexpected) != 0 };
            m.LoadSafeTensors(new ReadOnlySpan<byte>(data, (int)length), options, "the buffer");
            return Ok;
        }
        catch (Exception error)
        {
            return Fail(error);
        }
    }

    /// <summary>Sets a state to zero, the state before a stream's first step.</summary>
    /// <param name="model">The handle.</param>
    /// <param name="state">The state.</param>
    /// <param name="stateLength">Its length: the model's state size.</param>
    /// <returns>A status.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_reset_state")]
    public static int ResetState(IntPtr model, float* state, nuint stateLength)
    {
        try
        {
            if (!TryState(model, state, stateLength, out _, out Span<float> s, out int status))
            {
                return status;
            }

            s.Clear();
            return Ok;
        }
        catch (Exception error)
        {
            return Fail(error);
        }
    }

    /// <summary>One time step of a model of real-valued inputs.</summary>
    /// <param name="model">The handle.</param>
    /// <param name="state">The stream's state, updated in place.</param>
    /// <param name="stateLength">The model's state size.</param>
    /// <param name="input"><c>x_t</c>.</param>
    /// <param name="inputLength">The model's input size.</param>
    /// <param name="output">Receives <c>y_t</c>.</param>
    /// <param name="outputLength">The model's output size.</param>
    /// <returns>A status.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_step")]
    public static int Step(IntPtr model, float* state, nuint stateLength, float* input, nuint inputLength, float* output, nuint outputLength)
        => Sequence(model, state, stateLength, input, inputLength, output, outputLength, steps: 1);

    /// <summary>A sequence of one stream of real-valued inputs, from its state on.</summary>
    /// <param name="model">The handle.</param>
    /// <param name="state">The stream's state, advanced in place.</param>
    /// <param name="stateLength">The model's state size.</param>
    /// <param name="inputs"><c>[steps, input size]</c>.</param>
    /// <param name="inputsLength">steps × input size.</param>
    /// <param name="outputs">Receives <c>[steps, output size]</c>.</param>
    /// <param name="outputsLength">steps × output size.</param>
    /// <returns>A status.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_sequence")]
    public static int RunSequence(IntPtr model, float* state, nuint stateLength, float* inputs, nuint inputsLength, float* outputs, nuint outputsLength)
        => Sequence(model, state, stateLength, inputs, inputsLength, outputs, outputsLength, steps: -1);

    /// <summary>One time step of a token model.</summary>
    /// <param name="model">The handle.</param>
    /// <param name="state">The stream's state, updated in place.</param>
    /// <param name="stateLength">The model's state size.</param>
    /// <param name="token">The token id, below the vocabulary.</param>
    /// <param name="output">Receives <c>y_t</c> (the logits, for a text model).</param>
    /// <param name="outputLength">The model's output size.</param>
    /// <returns>A status.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_step_token")]
    public static int StepToken(IntPtr model, float* state, nuint stateLength, int token, float* output, nuint outputLength)
        => TokenSequence(model, state, stateLength, &token, 1, output, outputLength);

    /// <summary>A sequence of tokens of one stream, from its state on.</summary>
    /// <param name="model">The handle.</param>
    /// <param name="state">The stream's state, advanced in place.</param>
    /// <param name="stateLength">The model's state size.</param>
    /// <param name="tokens">The token ids.</param>
    /// <param name="steps">How many.</param>
    /// <param name="outputs">Receives <c>[steps, output size]</c>.</param>
    /// <param name="outputsLength">steps × output size.</param>
    /// <returns>A status.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_sequence_tokens")]
    public static int RunTokenSequence(IntPtr model, float* state, nuint stateLength, int* tokens, nuint steps, float* outputs, nuint outputsLength)
        => TokenSequence(model, state, stateLength, tokens, steps, outputs, outputsLength);

    /// <summary>
    /// Many streams of real-valued inputs advanced together, each weight read once per step for all of them:
    /// the states of <paramref name="streams"/> streams end to end, inputs and outputs time-major.
    /// </summary>
    /// <param name="model">The handle.</param>
    /// <param name="states"><c>[streams, state size]</c>, advanced in place.</param>
    /// <param name="streams">How many streams (one or more).</param>
    /// <param name="inputs"><c>[steps, streams, input size]</c>.</param>
    /// <param name="inputsLength">steps × streams × input size.</param>
    /// <param name="outputs">Receives <c>[steps, streams, output size]</c>.</param>
    /// <param name="outputsLength">steps × streams × output size.</param>
    /// <returns>A status; on a failure no state has changed.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_streams")]
    public static int Streams(IntPtr model, float* states, nuint streams, float* inputs, nuint inputsLength, float* outputs, nuint outputsLength)
    {
        try
        {
            if (!TryStates(model, states, streams, out IRecurrentModel<float>? m, out Span<float> s, out int status))
            {
                return status;
            }

            if (m is not IStreamingModel<float> streaming)
            {
                return Fail(WrongModelKind, "The model takes token ids: call nrnn_streams_tokens.");
            }

            if (inputs == null || outputs == null)
            {
                return Fail(InvalidArgument, inputs == null ? "inputs is null." : "outputs is null.");
            }

            if (inputsLength > int.MaxValue || outputsLength > int.MaxValue)
            {
                return Fail(InvalidArgument, "The inputs or outputs are longer than 2^31 - 1 floats.");
            }

            streaming.ForwardStreams(s, new ReadOnlySpan<float>(inputs, (int)inputsLength), new Span<float>(outputs, (int)outputsLength));
            return Ok;
        }
        catch (Exception error)
        {
            return Fail(error);
        }
    }

    /// <summary>Many streams of a token model advanced together: tokens <c>[steps, streams]</c>, outputs <c>[steps, streams, output size]</c>.</summary>
    /// <param name="model">The handle.</param>
    /// <param name="states"><c>[streams, state size]</c>, advanced in place.</param>
    /// <param name="streams">How many streams (one or more).</param>
    /// <param name="tokens"><c>[steps, streams]</c> token ids.</param>
    /// <param name="tokensLength">steps × streams.</param>
    /// <param name="outputs">Receives <c>[steps, streams, output size]</c>.</param>
    /// <param name="outputsLength">steps × streams × output size.</param>
    /// <returns>A status; on a failure no state has changed.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_streams_tokens")]
    public static int StreamsTokens(IntPtr model, float* states, nuint streams, int* tokens, nuint tokensLength, float* outputs, nuint outputsLength)
    {
        try
        {
            if (!TryStates(model, states, streams, out IRecurrentModel<float>? m, out Span<float> s, out int status))
            {
                return status;
            }

            if (m is not ITokenStreamingModel<float> streaming)
            {
                return Fail(WrongModelKind, "The model takes real-valued inputs: call nrnn_streams.");
            }

            if (tokens == null || outputs == null)
            {
                return Fail(InvalidArgument, tokens == null ? "tokens is null." : "outputs is null.");
            }

            if (tokensLength > int.MaxValue || outputsLength > int.MaxValue)
            {
                return Fail(InvalidArgument, "The tokens or outputs are longer than 2^31 - 1 elements.");
            }

            streaming.ForwardStreams(s, new ReadOnlySpan<int>(tokens, (int)tokensLength), new Span<float>(outputs, (int)outputsLength));
            return Ok;
        }
        catch (Exception error)
        {
            return Fail(error);
        }
    }

    /// <summary>The message of the last failure on the calling thread (empty if none), valid until the thread's next failure.</summary>
    /// <returns>A NUL-terminated UTF-8 string.</returns>
    [UnmanagedCallersOnly(EntryPoint = "nrnn_last_error")]
    public static byte* LastError() => t_lastError != null ? t_lastError : (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference("\0"u8));

    /// <summary>The sizes <c>nrnn_get_info</c> reports; the same layout as <c>nrnn_info</c> in the header.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Info
    {
        /// <summary>Features per step (0 for a token model).</summary>
        public int InputSize;

        /// <summary>Token ids accepted (0 for a model of real-valued inputs).</summary>
        public int Vocabulary;

        /// <summary>Elements of <c>y_t</c>.</summary>
        public int OutputSize;

        /// <summary>Floats of a stream's state.</summary>
        public int StateSize;

        /// <summary>Floats of the parameter block.</summary>
        public long ParameterCount;
    }

    private static int Sequence(IntPtr model, float* state, nuint stateLength, float* inputs, nuint inputsLength, float* outputs, nuint outputsLength, int steps)
    {
        try
        {
            if (!TryState(model, state, stateLength, out IRecurrentModel<float>? m, out Span<float> s, out int status))
            {
                return status;
            }

            if (m is not IStreamingModel<float> streaming)
            {
                return Fail(WrongModelKind, "The model takes token ids: call nrnn_step_token or nrnn_sequence_tokens.");
            }

            int inputSize = m.Description.InputSize, outputSize = m.Description.OutputSize;
            if (inputs == null || outputs == null)
            {
                return Fail(InvalidArgument, inputs == null ? "inputs is null." : "outputs is null.");
            }

            if (steps < 0)
            {
                if (inputsLength % (nuint)inputSize != 0 || inputsLength / (nuint)inputSize > int.MaxValue / (nuint)Math.Max(inputSize, outputSize))
                {
                    return Fail(InvalidArgument, $"The inputs hold {inputsLength} floats, not a whole number of steps of {inputSize}.");
                }

                steps = (int)(inputsLength / (nuint)inputSize);
            }
            else if (inputsLength != (nuint)inputSize)
            {
                return Fail(InvalidArgument, $"The input holds {inputsLength} floats; the model takes {inputSize}.");
            }

            if (outputsLength != (nuint)steps * (nuint)outputSize)
            {
                return Fail(InvalidArgument, $"The outputs hold {outputsLength} floats; {steps} step(s) of {outputSize} need {steps * outputSize}.");
            }

            var x = new ReadOnlySpan<float>(inputs, steps * inputSize);
            var y = new Span<float>(outputs, steps * outputSize);
            if (steps == 1)
            {
                streaming.Step(s, x, y);
            }
            else
            {
                streaming.Forward(s, x, y);
            }

            return Ok;
        }
        catch (Exception error)
        {
            return Fail(error);
        }
    }

    private static int TokenSequence(IntPtr model, float* state, nuint stateLength, int* tokens, nuint steps, float* outputs, nuint outputsLength)
    {
        try
        {
            if (!TryState(model, state, stateLength, out IRecurrentModel<float>? m, out Span<float> s, out int status))
            {
                return status;
            }

            if (m is not ITokenStreamingModel<float> streaming)
            {
                return Fail(WrongModelKind, "The model takes real-valued inputs: call nrnn_step or nrnn_sequence.");
            }

            int outputSize = m.Description.OutputSize;
            if (tokens == null || outputs == null)
            {
                return Fail(InvalidArgument, tokens == null ? "tokens is null." : "outputs is null.");
            }

            if (steps > (nuint)(int.MaxValue / outputSize) || outputsLength != steps * (nuint)outputSize)
            {
                return Fail(InvalidArgument, $"The outputs hold {outputsLength} floats; {steps} step(s) of {outputSize} need {steps * (nuint)outputSize}.");
            }

            var ids = new ReadOnlySpan<int>(tokens, (int)steps);
            var y = new Span<float>(outputs, (int)steps * outputSize);
            if (steps == 1)
            {
                streaming.Step(s, ids[0], y);
            }
            else
            {
                streaming.Forward(s, ids, y);
            }

            return Ok;
        }
        catch (Exception error)
        {
            return Fail(error);
        }
    }

    private static bool TryGet(IntPtr handle, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IRecurrentModel<float>? model)
    {
        model = handle == IntPtr.Zero ? null : GCHandle.FromIntPtr(handle).Target as IRecurrentModel<float>;
        return model is not null;
    }

    private static int StateSize(IRecurrentModel<float> model) => model switch
    {
        IStreamingModel<float> m => m.StateSize,
        ITokenStreamingModel<float> m => m.StateSize,
        _ => 0,
    };

    private static bool TryState(IntPtr handle, float* state, nuint length, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IRecurrentModel<float>? model, out Span<float> span, out int status)
    {
        span = default;
        if (!TryGet(handle, out model))
        {
            status = Fail(InvalidArgument, "model is null.");
            return false;
        }

        int size = StateSize(model);
        if (state == null || length != (nuint)size)
        {
            status = Fail(InvalidArgument, state == null ? "state is null." : $"The state holds {length} floats; the model's holds {size}.");
            return false;
        }

        span = new Span<float>(state, size);
        status = Ok;
        return true;
    }

    private static bool TryStates(IntPtr handle, float* states, nuint streams, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IRecurrentModel<float>? model, out Span<float> span, out int status)
    {
        span = default;
        if (!TryGet(handle, out model))
        {
            status = Fail(InvalidArgument, "model is null.");
            return false;
        }

        int size = StateSize(model);
        if (states == null || streams == 0 || streams > (nuint)(int.MaxValue / Math.Max(size, 1)))
        {
            status = Fail(InvalidArgument, states == null ? "states is null." : $"streams is {streams}; it must be from 1 to {int.MaxValue / Math.Max(size, 1)}.");
            return false;
        }

        span = new Span<float>(states, (int)streams * size);
        status = Ok;
        return true;
    }

    private static int Fail(Exception error) => Fail(
        error switch
        {
            WeightFileException or InvalidDataException => BadWeights,
            ArgumentException => InvalidArgument,
            OutOfMemoryException => OutOfMemory,
            _ => Internal,
        },
        error.Message);

    private static int Fail(int status, string message)
    {
        byte* previous = t_lastError;
        try
        {
            t_lastError = Utf8(message);
        }
        catch (OutOfMemoryException)
        {
            // No memory for the message: the status still says what happened.
            t_lastError = null;
        }

        NativeMemory.Free(previous);
        return status;
    }

    private static byte* Utf8(string text)
    {
        int length = Encoding.UTF8.GetByteCount(text);
        var bytes = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(text, new Span<byte>(bytes, length));
        bytes[length] = 0;
        return bytes;
    }
}
