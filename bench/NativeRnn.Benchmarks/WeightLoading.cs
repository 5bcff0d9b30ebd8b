using BenchmarkDotNet.Attributes;
using Microsoft.Win32.SafeHandles;
using NativeRnn.Serialization;

namespace NativeRnn.Benchmarks;

/// <summary>A word-level language model of about 10 M parameters (42 MB of float32): 1.05 M embedding, 5.25 M LSTM, 4.2 M head.</summary>
[RnnModel]
[Embedding(4096, 256)]
[Lstm(1024)]
[Dense(4096)]
public partial class LargeWordModel;

/// <summary>
/// Loading and saving a 10 M parameter model as safetensors, against reading the file's bytes (the page
/// cache's read rate: the floor for a load from a file) and one copy of the parameter block (the floor for a
/// load from memory). The allocated column against the block's 42 MB is the loader's memory cost.
/// </summary>
[BenchmarkCategory("weights")]
public class WeightLoading
{
    private readonly LargeWordModel _model = new(1);
    private readonly byte[] _chunk = new byte[1 << 20];
    private readonly float[] _copy = new float[LargeWordModel.ParameterCount];
    private string _directory = string.Empty, _file = string.Empty, _halfFile = string.Empty, _checkpoint = string.Empty;
    private byte[] _bytes = [];

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("nativernn-bench-").FullName;
        _file = Path.Combine(_directory, "model.safetensors");
        _halfFile = Path.Combine(_directory, "model-f16.safetensors");
        _checkpoint = Path.Combine(_directory, "model.ckpt.safetensors");
        _model.SaveSafeTensors(_file);
        _model.SaveSafeTensors(_halfFile, new SafeTensorsOptions { SaveType = SafeTensorType.BF16 });
        Checkpoint.Create(_model).Save(_checkpoint);
        _bytes = File.ReadAllBytes(_file);
        Console.WriteLine($"// {LargeWordModel.ParameterCount:N0} parameters, {LargeWordModel.ParameterCount * 4L:N0} bytes; the file has {_bytes.Length:N0}.");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    /// <summary>The file's bytes read in 1 MiB chunks, kept nowhere.</summary>
    [Benchmark(Baseline = true)]
    public long ReadFileBytes()
    {
        using SafeFileHandle handle = File.OpenHandle(_file);
        long offset = 0;
        int read;
        while ((read = RandomAccess.Read(handle, _chunk, offset)) > 0)
        {
            offset += read;
        }

        return offset;
    }

    /// <summary>One copy of the parameter block.</summary>
    [Benchmark]
    public void CopyBlock() => _model.Parameters.CopyTo(_copy);

    [Benchmark]
    public void LoadFromFile() => _model.LoadSafeTensors(_file);

    [Benchmark]
    public void LoadFromMemory() => _model.LoadSafeTensors(_bytes);

    /// <summary>A BF16 file: half the bytes, each converted.</summary>
    [Benchmark]
    public void LoadBFloat16File() => _model.LoadSafeTensors(_halfFile);

    [Benchmark]
    public void SaveToStream() => _model.SaveSafeTensors(Stream.Null);

    /// <summary>Read and verify (CRC-64 over the whole file), then restore into the model.</summary>
    [Benchmark]
    public void LoadCheckpoint() => Checkpoint.Load(_checkpoint).RestoreParameters(_model);
}
