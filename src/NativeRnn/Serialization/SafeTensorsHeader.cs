using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text.Json;

namespace NativeRnn.Serialization;

/// <summary>
/// A checked safetensors header: an 8-byte little-endian length <c>N</c>, then <c>N</c> bytes of a JSON
/// object mapping each tensor's name to its <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> (plus an
/// optional <c>__metadata__</c> object of strings), then the data section, which the tensors must tile
/// exactly. Parsing is a single forward pass of <see cref="Utf8JsonReader"/> (no reflection, so NativeAOT
/// safe) that refuses duplicate keys, unknown fields, control characters in names and anything that is not
/// exactly the format, and checks every claim against the real length of the data before any is read.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>The bytes before the header: its length as a little-endian <c>u64</c>.</summary>
    public const int PrefixLength = 8;

    // Keeps element counts such that count × 8 bytes never overflows a long.
    private const long MaxElements = long.MaxValue / 8;

    private SafeTensorsHeader(List<SafeTensorEntry> entries, Dictionary<string, SafeTensorEntry> byName, Dictionary<string, string> metadata, long headerLength, long dataLength)
    {
        Entries = entries;
        ByName = byName;
        Metadata = metadata;
        HeaderLength = headerLength;
        DataLength = dataLength;
    }

    /// <summary>The tensors in the order the header lists them.</summary>
    public List<SafeTensorEntry> Entries { get; }

    /// <summary>The tensors by name.</summary>
    public Dictionary<string, SafeTensorEntry> ByName { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when there are none).</summary>
    public Dictionary<string, string> Metadata { get; }

    /// <summary>The JSON header's length <c>N</c>.</summary>
    public long HeaderLength { get; }

    /// <summary>Where the data section starts in the file: <c>8 + N</c>.</summary>
    public long DataStart => PrefixLength + HeaderLength;

    /// <summary>The data section's length.</summary>
    public long DataLength { get; }

    /// <summary>Reads and checks the header length at the start of a file of <paramref name="fileLength"/> bytes.</summary>
    /// <exception cref="WeightFileException">The file is too short, or the length exceeds the limit or the file.</exception>
    public static long ReadHeaderLength(ReadOnlySpan<byte> prefix, long fileLength, SafeTensorsLimits limits, string source)
    {
        if (fileLength < PrefixLength)
        {
            throw Invalid(WeightFileError.Truncated, source, $"it has {fileLength} bytes, fewer than the 8 of the header length", expected: "at least 8 bytes", found: $"{fileLength} bytes");
        }

        ulong claimed = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (claimed > (ulong)limits.MaxHeaderBytes)
        {
            throw Invalid(WeightFileError.HeaderTooLarge, source, $"its header claims {claimed} bytes; at most {limits.MaxHeaderBytes} are accepted", expected: $"at most {limits.MaxHeaderBytes} bytes", found: $"{claimed} bytes");
        }

        if (claimed > (ulong)(fileLength - PrefixLength))
        {
            throw Invalid(WeightFileError.Truncated, source, $"its header claims {claimed} bytes but only {fileLength - PrefixLength} follow", expected: $"{claimed} bytes", found: $"{fileLength - PrefixLength} bytes");
        }

        if (claimed < 2)
        {
            throw Invalid(WeightFileError.InvalidHeader, source, $"its header has {claimed} bytes; the smallest, '{{}}', has 2", expected: "at least 2 bytes", found: $"{claimed} bytes");
        }

        return (long)claimed;
    }

    /// <summary>Parses the JSON header and checks it against a data section of <paramref name="dataLength"/> bytes.</summary>
    /// <exception cref="WeightFileException">The header is not valid or does not fit the data.</exception>
    public static SafeTensorsHeader Parse(ReadOnlySpan<byte> json, long dataLength, SafeTensorsLimits limits, string source)
    {
        var entries = new List<SafeTensorEntry>();
        var byName = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        bool sawMetadata = false;
        if (json.Length == 0 || json[0] != (byte)'{')
        {
            throw Invalid(WeightFileError.InvalidHeader, source, "its header does not start with '{'", expected: "a JSON object", found: json.Length == 0 ? "nothing" : $"byte 0x{json[0]:X2}");
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 3, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false });
        string? current = null;
        try
        {
            reader.Read();
            while (true)
            {
                Next(ref reader, source);
                if (reader.TokenType == JsonTokenType.EndObject)
                {
                    break;
                }

                current = null;
                string name = reader.GetString()!;
                if (name == "__metadata__")
                {
                    if (sawMetadata)
                    {
                        throw Invalid(WeightFileError.DuplicateKey, source, "its header has '__metadata__' twice", tensor: null, expected: "each key once", found: "'__metadata__' twice");
                    }

                    sawMetadata = true;
                    ReadMetadata(ref reader, metadata, limits, source);
                    continue;
                }

                CheckName(name, source, "tensor");
                current = name;
                if (byName.ContainsKey(name))
                {
                    throw Invalid(WeightFileError.DuplicateKey, source, $"tensor {FileText.Quote(name)} appears twice", name, expected: "each tensor once", found: "twice");
                }

                if (entries.Count == limits.MaxTensors)
                {
                    throw Invalid(WeightFileError.TooManyEntries, source, $"it describes more than {limits.MaxTensors} tensors (the limit; see {nameof(SafeTensorsLimits)})", expected: $"at most {limits.MaxTensors} tensors", found: "more");
                }

                SafeTensorEntry entry = ReadTensor(ref reader, name, dataLength, source);
                entries.Add(entry);
                byName.Add(name, entry);
            }

            // Only whitespace may follow the object (writers pad the header with spaces); Read throws on anything else.
            if (reader.Read())
            {
                throw Invalid(WeightFileError.InvalidHeader, source, $"its header has more after the JSON object (at byte {reader.TokenStartIndex})");
            }
        }
        catch (JsonException exception)
        {
            string at = current is null ? string.Empty : $" in the entry of tensor {FileText.Quote(current)}";
            throw Invalid(WeightFileError.InvalidHeader, source, $"its header is not valid JSON{at}: {FileText.Sanitize(exception.Message, 160)}", current, inner: exception);
        }
        catch (InvalidOperationException exception)
        {
            // Utf8JsonReader.GetString: invalid UTF-8, or an escaped unpaired surrogate.
            throw Invalid(WeightFileError.InvalidName, source, $"its header has a string that is not valid Unicode text near byte {reader.TokenStartIndex}", current, inner: exception);
        }

        CheckTiling(entries, dataLength, source);
        return new SafeTensorsHeader(entries, byName, metadata, json.Length, dataLength);
    }

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, SafeTensorsLimits limits, string source)
    {
        Next(ref reader, source);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid(WeightFileError.InvalidHeader, source, "its '__metadata__' is not an object of strings", expected: "an object", found: Kind(reader.TokenType));
        }

        while (true)
        {
            Next(ref reader, source);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return;
            }

            string key = reader.GetString()!;
            CheckName(key, source, "metadata key");
            Next(ref reader, source);
            if (reader.TokenType != JsonTokenType.String)
            {
                throw Invalid(WeightFileError.InvalidHeader, source, $"metadata entry {FileText.Quote(key)} is not a string", expected: "a string", found: Kind(reader.TokenType));
            }

            if (metadata.Count == limits.MaxMetadataEntries)
            {
                throw Invalid(WeightFileError.TooManyEntries, source, $"its '__metadata__' has more than {limits.MaxMetadataEntries} entries (the limit; see {nameof(SafeTensorsLimits)})", expected: $"at most {limits.MaxMetadataEntries} entries", found: "more");
            }

            if (!metadata.TryAdd(key, reader.GetString()!))
            {
                throw Invalid(WeightFileError.DuplicateKey, source, $"metadata key {FileText.Quote(key)} appears twice", expected: "each key once", found: "twice");
            }
        }
    }

    private static SafeTensorEntry ReadTensor(ref Utf8JsonReader reader, string name, long dataLength, string source)
    {
        Next(ref reader, source);
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid(WeightFileError.InvalidHeader, source, $"the entry of tensor {FileText.Quote(name)} is not an object", name, "an object", Kind(reader.TokenType));
        }

        SafeTensorType type = default;
        int[]? shape = null;
        long begin = 0, end = 0;
        bool sawType = false, sawOffsets = false;
        while (true)
        {
            Next(ref reader, source);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            if (reader.ValueTextEquals("dtype"u8))
            {
                Once(ref sawType, name, "dtype", source);
                Next(ref reader, source);
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw Invalid(WeightFileError.InvalidHeader, source, $"tensor {FileText.Quote(name)} has a dtype that is not a string", name, "a string", Kind(reader.TokenType));
                }

                // An escaped spelling ("F\u0033\u0032") is still the name it spells.
                bool known = reader.ValueIsEscaped
                    ? SafeTensorTypes.TryParse(System.Text.Encoding.UTF8.GetBytes(reader.GetString()!), out type)
                    : SafeTensorTypes.TryParse(reader.ValueSpan, out type);
                if (!known)
                {
                    throw Invalid(WeightFileError.UnsupportedType, source, $"tensor {FileText.Quote(name)} has the unsupported dtype {FileText.Quote(reader.GetString())}", name, "a dtype of the format (F32, F64, F16, BF16, I64, …)", FileText.Sanitize(reader.GetString()));
                }
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                bool sawShape = shape is not null;
                Once(ref sawShape, name, "shape", source);
                shape = ReadShape(ref reader, name, source);
            }
            else if (reader.ValueTextEquals("data_offsets"u8))
            {
                Once(ref sawOffsets, name, "data_offsets", source);
                (begin, end) = ReadOffsets(ref reader, name, dataLength, source);
            }
            else
            {
                throw Invalid(WeightFileError.InvalidHeader, source, $"tensor {FileText.Quote(name)} has the unknown field {FileText.Quote(reader.GetString())}", name, "only dtype, shape and data_offsets", FileText.Sanitize(reader.GetString()));
            }
        }

        if (!sawType || shape is null || !sawOffsets)
        {
            string missing = !sawType ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw Invalid(WeightFileError.InvalidHeader, source, $"tensor {FileText.Quote(name)} lacks {missing}", name, "dtype, shape and data_offsets", $"no {missing}");
        }

        long count = ElementCount(shape, name, source);
        long bytes = count * SafeTensorTypes.SizeOf(type);
        if (end - begin != bytes)
        {
            string described = SafeTensorTypes.Name(type) + FileText.Shape(shape);
            throw Invalid(WeightFileError.InvalidOffsets, source, $"tensor {FileText.Quote(name)} is {described}, {bytes} bytes, but its offsets span {end - begin}", name, $"{bytes} bytes for {described}", $"{end - begin} bytes");
        }

        return new SafeTensorEntry(name, type, shape, count, begin, end - begin);
    }

    private static int[] ReadShape(ref Utf8JsonReader reader, string name, string source)
    {
        Next(ref reader, source);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Invalid(WeightFileError.InvalidShape, source, $"tensor {FileText.Quote(name)} has a shape that is not an array", name, "an array of sizes", Kind(reader.TokenType));
        }

        Span<int> dimensions = stackalloc int[SafeTensorsLimits.MaxDimensions];
        int rank = 0;
        while (true)
        {
            Next(ref reader, source);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return dimensions[..rank].ToArray();
            }

            if (rank == SafeTensorsLimits.MaxDimensions)
            {
                throw Invalid(WeightFileError.InvalidShape, source, $"tensor {FileText.Quote(name)} has more than {SafeTensorsLimits.MaxDimensions} dimensions", name, $"at most {SafeTensorsLimits.MaxDimensions} dimensions", "more");
            }

            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long size) || size < 0 || size > int.MaxValue)
            {
                string found = reader.TokenType == JsonTokenType.Number ? FileText.Sanitize(System.Text.Encoding.UTF8.GetString(reader.ValueSpan), 24) : Kind(reader.TokenType);
                throw Invalid(WeightFileError.InvalidShape, source, $"tensor {FileText.Quote(name)} has an invalid dimension {found}", name, $"an integer in [0, {int.MaxValue}]", found);
            }

            dimensions[rank++] = (int)size;
        }
    }

    private static (long Begin, long End) ReadOffsets(ref Utf8JsonReader reader, string name, long dataLength, string source)
    {
        Next(ref reader, source);
        Span<long> values = stackalloc long[2];
        int count = 0;
        bool valid = reader.TokenType == JsonTokenType.StartArray;
        while (valid)
        {
            Next(ref reader, source);
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                break;
            }

            valid = count < 2 && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out values[count]) && values[count] >= 0;
            count++;
        }

        if (!valid || count != 2)
        {
            throw Invalid(WeightFileError.InvalidOffsets, source, $"tensor {FileText.Quote(name)} has data_offsets that are not two non-negative integers", name, "[begin, end]", "something else");
        }

        if (values[1] < values[0] || values[1] > dataLength)
        {
            string found = $"[{values[0]}, {values[1]}]";
            throw Invalid(WeightFileError.InvalidOffsets, source, $"tensor {FileText.Quote(name)} has data offsets {found} outside the {dataLength}-byte data section", name, $"0 ≤ begin ≤ end ≤ {dataLength}", found);
        }

        return (values[0], values[1]);
    }

    private static long ElementCount(int[] shape, string name, string source)
    {
        long count = 1;
        bool tooMany = false;
        foreach (int d in shape)
        {
            if (d == 0)
            {
                return 0;
            }

            tooMany |= count > MaxElements / d;
            count = tooMany ? MaxElements + 1 : count * d;
        }

        if (tooMany)
        {
            throw Invalid(WeightFileError.InvalidShape, source, $"tensor {FileText.Quote(name)} has more elements than any file can hold", name, $"at most {MaxElements} elements", FileText.Shape(shape));
        }

        return count;
    }

    private static void CheckTiling(List<SafeTensorEntry> entries, long dataLength, string source)
    {
        // The tensors must tile the data section: no overlaps, no gaps, nothing after (as the format's reference reader).
        // Sorted by (begin, end): the end breaks ties between empty tensors and the one that starts where they sit.
        var keys = new (long Begin, long End)[entries.Count];
        int[] order = new int[entries.Count];
        for (int i = 0; i < order.Length; i++)
        {
            keys[i] = (entries[i].DataOffset, entries[i].DataOffset + entries[i].ByteLength);
            order[i] = i;
        }

        Array.Sort(keys, order);
        long next = 0;
        for (int i = 0; i < order.Length; i++)
        {
            (long begin, long end) = keys[i];
            if (begin != next)
            {
                string name = entries[order[i]].Name;
                throw begin < next
                    ? Invalid(WeightFileError.InvalidDataLayout, source, $"tensor {FileText.Quote(name)} overlaps the one before it", name, $"data starting at byte {next}", $"byte {begin}")
                    : Invalid(WeightFileError.InvalidDataLayout, source, $"there is a gap of {begin - next} bytes before tensor {FileText.Quote(name)}", name, $"data starting at byte {next}", $"byte {begin}");
            }

            next = end;
        }

        if (next != dataLength)
        {
            throw Invalid(WeightFileError.InvalidDataLayout, source, $"its data section has {dataLength} bytes but the tensors cover {next}", expected: $"{next} bytes of data", found: $"{dataLength} bytes");
        }
    }

    private static void Next(ref Utf8JsonReader reader, string source)
    {
        if (!reader.Read())
        {
            throw Invalid(WeightFileError.InvalidHeader, source, "its header ends in the middle of the JSON object");
        }
    }

    private static void Once(ref bool seen, string name, string field, string source)
    {
        if (seen)
        {
            throw Invalid(WeightFileError.DuplicateKey, source, $"tensor {FileText.Quote(name)} has '{field}' twice", name, $"one '{field}'", "two");
        }

        seen = true;
    }

    private static void CheckName(string name, string source, string what)
    {
        if (!FileText.IsValidName(name))
        {
            throw Invalid(WeightFileError.InvalidName, source, $"a {what} name {FileText.Quote(name)} is empty or holds control characters", FileText.Sanitize(name), "printable text", FileText.Quote(name));
        }
    }

    private static string Kind(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>An exception for a file that is not valid safetensors.</summary>
    public static WeightFileException Invalid(WeightFileError error, string source, string what, string? tensor = null, string? expected = null, string? found = null, Exception? inner = null)
        => new(error, source, $"{FileText.Sanitize(source, 200)} is not a valid safetensors file: {what}.", tensor is null ? null : FileText.Sanitize(tensor), expected, found, inner);
}
