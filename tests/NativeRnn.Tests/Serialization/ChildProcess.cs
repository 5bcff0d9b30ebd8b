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
