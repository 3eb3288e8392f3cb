using System;

namespace PrismQ.PowerShell;

/// <summary>A worker registered in the database (PowerShell type name <c>PrismQ.WorkerInfo</c>).</summary>
public sealed class WorkerInfo
{
    /// <summary>The PowerShell type name the format file binds to.</summary>
    public const string PSTypeName = "PrismQ.WorkerInfo";

    /// <summary>The worker's id.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>The machine it runs on.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>Its process id.</summary>
    public int ProcessId { get; set; }

    /// <summary>The queues it claims from.</summary>
    public string[] Queues { get; set; } = Array.Empty<string>();

    /// <summary>When it started (local time).</summary>
    public DateTime StartedAt { get; set; }

    /// <summary>Its last heartbeat (local time).</summary>
    public DateTime LastHeartbeatAt { get; set; }

    /// <summary>Alive, or Dead when its last heartbeat is older than the stale threshold (30 s).</summary>
    public WorkerState State { get; set; }

    /// <summary>How long ago its last heartbeat was.</summary>
    public TimeSpan HeartbeatAge { get; set; }

    /// <summary>The tasks it was running at its last heartbeat.</summary>
    public long[] CurrentTaskIds { get; set; } = Array.Empty<long>();

    /// <inheritdoc />
    public override string ToString() => Id;
}
