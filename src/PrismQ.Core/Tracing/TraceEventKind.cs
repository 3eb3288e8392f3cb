namespace PrismQ;

/// <summary>The kind of a trace event. The numeric values are persisted and never change.</summary>
public enum TraceEventKind : ushort
{
    /// <summary>A task was enqueued (value: 1) or a batch of tasks (value: the batch size).</summary>
    Enqueue = 1,
    /// <summary>A claim leased a task: one event per leased task attempt (value: how many tasks that claim leased).</summary>
    Claim = 2,
    /// <summary>A handler started an attempt.</summary>
    Start = 3,
    /// <summary>A handler's progress was written (value: percent, -1 for none; the detail lane holds its message).</summary>
    Progress = 4,
    /// <summary>An attempt succeeded (value: duration in microseconds).</summary>
    Complete = 5,
    /// <summary>An attempt failed (value: duration in microseconds; the detail lane holds the error type, message and detail).</summary>
    Fail = 6,
    /// <summary>A failed attempt was scheduled for retry (value: delay in milliseconds).</summary>
    RetryScheduled = 7,
    /// <summary>A lease was extended by a heartbeat.</summary>
    LeaseExtended = 8,
    /// <summary>A lease was found lost (taken over, cancelled or expired).</summary>
    LeaseLost = 9,
    /// <summary>A task was given back without counting the attempt.</summary>
    Release = 10,
    /// <summary>A statement met SQLITE_BUSY / SQLITE_LOCKED and was retried (value: retry number).</summary>
    BusyRetry = 11,
    /// <summary>One SQL statement ran (value: duration in microseconds; the detail lane holds its name).</summary>
    SqlStatement = 12,
    /// <summary>An attempt timed out.</summary>
    Timeout = 13,
    /// <summary>A task was cancelled or a cancel was requested.</summary>
    Cancel = 14,
    /// <summary>Expired or dead workers' leases were reclaimed (value: how many).</summary>
    Reclaim = 15,
    /// <summary>A user event (Write-PrismQTrace, <see cref="TaskContext.TraceEvent"/>, <see cref="TraceSession.EmitUser"/>): its message is always kept.</summary>
    User = 16,
    /// <summary>Queue depth sampled by a worker once a second (value: the ready tasks of its queues, at most 100,000 per queue).</summary>
    QueueDepth = 17,
    /// <summary>A gap: events dropped because a ring was full (value: how many).</summary>
    Gap = 18,
    /// <summary>The window of a task attempt opened (at its claim).</summary>
    WindowOpened = 19,
    /// <summary>The window of a task attempt was marked to keep its detail (value: the <see cref="WindowMark"/>).</summary>
    WindowMarked = 20,
    /// <summary>The window of a task attempt closed (the attempt ended; its post-roll then runs).</summary>
    WindowClosed = 21,
}
