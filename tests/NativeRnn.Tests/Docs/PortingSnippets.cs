using System;
using System.IO;
using System.Linq;
using NativeRnn;
using NativeRnn.Initialization;
using NativeRnn.Serialization;
using Xunit;

namespace NativeRnn.Tests.Docs.Porting;

// The declaration and snippets of docs/coming-from-pytorch-keras.md, run.

// PyTorch: Embedding(65, 64) → nn.LSTM(64, 128, num_layers=2) → nn.Linear(128, 65)
[RnnModel]
[Embedding(65, 64)]
[Lstm(128)]
[Lstm(128)]
[Dense(65)]
public partial class CharModel;

public sealed class PortingSnippets : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("nativernn-porting-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>The options that map PyTorch's word_language_model names (encoder, rnn, decoder) onto the model's.</summary>
    private static SafeTensorsOptions WordLanguageModelNames() => new()
    {
        Prefix = "rnn.",
        NameMap = { ["embedding.weight"] = "encoder.weight", ["head.weight"] = "decoder.weight", ["head.bias"] = "decoder.bias" },
    };

    [Fact]
    public void A_file_with_a_modules_names_loads_through_a_prefix_and_a_name_map()
    {
        string path = Path.Combine(_folder, "char.safetensors");
        var trained = new CharModel(seed: 11);
        trained.SaveSafeTensors(path, WordLanguageModelNames()); // the names torch.save gives that module
        using (SafeTensorsReader file = SafeTensorsReader.Open(path))
        {
            Assert.Equal([65, 64], file["encoder.weight"].Shape.ToArray());
            Assert.Equal([512, 64], file["rnn.weight_ih_l0"].Shape.ToArray());
            Assert.Equal([512, 128], file["rnn.weight_hh_l1"].Shape.ToArray());
            Assert.Equal([65, 128], file["decoder.weight"].Shape.ToArray());
        }

        var model = new CharModel();
        model.LoadSafeTensors(path, new SafeTensorsOptions
        {
            Prefix = "rnn.",
            NameMap = { ["embedding.weight"] = "encoder.weight", ["head.weight"] = "decoder.weight", ["head.bias"] = "decoder.bias" },
        });

        Assert.Equal(trained.Parameters.ToArray(), model.Parameters.ToArray());
    }

    [Fact]
    public void A_keras_file_loads_with_the_keras_convention()
    {
        string kerasPath = Path.Combine(_folder, "char.keras.safetensors");
        var trained = new CharModel(seed: 12);
        trained.SaveSafeTensors(kerasPath, new SafeTensorsOptions { Convention = WeightConvention.Keras });
        using (SafeTensorsReader file = SafeTensorsReader.Open(kerasPath))
        {
            Assert.Equal([64, 512], file["lstm/lstm_cell/kernel"].Shape.ToArray());
            Assert.Equal([128, 512], file["lstm_1/lstm_cell/recurrent_kernel"].Shape.ToArray());
            Assert.Equal([128, 65], file["dense/kernel"].Shape.ToArray());
        }

        var model = new CharModel();
        var options = new SafeTensorsOptions { Convention = WeightConvention.Keras };
        model.LoadSafeTensors(kerasPath, options);     // lstm/lstm_cell/kernel [I, 4H], …, dense/kernel [H, O]

        float[] expected = new float[65 * 128], actual = new float[65 * 128];
        trained.ExportTensor("head.weight", expected);
        model.ExportTensor("head.weight", actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void The_forget_gate_is_the_second_block_of_an_LSTMs_rows()
    {
        var model = new CharModel(seed: 1);
        float[] bias = new float[4 * 128];
        model.ExportTensor("bias_ih_l0", bias);        // [4H] in PyTorch's order: i, f, g, o
        Span<float> forget = bias.AsSpan(128, 128);    // f: rows [H, 2H), 1 after initialisation

        Assert.All(forget.ToArray(), b => Assert.Equal(1f, b));
        Assert.All(bias.AsSpan(0, 128).ToArray(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void PyTorchs_own_initialisation_can_be_asked_for()
    {
        var model = new CharModel();
        model.Initialize(seed: 1, new InitializationOptions
        {
            InputWeights = WeightInitializer.PyTorchUniform,      // U(−1/√H, 1/√H), as nn.LSTM
            RecurrentWeights = WeightInitializer.PyTorchUniform,
            ForgetGateBias = 0,                                  // PyTorch's biases hold no forget-gate offset
        });

        float[] recurrent = new float[512 * 128];
        model.ExportTensor("weight_hh_l0", recurrent);
        float bound = 1 / MathF.Sqrt(128);
        Assert.All(recurrent, w => Assert.InRange(w, -bound, bound));
        Assert.True(recurrent.Max() > 0.9f * bound && recurrent.Min() < -0.9f * bound);
        float[] bias = new float[512];
        model.ExportTensor("bias_ih_l0", bias);
        Assert.All(bias, b => Assert.Equal(0f, b));
    }

    [Fact]
    public void Batch_major_data_becomes_time_major()
    {
        // [B = 2, T = 3, F = 1]: sequence 0 is 1, 2, 3 and sequence 1 is 4, 5, 6
        float[] batchFirst = [1, 2, 3, 4, 5, 6];
        Assert.Equal([1, 4, 2, 5, 3, 6], ToTimeMajor(batchFirst, batch: 2, steps: 3, features: 1));
        Assert.Equal([1, 2, 3, 4, 5, 6], ToTimeMajor(ToTimeMajor(batchFirst, 2, 3, 1), batch: 3, steps: 2, features: 1));
    }

    // [B, T, F] (batch_first=True in PyTorch, Keras's layout) → [T, B, F], NativeRnn's time-major layout
    private static float[] ToTimeMajor(float[] batchMajor, int batch, int steps, int features)
    {
        float[] timeMajor = new float[batchMajor.Length];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                batchMajor.AsSpan(((b * steps) + t) * features, features).CopyTo(timeMajor.AsSpan(((t * batch) + b) * features));
            }
        }

        return timeMajor;
    }
}
