using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace NativeRnn.Serialization;

/// <summary>
/// Text taken from a file and put into a message: bounded and with every character that could hide or
/// forge text (controls, bidirectional overrides, line separators, unpaired surrogates) escaped.
/// </summary>
internal static class FileText
{
    /// <summary>Characters of a name quoted in a message before it is cut.</summary>
    public const int MaxQuoted = 64;

    /// <summary>Names listed in a message before "and N more".</summary>
    public const int MaxListed = 12;

    /// <summary><paramref name="text"/> in single quotes, sanitised and cut to <paramref name="max"/> characters.</summary>
    public static string Quote(string? text, int max = MaxQuoted) => "'" + Sanitize(text, max) + "'";

    /// <summary><paramref name="text"/> sanitised and cut to <paramref name="max"/> characters.</summary>
    public static string Sanitize(string? text, int max = MaxQuoted)
    {
        if (text is null)
        {
            return "(null)";
        }

        var builder = new StringBuilder(Math.Min(text.Length, max) + 16);
        int shown = Math.Min(text.Length, max);
        for (int i = 0; i < shown; i++)
        {
            char c = text[i];
            bool pairedSurrogate = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            if (pairedSurrogate && i + 1 < shown)
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (IsUnsafe(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        if (text.Length > shown)
        {
            builder.Append("… (").Append((text.Length - shown).ToString(CultureInfo.InvariantCulture)).Append(" more characters)");
        }

        return builder.ToString();
    }

    /// <summary>Whether a name is acceptable in a file: not empty, no control characters, no unpaired surrogates.</summary>
    public static bool IsValidName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c) || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Dimensions of a shape shown in a message before the rest are counted.</summary>
    public const int MaxDimensionsShown = 8;

    /// <summary>A shape as <c>[3, 36]</c>; past <see cref="MaxDimensionsShown"/> dimensions, the rest are counted.</summary>
    public static string Shape(ReadOnlySpan<int> shape)
    {
        var builder = new StringBuilder("[");
        int shown = Math.Min(shape.Length, MaxDimensionsShown);
        for (int i = 0; i < shown; i++)
        {
            builder.Append(i == 0 ? string.Empty : ", ").Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        if (shape.Length > shown)
        {
            builder.Append(", … (").Append((shape.Length - shown).ToString(CultureInfo.InvariantCulture)).Append(" more)");
        }

        return builder.Append(']').ToString();
    }

    /// <summary>A bounded list of already-formatted items: the first <see cref="MaxListed"/>, then "and N more".</summary>
    /// <param name="items">The items, or only the first of them.</param>
    /// <param name="total">How many there are in all, when <paramref name="items"/> holds only the first; −1 when it holds all.</param>
    public static string List(IReadOnlyList<string> items, int total = -1)
    {
        total = total < 0 ? items.Count : total;
        if (total == 0)
        {
            return "(none)";
        }

        var builder = new StringBuilder();
        int shown = Math.Min(items.Count, MaxListed);
        for (int i = 0; i < shown; i++)
        {
            builder.Append(i == 0 ? string.Empty : ", ").Append(items[i]);
        }

        if (total > shown)
        {
            builder.Append(" and ").Append((total - shown).ToString(CultureInfo.InvariantCulture)).Append(" more");
        }

        return builder.ToString();
    }

    // Controls (C0, DEL, C1), and format characters that reorder or break lines when a message is displayed.
    private static bool IsUnsafe(char c)
        => char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C' or '\uFEFF';
}
