using System;
using System.Collections.Generic;

namespace NativeRnn.Cli.Models;

// Byte-level language models: 256 token ids, so any file trains without a vocabulary of its own (a character
// vocabulary of up to 256 characters maps onto the same ids). Three cells in three sizes.

[RnnModel][Embedding(256, 32)][Lstm(128)][Dense(256)] internal sealed partial class TextLstmSmall;
[RnnModel][Embedding(256, 64)][Lstm(256)][Dropout(0.1)][Dense(256)] internal sealed partial class TextLstm;
[RnnModel][Embedding(256, 64)][Lstm(512)][Dropout(0.2)][Dense(256)] internal sealed partial class TextLstmLarge;
[RnnModel][Embedding(256, 32)][Gru(128)][Dense(256)] internal sealed partial class TextGruSmall;
[RnnModel][Embedding(256, 64)][Gru(256)][Dropout(0.1)][Dense(256)] internal sealed partial class TextGru;
[RnnModel][Embedding(256, 64)][Gru(512)][Dropout(0.2)][Dense(256)] internal sealed partial class TextGruLarge;
[RnnModel][Embedding(256, 32)][SimpleRnn(128)][Dense(256)] internal sealed partial class TextRnnSmall;
[RnnModel][Embedding(256, 64)][SimpleRnn(256)][Dense(256)] internal sealed partial class TextRnn;
[RnnModel][Embedding(256, 64)][SimpleRnn(512)][Dropout(0.1)][Dense(256)] internal sealed partial class TextRnnLarge;

/// <summary>The text models by cell and size, and their names in saved files.</summary>
internal static class TextModels
{
    public const int Vocabulary = 256;

    public static readonly string[] Cells = ["lstm", "gru", "rnn"];

    public static readonly string[] Sizes = ["small", "medium", "large"];

    /// <summary>The name a saved model carries: <c>text-lstm-medium</c>.</summary>
    public static string Name(string cell, string size) => $"text-{cell}-{size}";

    /// <summary>A new model of the cell and size, initialised from <paramref name="seed"/>.</summary>
    public static ITokenStreamingModel<float> Create(string cell, string size, ulong seed) => (cell, size) switch
    {
        ("lstm", "small") => new TextLstmSmall(seed),
        ("lstm", "medium") => new TextLstm(seed),
        ("lstm", "large") => new TextLstmLarge(seed),
        ("gru", "small") => new TextGruSmall(seed),
        ("gru", "medium") => new TextGru(seed),
        ("gru", "large") => new TextGruLarge(seed),
        ("rnn", "small") => new TextRnnSmall(seed),
        ("rnn", "medium") => new TextRnn(seed),
        ("rnn", "large") => new TextRnnLarge(seed),
        _ => throw new ArgumentException($"There is no {cell} model of size {size}; the cells are {string.Join(", ", Cells)} and the sizes {string.Join(", ", Sizes)}."),
    };

    /// <summary>The model a saved name stands for.</summary>
    public static ITokenStreamingModel<float> FromName(string name)
    {
        string[] parts = name.Split('-');
        if (parts.Length != 3 || parts[0] != "text")
        {
            throw new ArgumentException($"'{name}' is not a text model of this program (text-<cell>-<size>).");
        }

        return Create(parts[1], parts[2], 0);
    }

    public static IEnumerable<string> Names()
    {
        foreach (string cell in Cells)
        {
            foreach (string size in Sizes)
            {
                yield return Name(cell, size);
            }
        }
    }
}
