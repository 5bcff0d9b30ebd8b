using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace NativeRnn.Training;

/// <summary>
/// A fixed set of threads that run one job each, in lock step with the caller: <see cref="Run"/> starts job <c>w</c> on
/// thread <c>w</c> for <c>w ≥ 1</c>, runs job 0 on the calling thread, and returns when all are done (rethrowing the first
/// failure). The threads live as long as the pool and wait on events between calls, so a call allocates nothing.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _threads;
    private readonly Signal[] _start;
    private readonly Signal[] _done;
    private readonly Exception?[] _errors;
    private readonly long[] _allocated;
    private Action<int>? _job;
    private volatile bool _stopping;

    public WorkerPool(int workers, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        Workers = workers;
        _threads = new Thread[workers];
        _start = new Signal[workers];
        _done = new Signal[workers];
        _errors = new Exception?[workers];
        _allocated = new long[workers];
        for (int w = 1; w < workers; w++)
        {
            _start[w] = new Signal();
            _done[w] = new Signal();
            int index = w;
            _threads[w] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"{name} {w}" };
            _threads[w].Start();
        }
    }

    /// <summary>Jobs per call, the caller's included.</summary>
    public int Workers { get; }

    /// <summary>Bytes the pool's own threads have allocated so far (for allocation tests; the caller's thread is not included).</summary>
    public long AllocatedBytes
    {
        get
        {
            long total = 0;
            for (int w = 1; w < Workers; w++)
            {
                total += Volatile.Read(ref _allocated[w]);
            }

            return total;
        }
    }

    /// <summary>Runs <paramref name="job"/>(w) for every worker w, job 0 on the calling thread; returns when all have finished.</summary>
    /// <param name="job">The job; keep it in a field so that no delegate is allocated per call.</param>
    public void Run(Action<int> job)
    {
        ObjectDisposedException.ThrowIf(_stopping, this);
        _job = job;
        for (int w = 1; w < Workers; w++)
        {
            _errors[w] = null;
            _start[w].Set();
        }

        Exception? first = null;
        try
        {
            job(0);
        }
        catch (Exception exception)
        {
            first = exception;
        }

        for (int w = 1; w < Workers; w++)
        {
            _done[w].Wait();
            first ??= _errors[w];
        }

        _job = null;
        if (first is not null)
        {
            ExceptionDispatchInfo.Capture(first).Throw();
        }
    }

    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        for (int w = 1; w < Workers; w++)
        {
            _start[w].Set();
            _threads[w].Join();
        }
    }

    private void Loop(int worker)
    {
        while (true)
        {
            _start[worker].Wait();
            if (_stopping)
            {
                return;
            }

            try
            {
                _job!(worker);
            }
            catch (Exception exception)
            {
                _errors[worker] = exception;
            }

            Volatile.Write(ref _allocated[worker], GC.GetAllocatedBytesForCurrentThread());
            _done[worker].Set();
        }
    }

    /// <summary>
    /// An auto-reset signal between two threads: spins briefly (a step's work is short), then blocks on a monitor whose
    /// lock object exists from the start, so no wait ever allocates.
    /// </summary>
    private sealed class Signal
    {
        private readonly object _gate = new();
        private bool _set;

        public void Set()
        {
            lock (_gate)
            {
                _set = true;
                Monitor.Pulse(_gate);
            }
        }

        public void Wait()
        {
            for (int spin = 0; spin < 200 && !Volatile.Read(ref _set); spin++)
            {
                Thread.SpinWait(50);
            }

            lock (_gate)
            {
                while (!_set)
                {
                    Monitor.Wait(_gate);
                }

                _set = false;
            }
        }
    }
}
