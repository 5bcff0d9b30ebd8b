using System;
using System.IO;
using System.Numerics;
using NativeRnn.Serialization;

namespace NativeRnn;

/// <summary>
/// Whole-model weight files for every generated model: <c>model.LoadSafeTensors(path)</c> and
/// <c>model.SaveSafeTensors(path)</c>, by PyTorch <c>state_dict</c> names and shapes (or Keras's, see
/// <see cref="SafeTensorsOptions.Convention"/>), converting to and from the packed internal layout.
/// Loading is atomic: the whole file is checked against the model — every tensor present, nothing
/// unexpected unless <see cref="SafeTensorsOptions.IgnoreUnexpected"/>, every shape and type right, every
/// value finite — before the parameters change, and any failure raises <see cref="WeightFileException"/>
/// with the model left exactly as it was. Saving to a path is atomic too.
/// </summary>
public static class ModelWeights
{
    /// <summary>Loads every parameter of the model from a safetensors file (F32, F64, F16 or BF16).</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The file.</param>
    /// <param name="options">Names, convention and limits; the PyTorch defaults when null.</param>
    /// <typeparam name="T">The model's element type.</typeparam>
    /// <returns>The file's metadata and the tensors skipped.</returns>
    /// <exception cref="WeightFileException">The file is malformed or does not fit the model; the model is unchanged.</exception>
    /// <exception cref="ArgumentException">The options name tensors the model does not have.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static SafeTensorsLoadResult LoadSafeTensors<T>(this IRecurrentModel<T> model, string path, SafeTensorsOptions? options = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new SafeTensorsOptions();
        using SafeTensorsReader reader = SafeTensorsReader.Open(path, options.Limits);
        return WeightLoader.Load(reader, model.Description, model.Layout, model.Parameters, options);
    }

    /// <summary>Loads every parameter of the model from safetensors bytes in memory (for example a buffer handed over by native code).</summary>
    /// <param name="model">The model.</param>
    /// <param name="bytes">The whole file.</param>
    /// <param name="options">Names, convention and limits; the PyTorch defaults when null.</param>
    /// <param name="sourceName">A name for the bytes in messages.</param>
    /// <typeparam name="T">The model's element type.</typeparam>
    /// <returns>The file's metadata and the tensors skipped.</returns>
    /// <exception cref="WeightFileException">The bytes are malformed or do not fit the model; the model is unchanged.</exception>
    /// <exception cref="ArgumentException">The options name tensors the model does not have.</exception>
    public static unsafe SafeTensorsLoadResult LoadSafeTensors<T>(this IRecurrentModel<T> model, ReadOnlySpan<byte> bytes, SafeTensorsOptions? options = null, string sourceName = "the buffer")
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new SafeTensorsOptions();
        fixed (byte* pointer = bytes)
        {
            // The bytes stay pinned for the call; the reader sees them as memory without a copy.
            using var memory = new PinnedMemory(pointer, bytes.Length);
            using SafeTensorsReader reader = SafeTensorsReader.Open(memory.Memory, sourceName, options.Limits);
            return WeightLoader.Load(reader, model.Description, model.Layout, model.Parameters, options);
        }
    }

    /// <summary>Loads every parameter of the model from an open reader (for several models in one file, each with its own <see cref="SafeTensorsOptions.Prefix"/>).</summary>
    /// <param name="model">The model.</param>
    /// <param name="reader">The file.</param>
    /// <param name="options">Names and convention; the PyTorch defaults when null.</param>
    /// <typeparam name="T">The model's element type.</typeparam>
    /// <returns>The file's metadata and the tensors skipped.</returns>
    /// <exception cref="WeightFileException">The file does not fit the model; the model is unchanged.</exception>
    /// <exception cref="ArgumentException">The options name tensors the model does not have.</exception>
    public static SafeTensorsLoadResult LoadSafeTensors<T>(this IRecurrentModel<T> model, SafeTensorsReader reader, SafeTensorsOptions? options = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        return WeightLoader.Load(reader, model.Description, model.Layout, model.Parameters, options ?? new SafeTensorsOptions());
    }

    /// <summary>Saves every parameter of the model as a safetensors file, atomically: a crash leaves the old file or the whole new one.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The file.</param>
    /// <param name="options">Names, convention, element type and metadata; the PyTorch defaults when null.</param>
    /// <typeparam name="T">The model's element type.</typeparam>
    /// <exception cref="ArgumentException">A parameter is not finite or does not fit <see cref="SafeTensorsOptions.SaveType"/>, or the options are invalid; nothing was written.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void SaveSafeTensors<T>(this IRecurrentModel<T> model, string path, SafeTensorsOptions? options = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        using AtomicFile file = AtomicFile.Create(path);
        WeightSaver.Save<T>(file.Stream, model.Description, model.Layout, model.Parameters, options ?? new SafeTensorsOptions());
        file.Commit();
    }

    /// <summary>Writes every parameter of the model to a stream as a safetensors file.</summary>
    /// <param name="model">The model.</param>
    /// <param name="destination">The stream.</param>
    /// <param name="options">Names, convention, element type and metadata; the PyTorch defaults when null.</param>
    /// <typeparam name="T">The model's element type.</typeparam>
    /// <exception cref="ArgumentException">A parameter is not finite or does not fit <see cref="SafeTensorsOptions.SaveType"/>, or the options are invalid; nothing was written.</exception>
    public static void SaveSafeTensors<T>(this IRecurrentModel<T> model, Stream destination, SafeTensorsOptions? options = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        WeightSaver.Save<T>(destination, model.Description, model.Layout, model.Parameters, options ?? new SafeTensorsOptions());
    }
}
