using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;

namespace NativeRnn.Benchmarks;

/// <summary>
/// The single-core float32 FMA peak of this machine: twelve independent multiply-add chains (enough to
/// cover FMA latency × throughput on current x64 cores) at the widest accelerated width.
/// </summary>
public class Peak
{
    private const int Iterations = 1 << 16;

    /// <summary>FLOPs of one <see cref="FmaPeak"/> call.</summary>
    public static double FlopsPerCall => 2.0 * 12 * Iterations * Lanes;

    public static int Width => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 128;

    private static int Lanes => Width / 32;

    private static readonly Lazy<double> Measured = new(() =>
    {
        var peak = new Peak();
        long warm = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warm).TotalMilliseconds < 200)
        {
            peak.FmaPeak(); // lets the JIT optimise it and the clock settle
        }

        double best = 0;
        for (int round = 0; round < 200; round++)
        {
            long start = Stopwatch.GetTimestamp();
            peak.FmaPeak();
            double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
            best = Math.Max(best, FlopsPerCall / ns);
        }

        return best;
    });

    /// <summary>The peak in GFLOP/s, measured once per process (best of 200 runs after 200 ms of warm-up).</summary>
    public static double Gflops => Measured.Value;

    [GlobalSetup]
    public void Setup() => Work.Register(nameof(FmaPeak), FlopsPerCall);

    [Benchmark]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public float FmaPeak()
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return Run512();
        }

        return Vector256.IsHardwareAccelerated ? Run256() : Run128();
    }

    private static float Run512()
    {
        Vector512<float> a = Vector512.Create(0.999f), b = Vector512.Create(1e-7f);
        Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, a, b);
            c1 = Avx512F.FusedMultiplyAdd(c1, a, b);
            c2 = Avx512F.FusedMultiplyAdd(c2, a, b);
            c3 = Avx512F.FusedMultiplyAdd(c3, a, b);
            c4 = Avx512F.FusedMultiplyAdd(c4, a, b);
            c5 = Avx512F.FusedMultiplyAdd(c5, a, b);
            c6 = Avx512F.FusedMultiplyAdd(c6, a, b);
            c7 = Avx512F.FusedMultiplyAdd(c7, a, b);
            c8 = Avx512F.FusedMultiplyAdd(c8, a, b);
            c9 = Avx512F.FusedMultiplyAdd(c9, a, b);
            c10 = Avx512F.FusedMultiplyAdd(c10, a, b);
            c11 = Avx512F.FusedMultiplyAdd(c11, a, b);
        }

        return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    private static float Run256()
    {
        Vector256<float> a = Vector256.Create(0.999f), b = Vector256.Create(1e-7f);
        Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = MultiplyAdd(c0, a, b);
            c1 = MultiplyAdd(c1, a, b);
            c2 = MultiplyAdd(c2, a, b);
            c3 = MultiplyAdd(c3, a, b);
            c4 = MultiplyAdd(c4, a, b);
            c5 = MultiplyAdd(c5, a, b);
            c6 = MultiplyAdd(c6, a, b);
            c7 = MultiplyAdd(c7, a, b);
            c8 = MultiplyAdd(c8, a, b);
            c9 = MultiplyAdd(c9, a, b);
            c10 = MultiplyAdd(c10, a, b);
            c11 = MultiplyAdd(c11, a, b);
        }

        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    // 128-bit vectors, as on ARM64 and with DOTNET_EnableAVX2=0 (which on x64 also turns off FMA, so the kernels
    // multiply and add apart there, and so does this).
    private static float Run128()
    {
        Vector128<float> a = Vector128.Create(0.999f), b = Vector128.Create(1e-7f);
        Vector128<float> c0 = Vector128.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
        for (int i = 0; i < Iterations; i++)
        {
            c0 = MultiplyAdd(c0, a, b);
            c1 = MultiplyAdd(c1, a, b);
            c2 = MultiplyAdd(c2, a, b);
            c3 = MultiplyAdd(c3, a, b);
            c4 = MultiplyAdd(c4, a, b);
            c5 = MultiplyAdd(c5, a, b);
            c6 = MultiplyAdd(c6, a, b);
            c7 = MultiplyAdd(c7, a, b);
            c8 = MultiplyAdd(c8, a, b);
            c9 = MultiplyAdd(c9, a, b);
            c10 = MultiplyAdd(c10, a, b);
            c11 = MultiplyAdd(c11, a, b);
        }

        return Vector128.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MultiplyAdd(Vector256<float> c, Vector256<float> a, Vector256<float> b) =>
        Fma.IsSupported ? Fma.MultiplyAdd(c, a, b) : (c * a) + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> MultiplyAdd(Vector128<float> c, Vector128<float> a, Vector128<float> b) =>
        Fma.IsSupported ? Fma.MultiplyAdd(c, a, b) : AdvSimd.IsSupported ? AdvSimd.FusedMultiplyAdd(b, c, a) : (c * a) + b;
}
