using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.InteropServices;
using NativeRnn.Initialization;
using NativeRnn.Kernels;

namespace NativeRnn.Serialization;

/// <summary>
/// Everything a training run needs to resume bit for bit, in one typed container: the model's parameters
/// (in PyTorch's layout and names, so a checkpoint is also a weight file), named flat blocks of float or
/// double (optimizer moments, in packed order), named 64-bit integers (step, schedule position, data
/// position, epoch), named <see cref="DeterministicRandom"/> states, a vocabulary, free-form metadata and
/// the <see cref="ArchitectureSignature"/> of the model. Every value is kept as its exact bits — nothing
/// goes through text. <see cref="Create{T}"/> and the setters copy, so a checkpoint is a snapshot that can
/// be written while training goes on.
/// </summary>
/// <remarks>
/// <para>The file is safetensors: the parameters under their own names; <c>nativernn.block.*</c>,
/// <c>nativernn.integer.*</c> (I64 scalars), <c>nativernn.random.*</c> (U64 [4]),
/// <c>nativernn.vocabulary.utf16</c> (the tokens' UTF-16 code units, so every .NET string round-trips, lone
/// surrogates included) with <c>nativernn.vocabulary.offsets</c> (I64 [n + 1]); and last,
/// <c>nativernn.checksum</c>, the CRC-64 (ECMA-182, as <see cref="Crc64"/>) of every byte before it, which
/// detects every error burst up to 64 bits long and all but one in 2⁶⁴ of the rest. <see cref="Save"/> writes it atomically
/// (temporary file in the same folder, flushed to disk, renamed over the old one, folder synced), so a crash
/// at any moment leaves the previous checkpoint or the new one, whole. <see cref="Load(string, SafeTensorsLimits?)"/>
/// reads the file once, verifying the checksum over what it read.</para>
/// </remarks>
public sealed class Checkpoint
{
    /// <summary>The metadata key that marks a checkpoint, with the format's version as its value.</summary>
    public const string FormatKey = "nativernn.checkpoint";

    internal const string Reserved = "nativernn.";
    internal const string BlockPrefix = "nativernn.block.";
    internal const string IntegerPrefix = "nativernn.integer.";
    internal const string RandomPrefix = "nativernn.random.";
    internal const string VocabularyText = "nativernn.vocabulary.utf16";
    internal const string VocabularyOffsets = "nativernn.vocabulary.offsets";
    internal const string ChecksumName = "nativernn.checksum";
    private const string ArchitectureKey = "nativernn.architecture";
    private const string SignatureKey = "nativernn.signature";
    private const string Version = "1";
    private const int ChecksumLength = 8;

    private readonly List<(string Name, int[] Shape, Array Values)> _parameters;
    private readonly SortedDictionary<string, Array> _blocks = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, ulong[]> _randoms = new(StringComparer.Ordinal);
    private string[]? _vocabulary;

    private Checkpoint(ArchitectureSignature architecture, Type elementType, List<(string, int[], Array)> parameters, string sourceName)
    {
        Architecture = architecture;
        ElementType = elementType;
        _parameters = parameters;
        SourceName = sourceName;
    }

    /// <summary>The architecture the checkpoint was written for.</summary>
    public ArchitectureSignature Architecture { get; }

    /// <summary>The parameters' element type, <c>typeof(float)</c> or <c>typeof(double)</c>.</summary>
    public Type ElementType { get; }

    /// <summary>The file it was loaded from, or "the checkpoint" for one created in memory.</summary>
    public string SourceName { get; }

    /// <summary>Named 64-bit integers: step, schedule position, data position, epoch….</summary>
    public IDictionary<string, long> Integers { get; } = new SortedDictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Free-form metadata (keys must not start with <c>nativernn.</c>, which the format reserves).</summary>
    public IDictionary<string, string> Metadata { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The vocabulary, token by token (any strings), or null; setting it copies the list.</summary>
    /// <exception cref="ArgumentException">A token is null.</exception>
    public IReadOnlyList<string>? Vocabulary
    {
        get => _vocabulary;
        set
        {
            if (value is null)
            {
                _vocabulary = null;
                return;
            }

            string[] copy = new string[value.Count];
            for (int i = 0; i < copy.Length; i++)
            {
                copy[i] = value[i] ?? throw new ArgumentException($"Token {i} of the vocabulary is null.", nameof(value));
            }

            _vocabulary = copy;
        }
    }

    /// <summary>The names of the blocks.</summary>
    public IReadOnlyCollection<string> BlockNames => _blocks.Keys;

    /// <summary>The names of the random states.</summary>
    public IReadOnlyCollection<string> RandomNames => _randoms.Keys;

    /// <summary>A checkpoint of <paramref name="model"/>: its architecture and a copy of its parameters.</summary>
    /// <param name="model">The model.</param>
    /// <typeparam name="T">The element type.</typeparam>
    /// <returns>The checkpoint, with no blocks, integers or random states yet.</returns>
    /// <exception cref="ArgumentException">A parameter is not finite.</exception>
    public static Checkpoint Create<T>(IRecurrentModel<T> model)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        var parameters = new List<(string, int[], Array)>(model.Layout.Count);
        foreach (TensorInfo tensor in model.Layout)
        {
            parameters.Add((tensor.Name, tensor.Shape.ToArray(), new T[tensor.Length]));
        }

        var checkpoint = new Checkpoint(ArchitectureSignature.Of(model), typeof(T), parameters, "the checkpoint");
        checkpoint.CaptureParameters(model);
        return checkpoint;
    }

    /// <summary>Copies the model's parameters into the checkpoint again (reusing its arrays).</summary>
    /// <param name="model">A model of the checkpoint's architecture.</param>
    /// <typeparam name="T">The element type.</typeparam>
    /// <exception cref="ArgumentException">The model is of another architecture, or a parameter is not finite.</exception>
    public void CaptureParameters<T>(IRecurrentModel<T> model)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArchitectureSignature signature = ArchitectureSignature.Of(model);
        if (!signature.Equals(Architecture))
        {
            throw new ArgumentException($"The model is '{signature.Description}' but the checkpoint is of '{Architecture.Description}'.", nameof(model));
        }

        if (!Guard.AllFinite<T>(model.Parameters))
        {
            throw new ArgumentException("The model's parameters are not all finite; such a state is not checkpointed.", nameof(model));
        }

        for (int i = 0; i < _parameters.Count; i++)
        {
            TensorInfo tensor = model.Layout[i];
            TensorPacking.UnpackRows<T>(tensor, tensor.Slice<T>(model.Parameters), 0, (T[])_parameters[i].Values);
        }
    }

    /// <summary>Writes the checkpoint's parameters into <paramref name="model"/>, after checking that the model has the checkpoint's architecture.</summary>
    /// <param name="model">The model.</param>
    /// <typeparam name="T">The element type.</typeparam>
    /// <exception cref="WeightFileException">The checkpoint is of another architecture (<see cref="WeightFileError.ArchitectureMismatch"/>, the message names both); the model is unchanged.</exception>
    public void RestoreParameters<T>(IRecurrentModel<T> model)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArchitectureSignature signature = ArchitectureSignature.Of(model);
        if (!signature.Equals(Architecture))
        {
            string detail = signature.Description == Architecture.Description
                ? $"both are '{Architecture.Description}', but the checkpoint has {Architecture.FirstDifference(signature)} (a build of NativeRnn that lays parameters out differently wrote it; its parameters still load with LoadSafeTensors and IgnoreUnexpected)"
                : $"it was written for '{Architecture.Description}' and the model is '{signature.Description}'";
            throw new WeightFileException(WeightFileError.ArchitectureMismatch, SourceName, $"{FileText.Sanitize(SourceName, 200)} is a checkpoint of another architecture: {detail}.", expected: signature.Description, found: Architecture.Description);
        }

        // The signature lists the tensors; check the stored ones agree with it before writing anything.
        if (_parameters.Count != model.Layout.Count || typeof(T) != ElementType)
        {
            throw Invalid(SourceName, $"it holds {_parameters.Count} parameter tensors of {ElementType.Name} where its signature describes {model.Layout.Count} of {typeof(T).Name}");
        }

        var byName = new Dictionary<string, (int[] Shape, Array Values)>(StringComparer.Ordinal);
        foreach ((string name, int[] shape, Array values) in _parameters)
        {
            byName[name] = (shape, values);
        }

        var sources = new T[model.Layout.Count][];
        for (int i = 0; i < sources.Length; i++)
        {
            TensorInfo tensor = model.Layout[i];
            if (!byName.TryGetValue(tensor.Name, out (int[] Shape, Array Values) stored) || !tensor.Shape.SequenceEqual(stored.Shape))
            {
                throw Invalid(SourceName, $"its parameters do not include '{tensor.Name}' {FileText.Shape(tensor.Shape)}, which its signature describes");
            }

            sources[i] = (T[])stored.Values;
        }

        // Checked finite when loaded or captured, and of the right shapes: nothing below can fail.
        for (int i = 0; i < sources.Length; i++)
        {
            TensorInfo tensor = model.Layout[i];
            TensorPacking.PackRows<T>(tensor, sources[i], 0, tensor.Slice(model.Parameters));
        }
    }

    /// <summary>Stores a copy of a flat block (e.g. an optimizer's moments), exactly.</summary>
    /// <param name="name">The block's name.</param>
    /// <param name="values">The values.</param>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <exception cref="ArgumentException">The name is empty or holds control characters.</exception>
    public void SetBlock<T>(string name, ReadOnlySpan<T> values)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        CheckName(name);
        if (_blocks.TryGetValue(name, out Array? existing) && existing is T[] same && same.Length == values.Length)
        {
            values.CopyTo(same);
        }
        else
        {
            _blocks[name] = values.ToArray();
        }
    }

    /// <summary>A stored block.</summary>
    /// <param name="name">The block's name.</param>
    /// <typeparam name="T">The block's element type.</typeparam>
    /// <returns>The values.</returns>
    /// <exception cref="KeyNotFoundException">There is no such block.</exception>
    /// <exception cref="InvalidOperationException">The block holds the other element type.</exception>
    public ReadOnlySpan<T> GetBlock<T>(string name)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_blocks.TryGetValue(name, out Array? block))
        {
            throw new KeyNotFoundException($"The checkpoint has no block {FileText.Quote(name)}; it has {FileText.List([.. _blocks.Keys])}.");
        }

        return block as T[] ?? throw new InvalidOperationException($"Block {FileText.Quote(name)} holds {block.GetType().GetElementType()!.Name}, not {typeof(T).Name}.");
    }

    /// <summary>Copies a stored block into <paramref name="destination"/>.</summary>
    /// <param name="name">The block's name.</param>
    /// <param name="destination">Exactly as long as the block.</param>
    /// <typeparam name="T">The block's element type.</typeparam>
    /// <exception cref="KeyNotFoundException">There is no such block.</exception>
    /// <exception cref="ArgumentException">The destination's length differs.</exception>
    public void CopyBlockTo<T>(string name, Span<T> destination)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> block = GetBlock<T>(name);
        Guard.Length(destination.Length, block.Length, nameof(destination), $"block '{name}'");
        block.CopyTo(destination);
    }

    /// <summary>Removes a block.</summary>
    /// <param name="name">The block's name.</param>
    /// <returns>Whether there was one.</returns>
    public bool RemoveBlock(string name) => _blocks.Remove(name);

    /// <summary>Stores the state of a random generator.</summary>
    /// <param name="name">Its name (e.g. <c>dropout</c>, <c>shuffle</c>).</param>
    /// <param name="random">The generator; it is not advanced.</param>
    /// <exception cref="ArgumentException">The name is empty or holds control characters.</exception>
    public void SetRandom(string name, in DeterministicRandom random)
    {
        CheckName(name);
        ulong[] state = new ulong[DeterministicRandom.StateLength];
        random.CopyStateTo(state);
        _randoms[name] = state;
    }

    /// <summary>A generator that continues exactly where the stored one left off.</summary>
    /// <param name="name">Its name.</param>
    /// <returns>The generator.</returns>
    /// <exception cref="KeyNotFoundException">There is no such state.</exception>
    public DeterministicRandom GetRandom(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _randoms.TryGetValue(name, out ulong[]? state)
            ? DeterministicRandom.FromState(state)
            : throw new KeyNotFoundException($"The checkpoint has no random state {FileText.Quote(name)}; it has {FileText.List([.. _randoms.Keys])}.");
    }

    /// <summary>Writes the checkpoint atomically: a crash at any moment leaves the previous file or this one, whole.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ArgumentException">A name is invalid, or a metadata key starts with <c>nativernn.</c>.</exception>
    /// <exception cref="IOException">The file cannot be written, or another writer is writing it.</exception>
    public void Save(string path)
    {
        using AtomicFile file = AtomicFile.Create(path);
        WriteTo(file.Stream);
        file.Commit();
    }

    /// <summary>Writes the checkpoint to a stream (see <see cref="Save"/> for the atomic write of a file).</summary>
    /// <param name="destination">The stream.</param>
    /// <exception cref="ArgumentException">A name is invalid, or a metadata key starts with <c>nativernn.</c>.</exception>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckLittleEndian();
        var tensors = new List<(TensorHeader Header, Array Data)>();
        SafeTensorType parameterType = ElementType == typeof(float) ? SafeTensorType.F32 : SafeTensorType.F64;
        foreach ((string name, int[] shape, Array values) in _parameters)
        {
            tensors.Add((new TensorHeader(name, parameterType, shape), values));
        }

        foreach ((string name, Array block) in _blocks)
        {
            tensors.Add((new TensorHeader(BlockPrefix + name, (block is float[]) ? SafeTensorType.F32 : SafeTensorType.F64, [block.Length]), block));
        }

        foreach ((string name, long value) in Integers)
        {
            CheckName(name);
            tensors.Add((new TensorHeader(IntegerPrefix + name, SafeTensorType.I64, []), new[] { value }));
        }

        foreach ((string name, ulong[] state) in _randoms)
        {
            tensors.Add((new TensorHeader(RandomPrefix + name, SafeTensorType.U64, [state.Length]), state));
        }

        if (_vocabulary is not null)
        {
            long[] offsets = new long[_vocabulary.Length + 1];
            for (int i = 0; i < _vocabulary.Length; i++)
            {
                offsets[i + 1] = offsets[i] + _vocabulary[i].Length;
            }

            char[] text = string.Concat(_vocabulary).ToCharArray();
            tensors.Add((new TensorHeader(VocabularyText, SafeTensorType.U16, [text.Length]), text));
            tensors.Add((new TensorHeader(VocabularyOffsets, SafeTensorType.I64, [offsets.Length]), offsets));
        }

        var metadata = new List<KeyValuePair<string, string>>
        {
            new(FormatKey, Version),
            new(ArchitectureKey, Architecture.Description),
            new(SignatureKey, Architecture.Layout),
        };

        foreach (KeyValuePair<string, string> entry in Metadata)
        {
            if (entry.Key.StartsWith(Reserved, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Metadata key {FileText.Quote(entry.Key)} starts with '{Reserved}', which the checkpoint format reserves.", nameof(destination));
            }

            metadata.Add(entry);
        }

        var headers = tensors.ConvertAll(t => t.Header);
        headers.Add(new TensorHeader(ChecksumName, SafeTensorType.U8, [ChecksumLength]));
        byte[] header = SafeTensorsHeaderWriter.Build(headers, metadata);
        var hash = new Crc64();
        hash.Append(header);
        destination.Write(header);
        foreach ((_, Array data) in tensors)
        {
            ReadOnlySpan<byte> bytes = Bytes(data);
            hash.Append(bytes);
            destination.Write(bytes);
        }

        Span<byte> checksum = stackalloc byte[ChecksumLength];
        hash.GetCurrentHash(checksum);
        destination.Write(checksum);
    }

    /// <summary>Reads a checkpoint, verifying its checksum and every entry's form; nothing is applied to any model yet.</summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">Bounds on the header; <see cref="SafeTensorsLimits.Default"/> when null.</param>
    /// <returns>The checkpoint.</returns>
    /// <exception cref="WeightFileException">The file is damaged, malformed, or not a checkpoint.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static Checkpoint Load(string path, SafeTensorsLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using SafeTensorsReader reader = SafeTensorsReader.Open(new FileByteSource(path), limits ?? SafeTensorsLimits.Default, keepHeader: true);
        return Read(reader);
    }

    /// <summary>Reads a checkpoint from bytes in memory (see <see cref="Load(string, SafeTensorsLimits?)"/>).</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="sourceName">A name for the bytes in messages.</param>
    /// <param name="limits">Bounds on the header; <see cref="SafeTensorsLimits.Default"/> when null.</param>
    /// <returns>The checkpoint.</returns>
    /// <exception cref="WeightFileException">The bytes are damaged, malformed, or not a checkpoint.</exception>
    public static unsafe Checkpoint Load(ReadOnlySpan<byte> bytes, string sourceName = "the buffer", SafeTensorsLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        fixed (byte* pointer = bytes)
        {
            using var memory = new PinnedMemory(pointer, bytes.Length);
            using SafeTensorsReader reader = SafeTensorsReader.Open(new MemoryByteSource(memory.Memory, sourceName), limits ?? SafeTensorsLimits.Default, keepHeader: true);
            return Read(reader);
        }
    }

    private static Checkpoint Read(SafeTensorsReader reader)
    {
        CheckLittleEndian();
        string source = reader.SourceName;
        IReadOnlyDictionary<string, string> metadata = reader.Metadata;
        if (!metadata.TryGetValue(FormatKey, out string? version))
        {
            throw Invalid(source, $"it is a safetensors file but not a NativeRnn checkpoint (it has no '{FormatKey}' metadata); load weights with LoadSafeTensors");
        }

        if (version != Version)
        {
            throw Invalid(source, $"it is a checkpoint of format version {FileText.Quote(version)}; this build reads version {Version}");
        }

        if (!metadata.TryGetValue(ArchitectureKey, out string? description) || !metadata.TryGetValue(SignatureKey, out string? signature))
        {
            throw Invalid(source, "it has no architecture signature");
        }

        if (!reader.TryGetTensor(ChecksumName, out SafeTensorEntry? checksumEntry)
            || checksumEntry.Type != SafeTensorType.U8 || checksumEntry.ByteLength != ChecksumLength
            || checksumEntry.DataOffset + ChecksumLength != reader.Header.DataLength)
        {
            throw Invalid(source, $"it has no {ChecksumName} of {ChecksumLength} bytes at the end of its data");
        }

        // Allocate each entry (its size is backed by the file's bytes: the header was checked against them).
        var arrays = new Dictionary<SafeTensorEntry, Array>();
        var parameters = new List<(string, int[], Array)>();
        var blocks = new List<(string, Array)>();
        var integers = new List<(string, long[])>();
        var randoms = new List<(string, ulong[])>();
        char[]? text = null;
        long[]? offsets = null;
        SafeTensorType? parameterType = null;
        foreach (SafeTensorEntry entry in reader.Tensors)
        {
            string name = entry.Name;
            if (entry == checksumEntry)
            {
                continue;
            }

            if (entry.ElementCount > Array.MaxLength)
            {
                throw Invalid(source, $"its entry {FileText.Quote(name)} has more elements than an array holds");
            }

            int count = (int)entry.ElementCount;
            if (name.StartsWith(BlockPrefix, StringComparison.Ordinal))
            {
                Expect(source, entry, entry.Type is SafeTensorType.F32 or SafeTensorType.F64 && entry.Shape.Length == 1 && name.Length > BlockPrefix.Length, "an F32 or F64 vector");
                Array block = entry.Type == SafeTensorType.F32 ? GC.AllocateUninitializedArray<float>(count) : GC.AllocateUninitializedArray<double>(count);
                blocks.Add((name[BlockPrefix.Length..], block));
                arrays[entry] = block;
            }
            else if (name.StartsWith(IntegerPrefix, StringComparison.Ordinal))
            {
                Expect(source, entry, entry.Type == SafeTensorType.I64 && entry.Shape.Length == 0 && name.Length > IntegerPrefix.Length, "an I64 scalar");
                long[] value = new long[1];
                integers.Add((name[IntegerPrefix.Length..], value));
                arrays[entry] = value;
            }
            else if (name.StartsWith(RandomPrefix, StringComparison.Ordinal))
            {
                Expect(source, entry, entry.Type == SafeTensorType.U64 && entry.Shape.SequenceEqual([DeterministicRandom.StateLength]) && name.Length > RandomPrefix.Length, $"U64 [{DeterministicRandom.StateLength}]");
                ulong[] state = new ulong[DeterministicRandom.StateLength];
                randoms.Add((name[RandomPrefix.Length..], state));
                arrays[entry] = state;
            }
            else if (name == VocabularyText)
            {
                Expect(source, entry, entry.Type == SafeTensorType.U16 && entry.Shape.Length == 1, "a U16 vector");
                arrays[entry] = text = GC.AllocateUninitializedArray<char>(count);
            }
            else if (name == VocabularyOffsets)
            {
                Expect(source, entry, entry.Type == SafeTensorType.I64 && entry.Shape.Length == 1 && count >= 1, "a non-empty I64 vector");
                arrays[entry] = offsets = new long[count];
            }
            else if (name.StartsWith(Reserved, StringComparison.Ordinal))
            {
                throw Invalid(source, $"it has the entry {FileText.Quote(name)}, which this build does not know");
            }
            else
            {
                Expect(source, entry, entry.Type is SafeTensorType.F32 or SafeTensorType.F64 && (parameterType ?? entry.Type) == entry.Type && entry.Shape.Length is 1 or 2, $"an F32 or F64 parameter tensor{(parameterType is null ? string.Empty : " of " + parameterType)}");
                parameterType = entry.Type;
                Array values = entry.Type == SafeTensorType.F32 ? GC.AllocateUninitializedArray<float>(count) : GC.AllocateUninitializedArray<double>(count);
                parameters.Add((name, entry.ShapeArray, values));
                arrays[entry] = values;
            }
        }

        if (parameterType is null)
        {
            throw Invalid(source, "it holds no parameters");
        }

        if ((text is null) != (offsets is null))
        {
            throw Invalid(source, $"it has only one of {VocabularyText} and {VocabularyOffsets}");
        }

        VerifyAndRead(reader, arrays, checksumEntry);

        // Now that the bytes are known to be what was written, check what they mean.
        foreach ((string name, _, Array values) in parameters)
        {
            bool finite = values is float[] f ? Guard.AllFinite<float>(f) : Guard.AllFinite<double>((double[])values);
            if (!finite)
            {
                throw new WeightFileException(WeightFileError.NonFiniteValue, source, $"{FileText.Sanitize(source, 200)} is not a valid checkpoint: parameter {FileText.Quote(name)} holds a non-finite value.", FileText.Sanitize(name), "finite values", "NaN or infinity");
            }
        }

        foreach ((string name, ulong[] state) in randoms)
        {
            if ((state[0] | state[1] | state[2] | state[3]) == 0)
            {
                throw Invalid(source, $"its random state {FileText.Quote(name)} is all zero, which no generator reaches");
            }
        }

        var checkpoint = new Checkpoint(ArchitectureSignature.FromText(description, signature), parameterType == SafeTensorType.F32 ? typeof(float) : typeof(double), parameters, source);
        if (text is not null)
        {
            checkpoint._vocabulary = Tokens(source, text, offsets!);
        }

        foreach ((string name, Array block) in blocks)
        {
            checkpoint._blocks.Add(name, block);
        }

        foreach ((string name, long[] value) in integers)
        {
            checkpoint.Integers.Add(name, value[0]);
        }

        foreach ((string name, ulong[] state) in randoms)
        {
            checkpoint._randoms.Add(name, state);
        }

        foreach ((string key, string value) in metadata)
        {
            if (!key.StartsWith(Reserved, StringComparison.Ordinal))
            {
                checkpoint.Metadata.Add(key, value);
            }
        }

        return checkpoint;
    }

    /// <summary>Reads every entry into its array in the file's order, hashing header and data as they pass, then compares the checksum.</summary>
    private static void VerifyAndRead(SafeTensorsReader reader, Dictionary<SafeTensorEntry, Array> arrays, SafeTensorEntry checksumEntry)
    {
        var hash = new Crc64();
        hash.Append(reader.HeaderBytes.Span);
        var ordered = new List<SafeTensorEntry>(arrays.Keys);
        ordered.Sort((a, b) => a.DataOffset.CompareTo(b.DataOffset));
        long dataStart = reader.Header.DataStart;
        foreach (SafeTensorEntry entry in ordered)
        {
            Span<byte> bytes = MutableBytes(arrays[entry]);
            reader.Source.Read(dataStart + entry.DataOffset, bytes);
            hash.Append(bytes);
        }

        Span<byte> stored = stackalloc byte[ChecksumLength];
        Span<byte> computed = stackalloc byte[ChecksumLength];
        reader.Source.Read(dataStart + checksumEntry.DataOffset, stored);
        hash.GetCurrentHash(computed);
        if (!stored.SequenceEqual(computed))
        {
            throw new WeightFileException(
                WeightFileError.ChecksumMismatch,
                reader.SourceName,
                $"{FileText.Sanitize(reader.SourceName, 200)} is damaged: its checksum does not match its contents.",
                ChecksumName,
                Convert.ToHexString(stored),
                Convert.ToHexString(computed));
        }
    }

    private static string[] Tokens(string source, char[] text, long[] offsets)
    {
        if (offsets[0] != 0 || offsets[^1] != text.Length)
        {
            throw Invalid(source, $"its vocabulary offsets run from {offsets[0]} to {offsets[^1]}, not from 0 to the {text.Length} characters of the text");
        }

        string[] tokens = new string[offsets.Length - 1];
        for (int i = 0; i < tokens.Length; i++)
        {
            if (offsets[i + 1] < offsets[i])
            {
                throw Invalid(source, $"its vocabulary offsets decrease at token {i}");
            }

            tokens[i] = new string(text, (int)offsets[i], (int)(offsets[i + 1] - offsets[i]));
        }

        return tokens;
    }

    private static ReadOnlySpan<byte> Bytes(Array data) => MutableBytes(data);

    private static Span<byte> MutableBytes(Array data) => data switch
    {
        float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
        double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
        long[] l => MemoryMarshal.AsBytes(l.AsSpan()),
        ulong[] u => MemoryMarshal.AsBytes(u.AsSpan()),
        char[] c => MemoryMarshal.AsBytes(c.AsSpan()),
        _ => throw new InvalidOperationException($"No bytes for {data.GetType().Name}."),
    };

    private static void Expect(string source, SafeTensorEntry entry, bool valid, string form)
    {
        if (!valid)
        {
            throw new WeightFileException(WeightFileError.InvalidCheckpoint, source, $"{FileText.Sanitize(source, 200)} is not a valid checkpoint: its entry {FileText.Quote(entry.Name)} is {SafeTensorTypes.Name(entry.Type)}{entry.ShapeText}, not {form}.", FileText.Sanitize(entry.Name), form, SafeTensorTypes.Name(entry.Type) + entry.ShapeText);
        }
    }

    private static WeightFileException Invalid(string source, string what)
        => new(WeightFileError.InvalidCheckpoint, source, $"{FileText.Sanitize(source, 200)} is not a valid checkpoint: {what}.");

    private static void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!FileText.IsValidName(name))
        {
            throw new ArgumentException($"The name {FileText.Quote(name)} is empty or holds control characters.", nameof(name));
        }
    }

    private static void CheckLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Checkpoints are read and written on little-endian machines.");
        }
    }
}
