using System;
using System.Reflection;
using System.Runtime.Intrinsics;
using System.Runtime.Versioning;
using Consumer;

// A program written against the NativeRnn package alone. Each model's generated code is checked against
// an independent scalar formula (PyTorch's equations, in double, over the tensors the model exports), and
// the streaming path against the training path. Each check prints one line; the exit code is the failures.
Console.WriteLine($"runtime {Environment.Version}; accelerated 512 {Vector512.IsHardwareAccelerated}, 256 {Vector256.IsHardwareAccelerated}, 128 {Vector128.IsHardwareAccelerated}");
Console.WriteLine($"library built for {typeof(NativeRnn.RnnModelAttribute).Assembly.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName}");
int failures = 0;
failures += Checks.Report("lstm-token-step-vs-formula", Checks.TokenModelStepAgainstFormula(), 1e-5);
failures += Checks.Report("lstm-token-forward-vs-step", Checks.TokenModelForwardAgainstStep(), 1e-5);
failures += Checks.Report("gru-sensor-step-vs-formula", Checks.SensorStepAgainstFormula(), 1e-5);
failures += Checks.Report("gru-sensor-forward-vs-step", Checks.SensorForwardAgainstStep(), 1e-5);
failures += Checks.Report("gru-sensor-gradient-vs-difference", Checks.SensorGradientAgainstDifference(), 1e-3);
Console.WriteLine(failures == 0 ? "all checks passed" : $"{failures} check(s) failed");
return failures;
