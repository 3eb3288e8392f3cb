namespace PrismQ.Tracing;

/// <summary>An index event as the drain hands it to a sink (time already in UTC ticks).</summary>
internal struct TraceRow
{
    public long UtcTicks;
    public long Sequence;
    public long TaskId;
    public long Value;
    public int Lane;
    public int Attempt;
    public ushort Kind;
    public short WorkerSlot;
    /// <summary>The detail record was dropped at the producer (detail ring full).</summary>
    public bool DetailDropped;
}

/// <summary>
/// The detail of one index event (identified by lane and sequence), persisted for a marked window, or always when
/// <see cref="AlwaysKept"/> (a user event's message).
/// </summary>
internal readonly struct TraceDetailRow
{
    public TraceDetailRow(int lane, long sequence, long utcTicks, long taskId, int attempt, string text, bool alwaysKept = false)
    {
        AlwaysKept = alwaysKept;
        Lane = lane;
        Sequence = sequence;
        UtcTicks = utcTicks;
        TaskId = taskId;
        Attempt = attempt;
        Text = text;
    }

    public int Lane { get; }
    public long Sequence { get; }
    public long UtcTicks { get; }
    public long TaskId { get; }
    public int Attempt { get; }
    public string Text { get; }

    /// <summary>Persisted whatever its window's fate: the text of a user event (<see cref="TraceEventKind.User"/>).</summary>
    public bool AlwaysKept { get; }
}

/// <summary>A worker slot and the worker id it stands for.</summary>
internal readonly struct TraceWorkerRow
{
    public TraceWorkerRow(short slot, string workerId)
    {
        Slot = slot;
        WorkerId = workerId;
    }

    public short Slot { get; }
    public string WorkerId { get; }
}
