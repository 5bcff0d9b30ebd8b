using System;
using System.Collections.Generic;
using System.Text;

namespace NativeRnn.Text;

/// <summary>What a vocabulary does with a character it has not seen.</summary>
public enum UnknownCharacters
{
    /// <summary>Refuse it: encoding throws, naming the character and where it stands.</summary>
    Throw,

    /// <summary>Map it to the vocabulary's unknown token (id 0, decoded as U+FFFD), which the vocabulary then reserves.</summary>
    MapToUnknown,

    /// <summary>Leave it out of the encoding.</summary>
    Skip,
}

/// <summary>
/// A character vocabulary built from a text: every distinct Unicode scalar value (a <see cref="Rune"/>, so characters
/// outside the basic plane stay whole) gets an id, in ordinal order, so the same text always gives the same ids. Encoding
/// and decoding allocate nothing but the strings they return. With <see cref="UnknownCharacters.MapToUnknown"/>, id 0
/// is reserved for characters the text did not hold.
/// </summary>
public sealed class CharacterVocabulary
{
    private readonly Rune[] _runes;
    private readonly Dictionary<int, int> _ids;

    private CharacterVocabulary(Rune[] runes, UnknownCharacters unknown)
    {
        _runes = runes;
        Unknown = unknown;
        _ids = new Dictionary<int, int>(runes.Length);
        for (int i = unknown == UnknownCharacters.MapToUnknown ? 1 : 0; i < runes.Length; i++)
        {
            _ids[runes[i].Value] = i;
        }
    }

    /// <summary>The number of ids: the model's vocabulary size.</summary>
    public int Count => _runes.Length;

    /// <summary>What encoding does with a character the vocabulary lacks.</summary>
    public UnknownCharacters Unknown { get; }

    /// <summary>The characters in id order (with the unknown token first when there is one), as one string: what a checkpoint stores.</summary>
    public string Characters
    {
        get
        {
            var builder = new StringBuilder(_runes.Length);
            for (int i = Unknown == UnknownCharacters.MapToUnknown ? 1 : 0; i < _runes.Length; i++)
            {
                builder.Append(_runes[i].ToString());
            }

            return builder.ToString();
        }
    }

    /// <summary>Builds the vocabulary of <paramref name="text"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="unknown">What to do later with characters the text lacks.</param>
    /// <returns>The vocabulary.</returns>
    /// <exception cref="ArgumentException">The text is empty or holds an unpaired surrogate.</exception>
    public static CharacterVocabulary FromText(string text, UnknownCharacters unknown = UnknownCharacters.Throw)
    {
        ArgumentNullException.ThrowIfNull(text);
        var seen = new SortedSet<int>();
        int index = 0;
        foreach (Rune rune in Runes(text))
        {
            seen.Add(rune.Value);
            index++;
        }

        if (seen.Count == 0)
        {
            throw new ArgumentException("A vocabulary needs at least one character.", nameof(text));
        }

        var runes = new List<Rune>(seen.Count + 1);
        if (unknown == UnknownCharacters.MapToUnknown)
        {
            runes.Add(Rune.ReplacementChar);
        }

        foreach (int value in seen)
        {
            runes.Add(new Rune(value));
        }

        return new CharacterVocabulary([.. runes], unknown);
    }

    /// <summary>Restores a vocabulary from <see cref="Characters"/> (each character once, in id order).</summary>
    /// <param name="characters">The characters.</param>
    /// <param name="unknown">The policy the vocabulary was built with.</param>
    /// <returns>The vocabulary, with the same ids.</returns>
    /// <exception cref="ArgumentException">A character repeats or the string is empty.</exception>
    public static CharacterVocabulary FromCharacters(string characters, UnknownCharacters unknown = UnknownCharacters.Throw)
    {
        ArgumentNullException.ThrowIfNull(characters);
        var runes = new List<Rune>();
        var seen = new HashSet<int>();
        if (unknown == UnknownCharacters.MapToUnknown)
        {
            runes.Add(Rune.ReplacementChar);
        }

        foreach (Rune rune in Runes(characters))
        {
            if (!seen.Add(rune.Value))
            {
                throw new ArgumentException($"The character U+{rune.Value:X4} appears twice in the vocabulary.", nameof(characters));
            }

            runes.Add(rune);
        }

        if (seen.Count == 0)
        {
            throw new ArgumentException("A vocabulary needs at least one character.", nameof(characters));
        }

        return new CharacterVocabulary([.. runes], unknown);
    }

    /// <summary>The id of one character, or −1 when the vocabulary lacks it (and maps nothing to the unknown token).</summary>
    /// <param name="rune">The character.</param>
    /// <returns>The id.</returns>
    public int IdOf(Rune rune) => _ids.TryGetValue(rune.Value, out int id) ? id : Unknown == UnknownCharacters.MapToUnknown ? 0 : -1;

    /// <summary>The character of an id.</summary>
    /// <param name="id">The id, in <c>[0, Count)</c>.</param>
    /// <returns>The character.</returns>
    public Rune CharacterOf(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, Count);
        return _runes[id];
    }

    /// <summary>Encodes <paramref name="text"/> into <paramref name="ids"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="ids">Receives one id per kept character; at least as long as the text's characters.</param>
    /// <returns>Ids written.</returns>
    /// <exception cref="ArgumentException">A character is unknown and the policy is <see cref="UnknownCharacters.Throw"/>, or <paramref name="ids"/> is too short.</exception>
    public int Encode(ReadOnlySpan<char> text, Span<int> ids)
    {
        int count = 0, position = 0;
        while (!text.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(text, out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
            {
                throw new ArgumentException($"The text holds an unpaired surrogate at index {position}.", nameof(text));
            }

            int id = IdOf(rune);
            if (id < 0 && Unknown == UnknownCharacters.Throw)
            {
                throw new ArgumentException($"The character '{rune}' (U+{rune.Value:X4}) at index {position} is not in the vocabulary of {Count} characters.", nameof(text));
            }

            if (id >= 0)
            {
                if (count == ids.Length)
                {
                    throw new ArgumentException($"'{nameof(ids)}' has room for {ids.Length} ids, fewer than the text needs.", nameof(ids));
                }

                ids[count++] = id;
            }

            text = text.Slice(used);
            position += used;
        }

        return count;
    }

    /// <summary>Encodes a whole text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The ids.</returns>
    /// <exception cref="ArgumentException">A character is unknown and the policy is <see cref="UnknownCharacters.Throw"/>.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int[] ids = new int[text.Length];
        int count = Encode(text, ids);
        return count == ids.Length ? ids : ids[..count];
    }

    /// <summary>Decodes ids into text.</summary>
    /// <param name="ids">The ids.</param>
    /// <returns>The text.</returns>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var builder = new StringBuilder(ids.Length);
        foreach (int id in ids)
        {
            builder.Append(CharacterOf(id).ToString());
        }

        return builder.ToString();
    }

    /// <summary>Writes the character of <paramref name="id"/> as UTF-16 into <paramref name="destination"/> (no allocation).</summary>
    /// <param name="id">The id.</param>
    /// <param name="destination">At least 2 chars.</param>
    /// <returns>Chars written (1 or 2).</returns>
    public int Decode(int id, Span<char> destination) => CharacterOf(id).EncodeToUtf16(destination);

    private static IEnumerable<Rune> Runes(string text)
    {
        int position = 0;
        while (position < text.Length)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(position), out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
            {
                throw new ArgumentException($"The text holds an unpaired surrogate at index {position}.", nameof(text));
            }

            yield return rune;
            position += used;
        }
    }
}
