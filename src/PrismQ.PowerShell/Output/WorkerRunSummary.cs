using System;

namespace PrismQ.PowerShell;

/// <summary>What one <c>Start-PrismQWorker</c> run did (PowerShell type name <c>PrismQ.WorkerRunSummary</c>).</summary>
public sealed class WorkerRunSummary
{
    /// <summary>The PowerShell type name the format file binds to.</summary>
    public const string PSTypeName = "PrismQ.WorkerRunSummary";

    /// <summary>The worker's id.</summary>
    public string WorkerId { get; set; } = string.Empty;

    /// <summary>Attempts that ended, whatever their outcome.</summary>
    public long Processed { get; set; }

    /// <summary>Tasks that succeeded.</summary>
    public long Succeeded { get; set; }

    /// <summary>Tasks that failed for good (no attempts left).</summary>
    public long Failed { get; set; }

    /// <summary>Failed attempts scheduled for a retry.</summary>
    public long Retried { get; set; }

    /// <summary>Tasks cancelled by a user while running.</summary>
    public long Cancelled { get; set; }

    /// <summary>Tasks given back at a stop without counting the attempt.</summary>
    public long Released { get; set; }

    /// <summary>Attempts whose lease was found lost (taken over by another worker after expiry or a dead-worker sweep). Tasks given back at a stop count as <see cref="Released"/>, never here.</summary>
    public long LeasesLost { get; set; }

    /// <summary>Attempts that passed their task's timeout.</summary>
    public long TimedOut { get; set; }

    /// <summary>Why the worker stopped: Cancelled (Ctrl+C), MaxTasks, IdleTimeout or MaxRunTime.</summary>
    public WorkerStopReason StopReason { get; set; }

    /// <summary>How long the worker ran.</summary>
    public TimeSpan RunTime { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{WorkerId}: {Succeeded} succeeded, {Failed} failed ({StopReason})";
}
