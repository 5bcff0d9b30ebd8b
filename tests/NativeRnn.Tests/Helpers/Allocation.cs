using System;

namespace NativeRnn.Tests.Helpers;

/// <summary>
/// Allocation is deterministic, so tests assert it: bytes allocated on this thread by repeated calls after a warm-up.
/// </summary>
/// <remarks>
/// The runtime's per-thread counter is not exact while other threads allocate: with a second thread allocating
/// large arrays, about 3 % of 50-call windows over code that allocates nothing moved it by 1–8 KB (amounts near the
/// 8 KiB allocation quantum), at arbitrary points of the window, on .NET 8 and 10, with or without tiering.
/// The test suite runs classes in parallel, so a window that reads non-zero is measured again, up to
/// <see cref="Windows"/> times, and the smallest reading is returned. Code that allocates on every call, or even
/// once in a window, reads non-zero in every window and still fails.
/// </remarks>
public static class Allocation
{
    /// <summary>How many windows a non-zero reading is measured in before it counts.</summary>
    public const int Windows = 3;

    /// <summary>
    /// Runs <paramref name="action"/> <paramref name="warmup"/> times, then returns the fewest bytes allocated by
    /// <paramref name="runs"/> further calls in any of up to <see cref="Windows"/> windows, on this thread plus
    /// what <paramref name="otherThreads"/> reports for threads the action uses.
    /// </summary>
    public static long Measure(Action action, int warmup = 50, int runs = 100, Func<long>? otherThreads = null)
    {
        for (int i = 0; i < warmup; i++)
        {
            action(); // tiering, static constructors, pools
        }

        long fewest = long.MaxValue;
        for (int window = 0; window < Windows && fewest != 0; window++)
        {
            long otherBefore = otherThreads?.Invoke() ?? 0; // first, so that its own first call is not counted
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < runs; i++)
            {
                action();
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before + ((otherThreads?.Invoke() ?? 0) - otherBefore);
            fewest = Math.Min(fewest, allocated);
        }

        return fewest;
    }
}
