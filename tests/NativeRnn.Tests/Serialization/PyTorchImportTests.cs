using System;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Text.Json;
using NativeRnn.Serialization;
using NativeRnn.Tests.Helpers;
using NativeRnn.Tests.Models;
using Xunit;
using Xunit.Abstractions;

namespace NativeRnn.Tests.Serialization;

/// <summary>The PyTorch reference files load by name through the whole-model API, with and without a prefix, and the loaded models reproduce PyTorch's outputs.</summary>
public class PyTorchImportTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(PyTorchParityTests.Fixtures), MemberType = typeof(PyTorchParityTests))]
    public void Loads_by_name_and_reproduces_pytorch(string fixture)
    {
        string path = Path.Combine(PyTorchParityTests.FixtureDirectory, fixture + ".safetensors");
        using JsonDocument sidecar = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(path, ".json")));
        string kind = sidecar.RootElement.GetProperty("case").GetString()!;
        bool single = sidecar.RootElement.GetProperty("dtype").GetString() == "F32";
        double worst = single
            ? Check(FixtureCatalog.Cases[kind].Float(), path, sidecar.RootElement, 1e-5)
            : Check(FixtureCatalog.Cases[kind].Double(), path, sidecar.RootElement, 1e-10);
        output.WriteLine($"{fixture}: worst absolute error {worst:E2}");
    }

    private static double Check<T>(ISequenceModel<T> model, string path, JsonElement meta, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        // The fixture holds inputs, outputs and gradients besides the parameters: without IgnoreUnexpected it is refused, and named.
        WeightFileException refused = Assert.Throws<WeightFileException>(() => model.LoadSafeTensors(path));
        Assert.Equal(WeightFileError.UnexpectedTensor, refused.Error);
        Assert.Contains("'input'", refused.Message, StringComparison.Ordinal);

        SafeTensorsFile file = SafeTensorsFile.Read(path);
        SafeTensorsLoadResult result = model.LoadSafeTensors(path, new SafeTensorsOptions { IgnoreUnexpected = true });
        Assert.Equal(file.Tensors.Count - model.Layout.Count, result.IgnoredTensors.Count);
        foreach (TensorInfo tensor in model.Layout)
        {
            T[] values = new T[tensor.Length];
            tensor.Export<T>(model.Parameters, values);
            Assert.Equal(file[tensor.Name].ToArray<T>(), values);
        }

        double worst = ForwardError(model, file, meta, tolerance);

        // The same parameters under a module prefix, as a PyTorch module with self.rnn = nn.LSTM(…) writes them.
        var writer = new SafeTensorsWriter();
        foreach (SafeTensor tensor in file.Tensors.Values)
        {
            writer.Add((model.Layout.TryGetTensor(tensor.Name, out _) ? "rnn." : "") + tensor.Name, tensor.Type, tensor.Shape, tensor.Data);
        }

        using var stream = new MemoryStream();
        writer.WriteTo(stream);
        ISequenceModel<T> prefixed = (ISequenceModel<T>)Activator.CreateInstance(model.GetType())!;
        WeightFileException noPrefix = Assert.Throws<WeightFileException>(() => prefixed.LoadSafeTensors(stream.ToArray(), new SafeTensorsOptions { IgnoreUnexpected = true }));
        Assert.Contains("Prefix = \"rnn.\"", noPrefix.Message, StringComparison.Ordinal);
        prefixed.LoadSafeTensors(stream.ToArray(), new SafeTensorsOptions { Prefix = "rnn.", IgnoreUnexpected = true });
        Assert.True(model.Parameters.SequenceEqual(prefixed.Parameters));
        return Math.Max(worst, ForwardError(prefixed, file, meta, tolerance));
    }

    private static double ForwardError<T>(ISequenceModel<T> model, SafeTensorsFile file, JsonElement meta, double tolerance)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int steps = meta.GetProperty("seq_len").GetInt32();
        int batch = meta.GetProperty("batch").GetInt32();
        int layers = meta.GetProperty("num_layers").GetInt32();
        int directions = meta.GetProperty("num_directions").GetInt32();
        int hidden = meta.GetProperty("hidden_size").GetInt32();
        bool lstm = meta.GetProperty("cell").GetString() == "LSTM";
        IRecurrentTape<T> tape = model.CreateTape(steps, batch);
        T[] h0 = file["h0"].ToArray<T>();
        T[] c0 = lstm ? file["c0"].ToArray<T>() : [];
        for (int k = 0; k < layers; k++)
        {
            for (int d = 0; d < directions; d++)
            {
                int at = ((k * directions) + d) * batch * hidden;
                h0.AsSpan(at, batch * hidden).CopyTo(tape.InitialHidden(k, d));
                if (lstm)
                {
                    c0.AsSpan(at, batch * hidden).CopyTo(tape.InitialCell(k, d));
                }
            }
        }

        T[] outputs = new T[file["output"].ElementCount];
        model.Forward(tape, file["input"].ToArray<T>(), outputs);
        TensorCheck.Worst worst = TensorCheck.MaxAbsolute(file["output"].ToArray<double>(), outputs);
        Assert.True(worst.Error <= tolerance, $"output: {worst}; tolerance {tolerance:E0}.");
        return worst.Error;
    }
}
