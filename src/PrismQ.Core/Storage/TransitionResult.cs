using System;

namespace PrismQ;

/// <summary>What a store did with one <see cref="LeaseTransition"/>.</summary>
public readonly struct TransitionResult
{
    /// <summary>Creates a result.</summary>
    public TransitionResult(LeaseOutcome outcome, TaskStatus status, DateTimeOffset? notBefore)
    {
        Outcome = outcome;
        Status = status;
        NotBefore = notBefore;
    }

    /// <summary><see cref="LeaseOutcome.Applied"/>, or <see cref="LeaseOutcome.LeaseLost"/> when the lease was no longer current (nothing changed).</summary>
    public LeaseOutcome Outcome { get; }

    /// <summary>The state written: the transition's, or <see cref="TaskStatus.Cancelled"/> when a pending cancel won. <see cref="TaskStatus.Running"/> when nothing was written.</summary>
    public TaskStatus Status { get; }

    /// <summary>When a task put back in its queue becomes claimable; null otherwise.</summary>
    public DateTimeOffset? NotBefore { get; }

    /// <summary>A lease-lost result.</summary>
    public static TransitionResult Lost => new(LeaseOutcome.LeaseLost, TaskStatus.Running, null);
}
