using System;
using System.Text;

namespace NativeRnn.Text;

/// <summary>
/// The byte-level vocabulary: 256 ids, one per byte of the UTF-8 encoding, so a model declared with
/// <c>[Embedding(256, …)]</c> reads any file without a vocabulary of its own. A character outside ASCII takes two to four
/// steps; decoding turns a sequence that is not valid UTF-8 into U+FFFD.
/// </summary>
public static class ByteVocabulary
{
    /// <summary>The number of ids.</summary>
    public const int Count = 256;

    /// <summary>Encodes text as the ids of its UTF-8 bytes.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The ids.</returns>
    public static int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Encode(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>The ids of raw bytes (a file read as it is).</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The ids.</returns>
    public static int[] Encode(ReadOnlySpan<byte> bytes)
    {
        int[] ids = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            ids[i] = bytes[i];
        }

        return ids;
    }

    /// <summary>Decodes ids as UTF-8.</summary>
    /// <param name="ids">Ids in <c>[0, 256)</c>.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is not a byte.</exception>
    public static string Decode(ReadOnlySpan<int> ids)
    {
        byte[] bytes = new byte[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= Count)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"Id {i} is {ids[i]}, not a byte.");
            }

            bytes[i] = (byte)ids[i];
        }

        return Encoding.UTF8.GetString(bytes);
    }
}
