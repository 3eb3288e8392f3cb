using System.Collections.Generic;
using System.Threading.Tasks;

namespace PrismQ.Coyote.Tests.Samples;

// SAMPLES ONLY: not engine code. They show, on the shape of the coming completer role, what a Coyote test finds.

/// <summary>
/// An in-memory stand-in for the task store: what a Coyote test uses instead of SQLite (whose native calls Coyote
/// neither sees nor interleaves). Each write yields first, so Coyote can run other tasks while a write is in flight.
/// </summary>
public sealed class SampleFakeStore
{
    private readonly object _gate = new();
    private readonly List<long> _completed = new();

    /// <summary>How many batches were written.</summary>
    public int Batches { get; private set; }

    /// <summary>Records a batch of completions.</summary>
    public async Task WriteAsync(IReadOnlyList<long> ids)
    {
        await Task.Yield();
        lock (_gate)
        {
            _completed.AddRange(ids);
            Batches++;
        }
    }

    /// <summary>The ids written so far.</summary>
    public IReadOnlyList<long> Completed
    {
        get { lock (_gate) return _completed.ToArray(); }
    }
}

/// <summary>
/// SAMPLE, DELIBERATELY BUGGY: batches completions into one store write at a time. The bug: the flush clears its
/// "flushing" flag after the write without looking at the queue again, so an id added while the write was in
/// flight (it saw the flag set, so it did not start a flush) waits for a flush that never comes.
/// </summary>
public sealed class SampleBuggyCompleter
{
    private readonly object _gate = new();
    private readonly SampleFakeStore _store;
    private List<long> _pending = new();
    private bool _flushing;
    private Task _flush = Task.CompletedTask;

    public SampleBuggyCompleter(SampleFakeStore store) => _store = store;

    /// <summary>Queues the completion of <paramref name="id"/>; starts a flush unless one is running.</summary>
    public void Complete(long id)
    {
        lock (_gate)
        {
            _pending.Add(id);
            if (_flushing) return;
            _flushing = true;
            // Started and recorded under the lock: recorded after it, a preempted caller could overwrite a newer
            // flush with its own finished one, and IdleAsync would return too early (Coyote found that one too).
            _flush = Task.Run(FlushAsync);
        }
    }

    /// <summary>Completes when the flush started last has ended.</summary>
    public Task IdleAsync()
    {
        lock (_gate) return _flush;
    }

    private async Task FlushAsync()
    {
        List<long> batch;
        lock (_gate)
        {
            batch = _pending;
            _pending = new List<long>();
        }
        await _store.WriteAsync(batch);
        lock (_gate) _flushing = false;   // BUG: ids queued during the write are left behind
    }
}

/// <summary>SAMPLE: <see cref="SampleBuggyCompleter"/> fixed: the flush loops until the queue is empty, and clears its flag under the same lock that finds it empty.</summary>
public sealed class SampleFixedCompleter
{
    private readonly object _gate = new();
    private readonly SampleFakeStore _store;
    private List<long> _pending = new();
    private bool _flushing;
    private Task _flush = Task.CompletedTask;

    public SampleFixedCompleter(SampleFakeStore store) => _store = store;

    public void Complete(long id)
    {
        lock (_gate)
        {
            _pending.Add(id);
            if (_flushing) return;
            _flushing = true;
            // Started and recorded under the lock: recorded after it, a preempted caller could overwrite a newer
            // flush with its own finished one, and IdleAsync would return too early (Coyote found that one too).
            _flush = Task.Run(FlushAsync);
        }
    }

    public Task IdleAsync()
    {
        lock (_gate) return _flush;
    }

    private async Task FlushAsync()
    {
        while (true)
        {
            List<long> batch;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _flushing = false;
                    return;
                }
                batch = _pending;
                _pending = new List<long>();
            }
            await _store.WriteAsync(batch);
        }
    }
}
