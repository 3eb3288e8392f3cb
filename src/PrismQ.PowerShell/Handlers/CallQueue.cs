using System.Collections.Concurrent;
using System.Threading;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell.Handlers;

/// <summary>
/// The handler calls the engine has started and no runspace has taken yet. Every runspace's loop takes from it; the
/// engine never hands over more calls than the worker's concurrency, so it stays short. <see cref="Close"/> ends every
/// loop once it is empty.
/// </summary>
internal sealed class CallQueue
{
    private readonly ConcurrentQueue<HandlerCall> _calls = new();
    private readonly SemaphoreSlim _available = new(0);
    private volatile bool _closed;

    /// <summary>True once <see cref="Close"/> was called.</summary>
    public bool IsClosed => _closed;

    public void Add(HandlerCall call)
    {
        _calls.Enqueue(call);
        _available.Release();
    }

    /// <summary>
    /// The next call, waiting up to <paramref name="waitMilliseconds"/> (the semaphore spins briefly before it blocks). Null
    /// after the wait, or once the queue is closed and empty.
    /// </summary>
    public HandlerCall? Take(int waitMilliseconds)
    {
        // One permit per queued call, plus one for the close: a loop that holds a permit finds a call, or the close.
        if (!_available.Wait(waitMilliseconds)) return null;
        if (_calls.TryDequeue(out HandlerCall? call)) return call;
        _available.Release(); // the close's permit: pass it on, every waiting loop must see it
        return null;
    }

    /// <summary>No more calls come: wakes every waiting loop, which ends once the queue is empty.</summary>
    public void Close()
    {
        _closed = true;
        _available.Release();
    }
}
