using System;

namespace PrismQ;

/// <summary>Counts per status for one queue, the age of its oldest ready task, and whether it is paused.</summary>
public sealed class QueueStats
{
    /// <summary>The queue's name.</summary>
    public string Name { get; init; } = QueueNames.Default;

    /// <summary>Queued tasks, ready now or later (including those waiting for a retry).</summary>
    public long Queued { get; init; }

    /// <summary>Of <see cref="Queued"/>, those not ready before a future instant (delayed or waiting for a retry).</summary>
    public long Scheduled { get; init; }

    /// <summary>Running tasks.</summary>
    public long Running { get; init; }

    /// <summary>Succeeded tasks (not yet pruned).</summary>
    public long Succeeded { get; init; }

    /// <summary>Failed (dead-lettered) tasks.</summary>
    public long Failed { get; init; }

    /// <summary>Cancelled tasks.</summary>
    public long Cancelled { get; init; }

    /// <summary>How long the oldest ready task has been ready; null when none is ready.</summary>
    public TimeSpan? OldestQueuedAge { get; init; }

    /// <summary>True while claiming from this queue is paused.</summary>
    public bool Paused { get; init; }
}
