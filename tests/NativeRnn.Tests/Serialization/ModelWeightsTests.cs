using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Numerics;
using NativeRnn.Serialization;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Models;
using Xunit;

namespace NativeRnn.Tests.Serialization;

/// <summary>Whole-model safetensors save and load: exact round trips, PyTorch's layout in the file, and atomic refusal of every file that does not fit.</summary>
public class ModelWeightsTests
{
    public static IEnumerable<object[]> FloatModels() => Catalog.Float().Select(c => new object[] { c.Name });

    public static IEnumerable<object[]> DoubleModels() => Catalog.Double().Select(c => new object[] { c.Name });

    private static ModelCase<float> FloatCase(string name) => Catalog.Float().Single(c => c.Name == name);

    private static ModelCase<double> DoubleCase(string name) => Catalog.Double().Single(c => c.Name == name);

    internal static byte[] Save<T>(IRecurrentModel<T> model, SafeTensorsOptions? options = null)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        using var stream = new MemoryStream();
        model.SaveSafeTensors(stream, options);
        return stream.ToArray();
    }

    [Theory]
    [MemberData(nameof(FloatModels))]
    public void Save_then_load_is_bit_identical_in_float(string name) => RoundTrip(FloatCase(name));

    [Theory]
    [MemberData(nameof(DoubleModels))]
    public void Save_then_load_is_bit_identical_in_double(string name) => RoundTrip(DoubleCase(name));

    private static void RoundTrip<T>(ModelCase<T> modelCase)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        IRecurrentModel<T> source = modelCase.CreateRandomized(11);
        byte[] bytes = Save(source);

        // The file holds PyTorch's names, shapes and row-major values, not the packed block.
        SafeTensorsFile file = SafeTensorsFile.Parse(bytes);
        using (SafeTensorsReader reader = SafeTensorsReader.Open(bytes))
        {
            Assert.Equal(source.Layout.Select(t => t.Name), reader.Tensors.Select(t => t.Name));
        }

        Assert.Equal(source.Layout.Count, file.Tensors.Count);
        Assert.Equal("pt", file.Metadata["format"]);
        foreach (TensorInfo tensor in source.Layout)
        {
            T[] expected = new T[tensor.Length];
            tensor.Export<T>(source.Parameters, expected);
            Assert.Equal(tensor.Shape.ToArray(), file[tensor.Name].Shape.ToArray());
            Assert.Equal(expected, file[tensor.Name].ToArray<T>());
        }

        IRecurrentModel<T> target = modelCase.Create(99);
        target.LoadSafeTensors(bytes);
        Assert.True(source.Parameters.SequenceEqual(target.Parameters), "The loaded parameters differ from the saved ones.");

        // Through a file on disk as well.
        string path = Path.Combine(Path.GetTempPath(), $"nativernn-{Guid.NewGuid():N}.safetensors");
        try
        {
            source.SaveSafeTensors(path);
            IRecurrentModel<T> fromDisk = modelCase.Create(98);
            fromDisk.LoadSafeTensors(path);
            Assert.True(source.Parameters.SequenceEqual(fromDisk.Parameters));
            Assert.False(File.Exists(path + ".tmp"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Loads_any_floating_point_type_and_saves_narrower_types_by_rounding()
    {
        var source = (MixedStackD)DoubleCase("MixedStackD").CreateRandomized(5);
        var asFloat = new MixedStackF(1);
        asFloat.LoadSafeTensors(Save(source));

        // The float and double blocks are packed differently (panels of 64 and 32), so compare in PyTorch's layout.
        Dictionary<string, double[]> wide = ModelTools.ExportAll(source);
        foreach ((string tensor, double[] values) in ModelTools.ExportAll(asFloat))
        {
            Assert.Equal(Array.ConvertAll(wide[tensor], v => (double)(float)v), values);
        }

        var narrowed = new MixedStackF(2);
        narrowed.LoadSafeTensors(Save(source, new SafeTensorsOptions { SaveType = SafeTensorType.F32 }));
        Assert.True(asFloat.Parameters.SequenceEqual(narrowed.Parameters));

        foreach (SafeTensorType type in new[] { SafeTensorType.F16, SafeTensorType.BF16 })
        {
            byte[] bytes = Save(source, new SafeTensorsOptions { SaveType = type });
            Assert.All(SafeTensorsFile.Parse(bytes).Tensors.Values, t => Assert.Equal(type, t.Type));
            var back = new MixedStackD(3);
            back.LoadSafeTensors(bytes);
            for (int i = 0; i < back.Parameters.Length; i++)
            {
                double expected = type == SafeTensorType.F16 ? (double)(Half)source.Parameters[i] : BFloat16(source.Parameters[i]);
                Assert.Equal(expected, back.Parameters[i]);
            }
        }
    }

    // Round to nearest, ties to even, from the exact binary expansion: the double's 53-bit significand cut to 8.
    private static double BFloat16(double value)
    {
        if (value == 0)
        {
            return value;
        }

        int exponent = Math.ILogB(value);
        double ulp = Math.ScaleB(1.0, exponent - 7);
        return Math.Round(value / ulp, MidpointRounding.ToEven) * ulp;
    }

    [Fact]
    public void A_value_too_large_for_the_save_type_is_refused_before_anything_is_written()
    {
        var model = new LstmSmallF(1);
        model.Parameters[^1] = 70_000f;
        using var stream = new MemoryStream();
        ArgumentException e = Assert.Throws<ArgumentException>(() => model.SaveSafeTensors(stream, new SafeTensorsOptions { SaveType = SafeTensorType.F16 }));
        Assert.Contains("head.bias", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, stream.Length);

        model.Parameters[0] = float.NaN;
        Assert.Throws<ArgumentException>(() => model.SaveSafeTensors(stream));
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Prefix_and_name_map_give_pytorch_module_names_both_ways()
    {
        var source = (TokenStackF)FloatCase("TokenStackF").CreateRandomized(3);
        var options = new SafeTensorsOptions
        {
            Prefix = "rnn.",
            NameMap = { ["embedding.weight"] = "encoder.weight", ["head.weight"] = "decoder.weight", ["head.bias"] = "decoder.bias" },
        };
        byte[] bytes = Save(source, options);
        string[] names = SafeTensorsFile.Parse(bytes).Tensors.Keys.Order(StringComparer.Ordinal).ToArray();
        Assert.Contains("rnn.weight_ih_l0", names);
        Assert.Contains("rnn.bias_hh_l1", names);
        Assert.Contains("encoder.weight", names);
        Assert.Contains("decoder.bias", names);
        Assert.DoesNotContain(names, n => n.StartsWith("rnn.head", StringComparison.Ordinal) || n.StartsWith("rnn.embedding", StringComparison.Ordinal));

        var target = new TokenStackF(8);
        target.LoadSafeTensors(bytes, options);
        Assert.True(source.Parameters.SequenceEqual(target.Parameters));

        // Without the options the names do not match, and the message says which options would.
        float[] before = target.Parameters.ToArray();
        WeightFileException e = Assert.Throws<WeightFileException>(() => target.LoadSafeTensors(bytes));
        Assert.Equal(WeightFileError.MissingTensor, e.Error);
        Assert.Contains("Missing: 'embedding.weight' [11, 6]", e.Message, StringComparison.Ordinal);
        Assert.Contains("Unexpected: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("'rnn.weight_ih_l0' [32, 6]", e.Message, StringComparison.Ordinal);
        Assert.Contains("Prefix = \"rnn.\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("NameMap[\"head.weight\"] = \"decoder.weight\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("NameMap[\"embedding.weight\"] = \"encoder.weight\"", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, target.Parameters.ToArray());

        Assert.Throws<ArgumentException>(() => target.LoadSafeTensors(bytes, new SafeTensorsOptions { NameMap = { ["fc.weight"] = "x" } }));
        Assert.Throws<ArgumentException>(() => target.LoadSafeTensors(bytes, new SafeTensorsOptions { NameMap = { ["head.weight"] = "weight_ih_l0" } }));
    }

    [Fact]
    public void Unexpected_tensors_are_refused_unless_ignored()
    {
        var source = new GruAfterF(4);
        var writer = new SafeTensorsWriter();
        foreach (TensorInfo tensor in GruAfterF.Layout)
        {
            float[] values = new float[tensor.Length];
            source.ExportTensor(tensor.Name, values);
            writer.Add<float>(tensor.Name, values, tensor.Shape);
        }

        writer.Add<long>("num_batches_tracked", new long[] { 7 }, []);
        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        byte[] bytes = stream.ToArray();

        var target = new GruAfterF(5);
        WeightFileException e = Assert.Throws<WeightFileException>(() => target.LoadSafeTensors(bytes));
        Assert.Equal(WeightFileError.UnexpectedTensor, e.Error);
        Assert.Contains("'num_batches_tracked'", e.Message, StringComparison.Ordinal);
        Assert.Contains("IgnoreUnexpected", e.Message, StringComparison.Ordinal);

        SafeTensorsLoadResult result = target.LoadSafeTensors(bytes, new SafeTensorsOptions { IgnoreUnexpected = true });
        Assert.Equal(["num_batches_tracked"], result.IgnoredTensors);
        Assert.True(source.Parameters.SequenceEqual(target.Parameters));
    }

    /// <summary>One tensor of a valid file replaced, to make it wrong in one way.</summary>
    private static byte[] WithTensor(IRecurrentModel<float> model, string name, SafeTensorType type, int[] shape, byte[] data, bool drop = false)
    {
        var writer = new SafeTensorsWriter();
        foreach (TensorInfo tensor in model.Layout)
        {
            if (tensor.Name == name)
            {
                if (!drop)
                {
                    writer.Add(name, type, shape, data);
                }

                continue;
            }

            float[] values = new float[tensor.Length];
            tensor.Export<float>(model.Parameters, values);
            writer.Add<float>(tensor.Name, values, tensor.Shape);
        }

        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        return stream.ToArray();
    }

    [Fact]
    public void Wrong_shapes_types_and_values_are_refused_and_leave_the_model_unchanged()
    {
        var donor = new LstmSmallF(1); // weight_ih_l0 [28, 3]
        float[] transposed = new float[28 * 3];
        byte[] floats = SafeTensorsBytes.Floats(transposed);
        var cases = new (byte[] File, WeightFileError Error, string Text)[]
        {
            (WithTensor(donor, "weight_ih_l0", SafeTensorType.F32, [3, 28], floats), WeightFileError.ShapeMismatch, "has shape [3, 28] but the model needs [28, 3] (its transpose"),
            (WithTensor(donor, "weight_ih_l0", SafeTensorType.F32, [84], floats), WeightFileError.ShapeMismatch, "has shape [84] but the model needs [28, 3] (the same 84 elements"),
            (WithTensor(donor, "weight_ih_l0", SafeTensorType.F32, [1, 28, 3], floats), WeightFileError.ShapeMismatch, "[1, 28, 3]"),
            (WithTensor(donor, "weight_ih_l0", SafeTensorType.I32, [28, 3], floats), WeightFileError.TypeMismatch, "holds I32 values"),
            (WithTensor(donor, "weight_ih_l0", SafeTensorType.F32, [28, 3], SafeTensorsBytes.Floats([.. new float[83], float.NaN])), WeightFileError.NonFiniteValue, "NaN at [27, 2]"),
            (WithTensor(donor, "head.bias", SafeTensorType.F32, [2], SafeTensorsBytes.Floats(1, float.PositiveInfinity)), WeightFileError.NonFiniteValue, "at [1]"),
            (WithTensor(donor, "head.bias", SafeTensorType.F16, [2], [0x00, 0x7C, 0, 0]), WeightFileError.NonFiniteValue, "at [0]"),
            (WithTensor(donor, "bias_hh_l0", SafeTensorType.F32, [28], [], drop: true), WeightFileError.MissingTensor, "Missing: 'bias_hh_l0' [28]"),
        };

        foreach ((byte[] file, WeightFileError error, string text) in cases)
        {
            var model = new LstmSmallF(2);
            float[] before = model.Parameters.ToArray();
            WeightFileException e = Assert.Throws<WeightFileException>(() => model.LoadSafeTensors(file));
            Assert.Equal(error, e.Error);
            Assert.Contains(text, e.Message, StringComparison.Ordinal);
            Assert.StartsWith("the buffer does not fit the model: ", e.Message, StringComparison.Ordinal);
            Assert.Equal(before, model.Parameters.ToArray());
        }
    }

    [Fact]
    public void The_per_tensor_import_refuses_non_finite_values_and_wrong_shapes()
    {
        var model = new LstmSmallF(2);
        float[] before = model.Parameters.ToArray();
        float[] values = new float[28 * 3];
        values[40] = float.NegativeInfinity;
        ArgumentException e = Assert.Throws<ArgumentException>(() => LstmSmallF.Layout["weight_ih_l0"].Import<float>(model.Parameters, values));
        Assert.Contains("at [13, 1]", e.Message, StringComparison.Ordinal);
        values[40] = 0;
        Assert.Throws<ArgumentException>(() => LstmSmallF.Layout["weight_ih_l0"].Import<float>(model.Parameters, values, [3, 28]));
        Assert.Equal(before, model.Parameters.ToArray());
        LstmSmallF.Layout["weight_ih_l0"].Import<float>(model.Parameters, values, [28, 3]);
        Assert.Equal(0f, LstmSmallF.Layout["weight_ih_l0"].At<float>(model.Parameters, 13, 1));
    }

    [Fact]
    public void Loads_from_a_span_and_from_an_open_reader()
    {
        var source = (BiGruD)DoubleCase("BiGruD").CreateRandomized(21);
        byte[] bytes = Save(source);
        var fromSpan = new BiGruD(1);
        fromSpan.LoadSafeTensors(bytes.AsSpan());
        Assert.True(source.Parameters.SequenceEqual(fromSpan.Parameters));

        using SafeTensorsReader reader = SafeTensorsReader.Open(bytes);
        var fromReader = new BiGruD(2);
        fromReader.LoadSafeTensors(reader);
        Assert.True(source.Parameters.SequenceEqual(fromReader.Parameters));
    }

    [Fact]
    public void A_layout_without_biases_saves_and_loads_like_any_other()
    {
        // What the generator writes for Bias = false: the recurrent layer simply has no bias tensors.
        var layout = new ModelLayout(
            4 * 5 * 3 + 4 * 5 * 5 + 2 * 5 + 2,
            new TensorInfo("weight_ih_l0", TensorRole.InputWeight, 0, [20, 3], TensorStorage.Panels, 4, -1, 64),
            new TensorInfo("weight_hh_l0", TensorRole.RecurrentWeight, 60, [20, 5], TensorStorage.Panels, 4, -1, 64),
            new TensorInfo("head.weight", TensorRole.HeadWeight, 160, [2, 5], TensorStorage.Panels, 1, -1, 64),
            new TensorInfo("head.bias", TensorRole.HeadBias, 170, [2]));
        var description = new ModelDescription(typeof(float), 3, 2, [new LayerDescription(LayerKind.Lstm, 3, 5, Activation.Tanh, false, true)], 2);
        float[] block = ModelTools.Convert<float>(ModelTools.Uniform(3, 0, layout.ParameterCount));
        using var stream = new MemoryStream();
        WeightSaver.Save<float>(stream, description, layout, block, new SafeTensorsOptions());
        byte[] bytes = stream.ToArray();
        Assert.Equal(["weight_ih_l0", "weight_hh_l0", "head.weight", "head.bias"], SafeTensorsFile.Parse(bytes).Tensors.Keys);

        float[] loaded = new float[layout.ParameterCount];
        using SafeTensorsReader reader = SafeTensorsReader.Open(bytes);
        WeightLoader.Load<float>(reader, description, layout, loaded, new SafeTensorsOptions());
        Assert.Equal(block, loaded);

        foreach (WeightConvention convention in new[] { WeightConvention.Keras })
        {
            using var keras = new MemoryStream();
            WeightSaver.Save<float>(keras, description, layout, block, new SafeTensorsOptions { Convention = convention });
            Assert.Equal(["lstm/lstm_cell/kernel", "lstm/lstm_cell/recurrent_kernel", "dense/kernel", "dense/bias"], SafeTensorsFile.Parse(keras.ToArray()).Tensors.Keys);
            float[] back = new float[layout.ParameterCount];
            using SafeTensorsReader kerasReader = SafeTensorsReader.Open(keras.ToArray());
            WeightLoader.Load<float>(kerasReader, description, layout, back, new SafeTensorsOptions { Convention = convention });
            Assert.Equal(block, back);
        }
    }
}
