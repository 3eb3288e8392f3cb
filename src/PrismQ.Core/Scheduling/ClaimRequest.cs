using System;
using System.Collections.Generic;

namespace PrismQ;

/// <summary>A worker's request for up to <see cref="MaxCount"/> ready tasks.</summary>
public sealed class ClaimRequest
{
    /// <summary>Creates a request on behalf of <paramref name="workerId"/>.</summary>
    public ClaimRequest(string workerId) => WorkerId = workerId;

    /// <summary>Who will own the leases.</summary>
    public string WorkerId { get; init; }

    /// <summary>Queues to claim from. Default: the <c>default</c> queue.</summary>
    public IReadOnlyList<string> Queues { get; init; } = new[] { QueueNames.Default };

    /// <summary>How to choose. Default FIFO.</summary>
    public SchedulingStrategy Strategy { get; init; } = SchedulingStrategy.Fifo;

    /// <summary>At most this many tasks (1-1,000). Default 1.</summary>
    public int MaxCount { get; init; } = 1;

    /// <summary>How long the lease lasts unless extended. Default: <see cref="QueueOptions.LeaseDuration"/>.</summary>
    public TimeSpan? LeaseDuration { get; init; }

    /// <summary>
    /// With <see cref="SchedulingStrategy.Priority"/>: a task's effective priority rises by one for every
    /// <c>PriorityAging</c> it has been ready, so low priorities are not starved. Null (default): no aging.
    /// </summary>
    public TimeSpan? PriorityAging { get; init; }
}
