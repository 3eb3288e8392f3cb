using System;

namespace PrismQ;

/// <summary>What one <see cref="Worker.RunAsync"/> did. Each claimed attempt ends in exactly one of the outcome counts.</summary>
public sealed class WorkerRunSummary
{
    /// <summary>The worker's id.</summary>
    public string WorkerId { get; init; } = string.Empty;

    /// <summary>Attempts that ended (the sum of the outcome counts below).</summary>
    public long Processed => Succeeded + Failed + Retried + LeasesLost + Released + Cancelled;

    /// <summary>Attempts whose task is now <see cref="TaskStatus.Succeeded"/>.</summary>
    public long Succeeded { get; init; }

    /// <summary>Attempts that failed with no attempts left: the task is now <see cref="TaskStatus.Failed"/>.</summary>
    public long Failed { get; init; }

    /// <summary>Attempts that failed and were scheduled for a retry.</summary>
    public long Retried { get; init; }

    /// <summary>Attempts whose lease was found lost (taken over after expiry, or by a dead-worker sweep); nothing was written for them.</summary>
    public long LeasesLost { get; init; }

    /// <summary>Attempts given back at a graceful stop without counting the attempt.</summary>
    public long Released { get; init; }

    /// <summary>Attempts that ended because a user cancelled the task: it is now <see cref="TaskStatus.Cancelled"/>.</summary>
    public long Cancelled { get; init; }

    /// <summary>Of the failed and retried attempts, those that passed the task's timeout.</summary>
    public long TimedOut { get; init; }

    /// <summary>Handlers that ignored cancellation past the grace period and were left running (their results are discarded).</summary>
    public long Abandoned { get; init; }

    /// <summary>How long the worker ran.</summary>
    public TimeSpan RunTime { get; init; }

    /// <summary>Why it stopped.</summary>
    public WorkerStopReason StopReason { get; init; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{WorkerId}: {Processed} processed ({Succeeded} succeeded, {Failed} failed, {Retried} retried, {LeasesLost} leases lost, {Released} released, {Cancelled} cancelled), {TimedOut} timed out, {Abandoned} abandoned, ran {RunTime}, stopped: {StopReason}";
}
