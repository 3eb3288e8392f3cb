using System;

namespace PrismQ;

/// <summary>What a failed attempt led to.</summary>
public enum FailOutcome
{
    /// <summary>Queued again, claimable at <see cref="FailResult.RetryAt"/>.</summary>
    RetryScheduled = 0,
    /// <summary>No attempts left: the task is <see cref="TaskStatus.Failed"/> (dead-lettered).</summary>
    Failed = 1,
    /// <summary>A cancel had been requested: the task is <see cref="TaskStatus.Cancelled"/>.</summary>
    Cancelled = 2,
    /// <summary>The caller's lease was not current. Nothing changed.</summary>
    LeaseLost = 3,
}

/// <summary>The result of failing an attempt.</summary>
public sealed class FailResult
{
    /// <summary>Creates a result.</summary>
    public FailResult(FailOutcome outcome, DateTimeOffset? retryAt = null)
    {
        Outcome = outcome;
        RetryAt = retryAt;
    }

    /// <summary>What happened.</summary>
    public FailOutcome Outcome { get; }

    /// <summary>When the retry becomes claimable, for <see cref="FailOutcome.RetryScheduled"/>.</summary>
    public DateTimeOffset? RetryAt { get; }
}
