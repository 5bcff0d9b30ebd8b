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
    private readonly ManualResetEventSlim[] _start;
    private readonly ManualResetEventSlim[] _done;
    private readonly Exception?[] _errors;
    private Action<int>? _job;
    private volatile bool _stopping;

    public WorkerPool(int workers, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(workers);
        Workers = workers;
        _threads = new Thread[workers];
        _start = new ManualResetEventSlim[workers];
        _done = new ManualResetEventSlim[workers];
        _errors = new Exception?[workers];
        for (int w = 1; w < workers; w++)
        {
            _start[w] = new ManualResetEventSlim(false, spinCount: 2000);
            _done[w] = new ManualResetEventSlim(false, spinCount: 2000);
            int index = w;
            _threads[w] = new Thread(() => Loop(index)) { IsBackground = true, Name = $"{name} {w}" };
            _threads[w].Start();
        }
    }

    /// <summary>Jobs per call, the caller's included.</summary>
    public int Workers { get; }

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
            _done[w].Reset();
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
            _start[w].Dispose();
            _done[w].Dispose();
        }
    }

    private void Loop(int worker)
    {
        while (true)
        {
            _start[worker].Wait();
            _start[worker].Reset();
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

            _done[worker].Set();
        }
    }
}
