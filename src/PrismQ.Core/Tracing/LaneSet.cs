using System.Diagnostics;
using System.Threading;

namespace PrismQ.Tracing;

/// <summary>
/// The two lanes of one producing thread: an <see cref="IndexRing"/> and a <see cref="DetailRing"/>. A lane set is
/// owned by one live thread at a time; the drain retires it when that thread has ended (after draining it completely)
/// and the registry then hands it to the next new thread. Positions and sequence numbers continue across owners, so
/// (lane, sequence) stays unique for the life of the session.
/// </summary>
internal sealed class LaneSet
{
    private Thread? _ownerThread; // written under the registry lock; read by the drain with Volatile.Read
    private long _nextSequence;   // producer-private (handed to the next owner through the registry lock)

    public LaneSet(int id, LaneTracer tracer, int indexCapacity, int detailCapacity, int highWater, DrainSignal signal)
    {
        Id = id;
        Tracer = tracer;
        Index = new IndexRing(indexCapacity, highWater, signal);
        Detail = new DetailRing(detailCapacity);
    }

    /// <summary>The lane number (stable; persisted with every event).</summary>
    public int Id { get; }

    /// <summary>The tracer (session) this lane set belongs to.</summary>
    public LaneTracer Tracer { get; }

    public IndexRing Index { get; }

    public DetailRing Detail { get; }

    /// <summary>The owning thread, or null when the lane set is free.</summary>
    public Thread? OwnerThread => Volatile.Read(ref _ownerThread);

    /// <summary>Registry only, under its lock.</summary>
    public void SetOwner(Thread? thread) => Volatile.Write(ref _ownerThread, thread);

    /// <summary>Producer: one index event, no detail. Never blocks, never allocates.</summary>
    public void Emit(ushort kind, long taskId, int attempt, short workerSlot, long value)
    {
        long timestamp = Stopwatch.GetTimestamp();
        long sequence = _nextSequence++;
        IndexRing index = Index;
        if (!index.TryReserve(out long position))
        {
            index.Drop(timestamp, sequence);
            return;
        }

        ref IndexRecord record = ref index.Slot(position);
        record.Timestamp = timestamp;
        record.Sequence = sequence;
        record.TaskId = taskId;
        record.Value = value;
        record.DetailPosition = 0;
        record.Attempt = attempt;
        record.DetailLength = IndexRecord.NoDetail;
        record.Kind = kind;
        record.WorkerSlot = workerSlot;
        index.Commit(position);
    }

    /// <summary>Producer: one index event linked to a detail record holding <paramref name="message"/>.</summary>
    public void EmitDetail(ushort kind, long taskId, int attempt, short workerSlot, long value, string message)
    {
        long timestamp = Stopwatch.GetTimestamp();
        long sequence = _nextSequence++;
        IndexRing index = Index;
        if (!index.TryReserve(out long position))
        {
            index.Drop(timestamp, sequence); // the message is not written: a dropped event has no detail
            return;
        }

        bool linked = Detail.TryWrite(message, out long detailPosition, out int detailLength);
        ref IndexRecord record = ref index.Slot(position);
        record.Timestamp = timestamp;
        record.Sequence = sequence;
        record.TaskId = taskId;
        record.Value = value;
        record.DetailPosition = detailPosition;
        record.Attempt = attempt;
        record.DetailLength = linked ? detailLength : IndexRecord.DetailDropped;
        record.Kind = kind;
        record.WorkerSlot = workerSlot;
        index.Commit(position);
    }
}
