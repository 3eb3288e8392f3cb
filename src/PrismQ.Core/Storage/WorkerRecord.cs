using System;
using System.Collections.Generic;

namespace PrismQ;

/// <summary>A worker as recorded in the database's worker registry.</summary>
public sealed class WorkerRecord
{
    /// <summary>The worker's id (unique among live workers).</summary>
    public string Id { get; init; } = string.Empty;

    /// <summary>The machine it runs on.</summary>
    public string Host { get; init; } = string.Empty;

    /// <summary>Its operating-system process id.</summary>
    public int ProcessId { get; init; }

    /// <summary>The queues it claims from.</summary>
    public IReadOnlyList<string> Queues { get; init; } = Array.Empty<string>();

    /// <summary>When it started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Its last heartbeat.</summary>
    public DateTimeOffset LastHeartbeatAt { get; init; }

    /// <summary>The ids of the tasks it was running at its last heartbeat.</summary>
    public IReadOnlyList<long> CurrentTaskIds { get; init; } = Array.Empty<long>();

    /// <summary>
    /// When another worker last took over one of its leases (after the lease expired, or a sweep found the worker
    /// dead), or null. A worker whose lease was taken over after its last heartbeat is shown dead.
    /// </summary>
    public DateTimeOffset? TakenOverAt { get; init; }
}
