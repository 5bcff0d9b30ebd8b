using System;

namespace NativeRnn.Tests.Helpers;

/// <summary>Allocation is deterministic, so tests assert it: bytes allocated on this thread by repeated calls after a warm-up.</summary>
public static class Allocation
{
    public static long Measure(Action action, int warmup = 50, int runs = 100, Func<long>? otherThreads = null)
    {
        for (int i = 0; i < warmup; i++)
        {
            action(); // tiering, static constructors, pools
        }

        long otherBefore = otherThreads?.Invoke() ?? 0; // first, so that its own first call is not counted
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < runs; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before + ((otherThreads?.Invoke() ?? 0) - otherBefore);
    }
}
