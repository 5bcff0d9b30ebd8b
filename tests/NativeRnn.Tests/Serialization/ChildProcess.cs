using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using NativeRnn.Initialization;
using NativeRnn.Serialization;
using NativeRnn.Tests.Models;

namespace NativeRnn.Tests.Serialization;

/// <summary>
/// The test assembly's entry point. The test runner loads the assembly as a library and never calls it;
/// the crash-safety test starts the assembly as a program that writes checkpoints until it is killed.
/// </summary>
public static class ChildProcess
{
    public const string WriteCheckpoints = "write-checkpoints";
    public const string Train = "train";

    public const string ResumeTraining = "resume-training";

    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == WriteCheckpoints)
        {
            CheckpointLoop(args[1]);
        }

        if (args.Length == 3 && args[0] == ResumeTraining)
        {
            Training.ResumeTests.ResumeAndSave(args[1], args[2]);
            return 0;
        }

        if (args.Length == 4 && args[0] == Train)
        {
            // train <checkpoint to resume, or "-"> <steps> <checkpoint to write>
            Checkpoint? resume = args[1] == "-" ? null : Checkpoint.Load(args[1]);
            TrainingRun run = TrainingRun.Start(resume);
            run.Steps(int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
            run.Checkpoint().Save(args[3]);
            return 0;
        }

        return 2;
    }

    /// <summary>Starts this assembly as a program with <paramref name="args"/>, standard output redirected.</summary>
    public static Process Start(params string[] args)
    {
        string assembly = typeof(ChildProcess).Assembly.Location;
        string host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(assembly);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info) ?? throw new InvalidOperationException("The child process did not start.");
    }

    /// <summary>Writes checkpoints of step 0, 1, 2, … to <paramref name="path"/>, each a pure function of its step, until killed.</summary>
    private static void CheckpointLoop(string path)
    {
        var model = new LstmWideF(1);
        Checkpoint checkpoint = Checkpoint.Create(model);
        for (long step = 0; ; step++)
        {
            StepState(step, model, checkpoint);
            checkpoint.Save(path);
            if (step == 0)
            {
                Console.WriteLine("ready");
                Console.Out.Flush();
            }
        }
    }

    /// <summary>The state of step <paramref name="step"/>: parameters, a 512 KiB block, the step, a random state and metadata derived from it.</summary>
    public static void StepState(long step, LstmWideF model, Checkpoint checkpoint)
    {
        var random = new DeterministicRandom((ulong)step, 7);
        Span<float> parameters = model.Parameters;
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)random.NextUniform(-1, 1);
        }

        checkpoint.CaptureParameters(model);
        float[] moments = new float[128 * 1024];
        for (int i = 0; i < moments.Length; i++)
        {
            moments[i] = (float)random.NextUniform(0, 1);
        }

        checkpoint.SetBlock<float>("moments", moments);
        checkpoint.Integers["step"] = step;
        checkpoint.SetRandom("data", random);
        checkpoint.Metadata["step"] = step.ToString(System.Globalization.CultureInfo.InvariantCulture);
        checkpoint.Vocabulary = Enumerable.Range(0, (int)(step % 17)).Select(i => ((char)('a' + i)).ToString()).ToArray();
    }
}

/// <summary>
/// A small deterministic training run whose whole state a checkpoint holds: parameters, a momentum block,
/// the step and the data generator. <c>θ ← θ − η·m</c>, <c>m ← 0.9·m + clip(∂L/∂θ)</c> on random regression batches.
/// </summary>
public sealed class TrainingRun
{
    private const int Steps_ = 6, Batch = 2;
    private readonly LstmSmallF _model = new(3);
    private readonly LstmSmallF.Tape _tape = new(Steps_, Batch);
    private readonly float[] _gradients = new float[LstmSmallF.ParameterCount];
    private readonly float[] _momentum = new float[LstmSmallF.ParameterCount];
    private readonly NativeRnn.Training.Sgd<float> _sgd = new(LstmSmallF.ParameterCount, 0.05);
    private DeterministicRandom _data = new(11, 4);
    private long _step;

    public static TrainingRun Start(Checkpoint? resume)
    {
        var run = new TrainingRun();
        if (resume is not null)
        {
            resume.RestoreParameters(run._model);
            resume.CopyBlockTo<float>("momentum", run._momentum);
            run._data = resume.GetRandom("data");
            run._step = resume.Integers["step"];
        }

        return run;
    }

    public ReadOnlySpan<float> Parameters => _model.Parameters;

    public ReadOnlySpan<float> Momentum => _momentum;

    public long Step => _step;

    public void Steps(int count)
    {
        float[] inputs = new float[Steps_ * Batch * LstmSmallF.InputSize];
        float[] targets = new float[Steps_ * Batch * LstmSmallF.OutputSize];
        float[] outputs = new float[targets.Length], dOutputs = new float[targets.Length];
        for (int n = 0; n < count; n++, _step++)
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                inputs[i] = (float)_data.NextUniform(-1, 1);
            }

            for (int i = 0; i < targets.Length; i++)
            {
                targets[i] = (float)_data.NextUniform(-1, 1);
            }

            _model.Forward(_tape, inputs, outputs);
            NativeRnn.Training.Losses.MeanSquaredError<float>(outputs, targets, dOutputs);
            Array.Clear(_gradients);
            _model.Backward(_tape, dOutputs, _gradients);
            NativeRnn.Training.GradientClipping.ClipByGlobalNorm<float>(_gradients, 1.0);
            for (int i = 0; i < _momentum.Length; i++)
            {
                _momentum[i] = (0.9f * _momentum[i]) + _gradients[i];
            }

            _sgd.Step(_model.Parameters, _momentum);
        }
    }

    public Checkpoint Checkpoint()
    {
        Checkpoint checkpoint = NativeRnn.Serialization.Checkpoint.Create(_model);
        checkpoint.SetBlock<float>("momentum", _momentum);
        checkpoint.SetRandom("data", _data);
        checkpoint.Integers["step"] = _step;
        return checkpoint;
    }
}
