using System;

namespace PrismQ;

/// <summary>One event read back from the trace store (<see cref="TraceStore.Query"/>).</summary>
public sealed class TraceEvent
{
    /// <summary>When it happened (UTC; converted from the producer's monotonic clock at the drain).</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>What happened.</summary>
    public TraceEventKind Kind { get; init; }

    /// <summary>The task, or 0 when the event concerns no single task.</summary>
    public long TaskId { get; init; }

    /// <summary>The attempt of the task (1-based), or 0.</summary>
    public int Attempt { get; init; }

    /// <summary>The worker's slot in its process (0: no worker).</summary>
    public short WorkerSlot { get; init; }

    /// <summary>The worker id, when the event came from a registered worker.</summary>
    public string? WorkerId { get; init; }

    /// <summary>The kind's value (see <see cref="TraceEventKind"/>: a count, a duration, a retry number, ...).</summary>
    public long Value { get; init; }

    /// <summary>
    /// The detail message: a user event's message always (unless its producer's detail ring was full); other events'
    /// detail when the query asked for detail and the event's window kept it.
    /// </summary>
    public string? Detail { get; init; }

    /// <summary>True when the producer's detail ring was full and this event's message was dropped.</summary>
    public bool DetailDropped { get; init; }

    /// <summary>The machine that wrote the event.</summary>
    public string Host { get; init; } = "";

    /// <summary>The process id that wrote the event.</summary>
    public int ProcessId { get; init; }

    /// <summary>The trace session (one per process and session) that wrote the event.</summary>
    public long SourceId { get; init; }

    /// <summary>The lane set (producer thread slot) within the session.</summary>
    public int Lane { get; init; }

    /// <summary>The event's sequence number within its lane set (gaps in it are the dropped events).</summary>
    public long Sequence { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Timestamp:O} {Kind} task={TaskId}#{Attempt} worker={WorkerId ?? WorkerSlot.ToString()} value={Value}{(Detail is null ? "" : " " + Detail)}";
}
