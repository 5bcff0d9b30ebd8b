using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using NativeRnn.Generators.Helpers;
using NativeRnn.Generators.Models;

namespace NativeRnn.Generators.Emit;

/// <summary>One vector width of the emitted step code.</summary>
internal sealed class VectorWidth
{
    public VectorWidth(int bits, int elementSize)
    {
        Bits = bits;
        Lanes = bits == 0 ? 1 : bits / 8 / elementSize;
    }

    /// <summary>512, 256, 128, or 0 for single elements.</summary>
    public int Bits { get; }

    public int Lanes { get; }

    /// <summary>The alias of the runtime's operations at this width (<c>NrnnMath512</c> …).</summary>
    public string Math => "NrnnMath" + (Bits == 0 ? 1 : Bits);

    /// <summary>Accumulators a kernel may keep in registers: AVX-512 has 32 vector registers; AVX2 and SSE 16.</summary>
    public int Budget => Bits == 512 ? 24 : 12;

    /// <summary>The widths a kernel is written for, widest first (single elements only finish remainders).</summary>
    public static VectorWidth[] Vectors(int elementSize) => new[] { new VectorWidth(512, elementSize), new VectorWidth(256, elementSize), new VectorWidth(128, elementSize) };

    /// <summary>This width and the narrower ones, down to single elements, for remainders.</summary>
    public IEnumerable<VectorWidth> AndNarrower(int elementSize)
    {
        for (int bits = Bits; bits >= 128; bits /= 2)
        {
            yield return new VectorWidth(bits, elementSize);
        }

        yield return new VectorWidth(0, elementSize);
    }
}

/// <summary>
/// One accumulator group of a cell: the pre-activations of one gate block, with where its value
/// starts and which weights add to it. A GRU's n block has two (input and recurrent parts), because
/// its reset gate multiplies only the recurrent one.
/// </summary>
internal sealed class GateGroup
{
    public GateGroup(string name, int block, bool input, bool recurrent)
    {
        Name = name;
        Block = block;
        Input = input;
        Recurrent = recurrent;
    }

    /// <summary>Short variable name: i, f, g, o; r, z, nx, nh; a.</summary>
    public string Name { get; }

    /// <summary>Gate block in PyTorch's order: its columns are <c>[Block·H, (Block+1)·H)</c>.</summary>
    public int Block { get; }

    /// <summary>Whether <c>W_ih x</c> (or the projection) adds to it.</summary>
    public bool Input { get; }

    /// <summary>Whether <c>W_hh h</c> adds to it.</summary>
    public bool Recurrent { get; }
}

/// <summary>A packed weight matrix as the kernels read it: <c>[Rows, G·H]</c> panel-major at <c>Offset</c>.</summary>
internal sealed class MatrixInfo
{
    public MatrixInfo(string name, int offset, int rows, string offsetName)
    {
        OffsetName = offsetName;
        Name = name;
        Offset = offset;
        Rows = rows;
    }

    /// <summary><c>wih</c> or <c>whh</c>: the prefix of the emitted references into it.</summary>
    public string Name { get; }

    public int Offset { get; }

    /// <summary>The model's constant for <see cref="Offset"/>, e.g. <c>WeightIhL0Offset</c>.</summary>
    public string OffsetName { get; }

    public int Rows { get; }
}

/// <summary>A register tile of every hidden unit, and how its rows are spread over accumulator sets.</summary>
internal sealed class TilePlan
{
    public TilePlan(int units, int rowSets)
    {
        Units = units;
        RowSets = rowSets;
    }

    /// <summary>Hidden units: all of the layer's.</summary>
    public int Units { get; }

    /// <summary>Rows are split over this many accumulator sets, for independent chains.</summary>
    public int RowSets { get; }
}

/// <summary>The shape of a kernel at one width: register tiles, or (when <see cref="Tiles"/> is null) panels and a cell pass.</summary>
internal sealed class StepShape
{
    public StepShape(TilePlan? tiles, int accumulators, VectorWidth tileWidth, VectorWidth kernelWidth)
    {
        Tiles = tiles;
        Accumulators = accumulators;
        TileWidth = tileWidth;
        KernelWidth = kernelWidth;
    }

    public TilePlan? Tiles { get; }

    public int Accumulators { get; }

    /// <summary>The vectors of the tiles: the kernel's width, or a narrower one that divides the hidden size.</summary>
    public VectorWidth TileWidth { get; }

    public VectorWidth KernelWidth { get; }

    public string Describe() => Tiles is null
        ? "each weight panel streamed into a pre-activation buffer, then a vectorised cell pass"
        : $"one register tile of {Tiles.Units} units, {Accumulators} accumulators in {Tiles.RowSets} row set(s)"
          + (TileWidth.Bits == KernelWidth.Bits ? string.Empty : $" of {TileWidth.Bits}-bit vectors");
}
