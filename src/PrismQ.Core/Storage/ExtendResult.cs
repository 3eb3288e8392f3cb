using System;

namespace PrismQ;

/// <summary>The result of a heartbeat (lease extension).</summary>
public sealed class ExtendResult
{
    /// <summary>Creates a result.</summary>
    public ExtendResult(LeaseOutcome outcome, DateTimeOffset? expiresAt, bool cancelRequested)
    {
        Outcome = outcome;
        ExpiresAt = expiresAt;
        CancelRequested = cancelRequested;
    }

    /// <summary>Applied, or lease lost.</summary>
    public LeaseOutcome Outcome { get; }

    /// <summary>The new expiry, when applied.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>True when a user asked to cancel the task: the handler should stop, and the worker then calls <see cref="LeaseOperations.FailAsync"/> or <see cref="LeaseOperations.CompleteAsync"/>.</summary>
    public bool CancelRequested { get; }
}
