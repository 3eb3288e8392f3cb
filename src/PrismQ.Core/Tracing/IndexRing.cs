using System.Threading;

namespace PrismQ.Tracing;

/// <summary>
/// The index lane: a single-producer / single-consumer ring of <see cref="IndexRecord"/>s with a power-of-two
/// capacity and a pre-allocated array. Positions are monotonic longs; the slot is <c>position &amp; mask</c>.
/// <para>
/// The producer (the owning thread) writes <see cref="_tail"/> only; the consumer (the drain thread) writes
/// <see cref="_head"/> only. Neither ever writes the other's index. When the ring is full the new event is dropped
/// and counted, and one <see cref="TraceEventKind.Gap"/> record (how many, since when, first lost sequence) is
/// written ahead of the next event that fits. The protocol and its memory ordering are in docs/tracing.md.
/// </para>
/// </summary>
internal sealed class IndexRing
{
    private readonly IndexRecord[] _slots;
    private readonly long _mask;
    private readonly long _capacity;
    private readonly long _highWater;
    private readonly DrainSignal _signal;

    // Shared indexes, each on its own cache line.
    private PaddedLong _tail; // written by the producer (Volatile.Write), read by the consumer (Volatile.Read)
    private PaddedLong _head; // written by the consumer (Volatile.Write), read by the producer (Volatile.Read)

    // Producer-private state (the consumer reads it only when the producer is known to be gone: see LaneSet.Retire).
    private long _producerTail;
    private long _cachedHead;
    private bool _highWaterSignalled;
    private long _pendingGap;      // published with Volatile.Write (read by stats and the final drain)
    private long _gapSince;
    private long _gapFirstSequence;
    private long _dropped;         // published with Volatile.Write (read by stats)

    // Consumer-private.
    private long _consumerHead;

    public IndexRing(int capacity, int highWater, DrainSignal signal)
    {
        _slots = new IndexRecord[capacity];
        _capacity = capacity;
        _mask = capacity - 1;
        _highWater = highWater;
        _signal = signal;
    }

    public int Capacity => (int)_capacity;

    /// <summary>Events dropped because the ring was full (all time).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Dropped events not yet covered by a gap record in the ring.</summary>
    public long PendingGap => Volatile.Read(ref _pendingGap);

    // ---------------------------------------------------------------- producer side

    /// <summary>
    /// Producer step 1: reserves one slot (two when a gap record is pending, which it writes first). False when the
    /// ring is full: the caller must then call <see cref="Drop"/>. The reserved slot is published by <see cref="Commit"/>.
    /// </summary>
    public bool TryReserve(out long position)
    {
        long tail = _producerTail;
        long need = _pendingGap == 0 ? 1 : 2;
        if (tail + need - _cachedHead > _capacity)
        {
            _cachedHead = Volatile.Read(ref _head.Value); // acquire: the consumer finished reading those slots
            if (tail - _cachedHead < _highWater) _highWaterSignalled = false; // a new fill episode may signal again
            if (tail + need - _cachedHead > _capacity)
            {
                position = 0;
                return false;
            }
        }

        if (need == 2)
        {
            ref IndexRecord gap = ref _slots[tail & _mask];
            gap.Timestamp = _gapSince;
            gap.Sequence = _gapFirstSequence;
            gap.TaskId = 0;
            gap.Value = _pendingGap;
            gap.DetailPosition = 0;
            gap.Attempt = 0;
            gap.DetailLength = IndexRecord.NoDetail;
            gap.Kind = (ushort)TraceEventKind.Gap;
            gap.WorkerSlot = 0;
            Volatile.Write(ref _pendingGap, 0);
            tail++;
        }

        _producerTail = tail;
        position = tail;
        return true;
    }

    /// <summary>The reserved slot, to be filled in place before <see cref="Commit"/>.</summary>
    public ref IndexRecord Slot(long position) => ref _slots[position & _mask];

    /// <summary>Producer step 2: publishes everything up to and including the reserved slot (release).</summary>
    public void Commit(long position)
    {
        long tail = position + 1;
        _producerTail = tail;
        Volatile.Write(ref _tail.Value, tail);
        if (tail - _cachedHead >= _highWater && !_highWaterSignalled)
        {
            _cachedHead = Volatile.Read(ref _head.Value);
            if (tail - _cachedHead >= _highWater)
            {
                _highWaterSignalled = true;
                _signal.Wake();
            }
        }
    }

    /// <summary>Counts an event dropped because the ring was full, opening or extending the pending gap.</summary>
    public void Drop(long timestamp, long sequence)
    {
        if (_pendingGap == 0)
        {
            _gapSince = timestamp;
            _gapFirstSequence = sequence;
        }

        Volatile.Write(ref _pendingGap, _pendingGap + 1);
        Volatile.Write(ref _dropped, _dropped + 1);
        if (!_highWaterSignalled)
        {
            _highWaterSignalled = true;
            _signal.Wake();
        }
    }

    // ---------------------------------------------------------------- consumer side

    /// <summary>Consumer step 1: how many records are published and not yet consumed (acquire on the tail).</summary>
    public long Available(out long head)
    {
        head = _consumerHead;
        return Volatile.Read(ref _tail.Value) - head;
    }

    /// <summary>A published record; valid until <see cref="Release"/> passes it.</summary>
    public ref readonly IndexRecord Read(long position) => ref _slots[position & _mask];

    /// <summary>Consumer step 2: hands the slots before <paramref name="newHead"/> back to the producer (release).</summary>
    public void Release(long newHead)
    {
        _consumerHead = newHead;
        Volatile.Write(ref _head.Value, newHead);
    }

    /// <summary>
    /// Takes the pending gap of a producer that is gone (dead thread, or a stopped session after its producers
    /// returned), so the drain can record it; the next owner of the lane starts with no pending gap.
    /// Only call when no producer can run on this ring (see LaneSet.Retire).
    /// </summary>
    public bool TakePendingGap(out long count, out long since, out long firstSequence)
    {
        count = Volatile.Read(ref _pendingGap);
        since = _gapSince;
        firstSequence = _gapFirstSequence;
        if (count == 0) return false;
        Volatile.Write(ref _pendingGap, 0);
        return true;
    }
}
