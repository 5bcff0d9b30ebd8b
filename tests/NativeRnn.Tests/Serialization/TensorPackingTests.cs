using System;
using FsCheck;
using FsCheck.Fluent;
using NativeRnn.Serialization;
using NativeRnn.Tests.Helpers;
using Xunit;

namespace NativeRnn.Tests.Serialization;

/// <summary>The chunked, tiled packing the loader and saver use agrees with <see cref="TensorInfo"/>'s element-by-element import and export, for every storage, shape and chunk size.</summary>
public class TensorPackingTests
{
    private static Arbitrary<(int Rows, int Columns, int Storage, int Panel, int Chunk, int Seed)> Shapes()
        => (from rows in Gen.Choose(1, 150)
            from columns in Gen.Choose(1, 90)
            from storage in Gen.Choose(0, 2)
            from panel in Gen.Elements(1, 5, 8, 32, 64)
            from chunk in Gen.Choose(1, 160)
            from seed in Gen.Choose(0, int.MaxValue)
            select (rows, columns, storage, panel, chunk, seed)).ToArbitrary();

    [Fact]
    public void Chunked_packing_matches_the_element_by_element_import_in_float() => Property<float>();

    [Fact]
    public void Chunked_packing_matches_the_element_by_element_import_in_double() => Property<double>();

    private static void Property<T>()
        where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
    {
        Prop.ForAll(Shapes(), c =>
        {
            var storage = (TensorStorage)c.Storage;
            var tensor = new TensorInfo("w", TensorRole.InputWeight, 3, [c.Rows, c.Columns], storage, 1, -1, storage == TensorStorage.Panels ? c.Panel : 0);
            T[] values = ModelTools.Convert<T>(ModelTools.Uniform((ulong)c.Seed, 0, tensor.Length));
            T[] expected = new T[tensor.Length + 3];
            tensor.Import<T>(expected, values);

            T[] packed = new T[tensor.Length];
            T[] unpacked = new T[tensor.Length];
            for (int r = 0; r < c.Rows; r += c.Chunk)
            {
                int n = Math.Min(c.Chunk, c.Rows - r);
                TensorPacking.PackRows<T>(tensor, values.AsSpan(r * c.Columns, n * c.Columns), r, packed);
            }

            Assert.Equal(expected[3..], packed);
            for (int r = 0; r < c.Rows; r += c.Chunk)
            {
                int n = Math.Min(c.Chunk, c.Rows - r);
                TensorPacking.UnpackRows<T>(tensor, packed, r, unpacked.AsSpan(r * c.Columns, n * c.Columns));
            }

            Assert.Equal(values, unpacked);
        }).Check(Harness.Config(300));
    }
}
