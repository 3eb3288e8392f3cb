using System.Collections.Generic;
using System.Threading;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell.Handlers;

/// <summary>
/// The handler calls the engine has started and no runspace has taken yet. A call goes straight to a loop that waits
/// for one, if any (each loop waits on an event of its own, so many idle runspaces do not contend on one lock);
/// otherwise it waits here for the next loop that asks. The engine never hands over more calls than the worker's
/// concurrency, so the queue stays short. <see cref="Close"/> ends every loop once the queue is empty.
/// </summary>
internal sealed class CallQueue
{
    private readonly object _gate = new();
    private readonly Queue<HandlerCall> _calls = new();
    private readonly List<Waiter> _idle = new();
    private bool _closed;

    /// <summary>True once <see cref="Close"/> was called.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_gate) return _closed;
        }
    }

    public void Add(HandlerCall call)
    {
        Waiter? waiter = null;
        lock (_gate)
        {
            if (_idle.Count > 0)
            {
                waiter = _idle[_idle.Count - 1];
                _idle.RemoveAt(_idle.Count - 1);
                waiter.Call = call;
            }
            else
            {
                _calls.Enqueue(call);
            }
        }

        waiter?.Event.Set();
    }

    /// <summary>
    /// The next call for the loop that owns <paramref name="waiter"/>, waiting up to <paramref name="waitMilliseconds"/>
    /// (its event spins briefly before it blocks). Null after the wait, or once the queue is closed and empty.
    /// </summary>
    public HandlerCall? Take(Waiter waiter, int waitMilliseconds)
    {
        lock (_gate)
        {
            if (_calls.Count > 0) return _calls.Dequeue();
            if (_closed || waitMilliseconds == 0) return null;
            waiter.Call = null;
            waiter.Event.Reset();
            _idle.Add(waiter);
        }

        waiter.Event.Wait(waitMilliseconds);
        lock (_gate)
        {
            // Handed a call at the last moment, or still idle after the wait (then no longer).
            if (waiter.Call is null) _idle.Remove(waiter);
            HandlerCall? call = waiter.Call;
            waiter.Call = null;
            return call;
        }
    }

    /// <summary>No more calls come: wakes every waiting loop, which ends once the queue is empty.</summary>
    public void Close()
    {
        Waiter[] idle;
        lock (_gate)
        {
            _closed = true;
            idle = _idle.ToArray();
            _idle.Clear();
        }

        foreach (Waiter waiter in idle) waiter.Event.Set();
    }

    /// <summary>How one loop waits for a call: the call it was handed, and the event that says so.</summary>
    internal sealed class Waiter
    {
        public HandlerCall? Call;

        /// <param name="spin">Spin briefly before blocking: worth it while the loops are no more than the processors
        /// (the next call is usually microseconds away); with more, spinning loops only take the processors from the
        /// ones that work.</param>
        public Waiter(bool spin = true)
        {
            Event = new ManualResetEventSlim(false, spinCount: spin ? 2047 : 0);
        }

        public ManualResetEventSlim Event { get; }
    }
}
