using System;

namespace PrismQ.PowerShell;

/// <summary>One queue's counts per status, the age of its oldest ready task and whether it is paused (PowerShell type name <c>PrismQ.QueueInfo</c>).</summary>
public sealed class QueueInfo
{
    /// <summary>The PowerShell type name the format file binds to.</summary>
    public const string PSTypeName = "PrismQ.QueueInfo";

    /// <summary>The queue's name.</summary>
    public string Name { get; set; } = QueueNames.Default;

    /// <summary>Queued tasks, ready now or later.</summary>
    public long Queued { get; set; }

    /// <summary>Of <see cref="Queued"/>, those waiting for a future instant (delayed or waiting for a retry).</summary>
    public long Scheduled { get; set; }

    /// <summary>Running tasks.</summary>
    public long Running { get; set; }

    /// <summary>Succeeded tasks (not yet pruned).</summary>
    public long Succeeded { get; set; }

    /// <summary>Failed (dead-lettered) tasks.</summary>
    public long Failed { get; set; }

    /// <summary>Cancelled tasks.</summary>
    public long Cancelled { get; set; }

    /// <summary>How long the oldest ready task has been waiting; null when none is ready.</summary>
    public TimeSpan? OldestQueuedAge { get; set; }

    /// <summary>True while claiming from the queue is paused.</summary>
    public bool Paused { get; set; }

    /// <inheritdoc />
    public override string ToString() => Name;
}
