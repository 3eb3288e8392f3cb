using System;
using System.Threading;

namespace PrismQ.Tracing;

/// <summary>
/// The lane sets of one tracer. A thread takes a lane set on its first event (the only lock: registration and
/// release); the drain releases the lane set of an ended thread after draining it completely, and the next new thread
/// reuses it.
/// <para>
/// The array only grows and a lane set never leaves it, so the drain, which always visits every entry of the latest
/// array, sees every lane whatever order threads come and go in (the original tracer hid higher slots after an
/// unregister; here there is no "count of live slots" to get wrong).
/// </para>
/// </summary>
internal sealed class LaneRegistry
{
    private readonly object _lock = new();
    private readonly LaneTracer _tracer;
    private readonly int _indexCapacity;
    private readonly int _detailCapacity;
    private readonly int _highWater;
    private readonly DrainSignal _signal;
    private LaneSet[] _lanes = Array.Empty<LaneSet>(); // replaced (copy-on-grow) under the lock; read with Volatile.Read

    public LaneRegistry(LaneTracer tracer, int indexCapacity, int detailCapacity, int highWater, DrainSignal signal)
    {
        _tracer = tracer;
        _indexCapacity = indexCapacity;
        _detailCapacity = detailCapacity;
        _highWater = highWater;
        _signal = signal;
    }

    /// <summary>Every lane set ever created (free or owned), for the drain.</summary>
    public LaneSet[] Snapshot => Volatile.Read(ref _lanes);

    /// <summary>Gives <paramref name="thread"/> a free lane set, or a new one.</summary>
    public LaneSet Acquire(Thread thread)
    {
        lock (_lock)
        {
            foreach (LaneSet lane in _lanes)
            {
                if (lane.OwnerThread is null)
                {
                    lane.SetOwner(thread);
                    return lane;
                }
            }

            var created = new LaneSet(_lanes.Length, _tracer, _indexCapacity, _detailCapacity, _highWater, _signal);
            created.SetOwner(thread);
            var grown = new LaneSet[_lanes.Length + 1];
            Array.Copy(_lanes, grown, _lanes.Length);
            grown[_lanes.Length] = created;
            Volatile.Write(ref _lanes, grown); // publish the fully built lane set
            return created;
        }
    }

    /// <summary>Drain only: frees the lane set of an ended thread once it is drained completely.</summary>
    public void Release(LaneSet lane)
    {
        lock (_lock) lane.SetOwner(null);
    }

    /// <summary>How many lane sets have an owner.</summary>
    public int OwnedCount
    {
        get
        {
            int owned = 0;
            foreach (LaneSet lane in Snapshot)
                if (lane.OwnerThread is not null) owned++;
            return owned;
        }
    }
}
