using System;

namespace PrismQ.Workers;

/// <summary>
/// The engine's rules for how an attempt ends, in one place: every transition of a leased task — completed, retried
/// after a backoff with jitter, dead-lettered, cancelled, released, rescued — is decided here, for the worker's own
/// attempts and for rescues of expired or dead workers' leases alike. Stores only write what these return.
/// </summary>
internal static class AttemptRules
{
    /// <summary>The error of an attempt whose lease was taken back (expired, or its worker was declared dead).</summary>
    public const string LeaseExpiredType = "PrismQ.LeaseExpired";

    /// <summary>
    /// A failed attempt: the task is retried after <paramref name="policy"/>'s backoff for this attempt (jittered by
    /// <paramref name="random"/>, in [0, 1)), or dead-lettered when this was its last attempt. A pending cancel wins.
    /// </summary>
    public static LeaseTransition Failed(long id, LeaseToken token, int attempt, int maxAttempts, TaskError error, RetryPolicy policy, double random) =>
        attempt >= maxAttempts
            ? LeaseTransition.DeadLetter(id, token, error)
            : LeaseTransition.Retry(id, token, error, policy.ComputeDelay(attempt, random));

    /// <summary>
    /// A lease taken back from its worker: cancelled when a cancel was requested, dead-lettered when the lost attempt
    /// was the last, else queued again at once, keeping its place (the lost attempt stays counted).
    /// </summary>
    public static LeaseTransition Rescued(HeldLease lease, string message)
    {
        var error = new TaskError(message, LeaseExpiredType);
        LeaseTransition transition = lease.CancelRequested
            ? LeaseTransition.Cancel(lease.Id, lease.Token, error)
            : lease.Attempts >= lease.MaxAttempts
                ? LeaseTransition.DeadLetter(lease.Id, lease.Token, error)
                : LeaseTransition.Retry(lease.Id, lease.Token, error, delay: null);
        return transition.TakingOverFrom(lease.Owner);
    }

    /// <summary>How the worker counts an attempt once its transition is written (or found its lease lost).</summary>
    public static AttemptOutcome OutcomeOf(LeaseTransition transition, TransitionResult written)
    {
        if (written.Outcome != LeaseOutcome.Applied) return AttemptOutcome.LeaseLost;
        return written.Status switch
        {
            TaskStatus.Succeeded => AttemptOutcome.Succeeded,
            TaskStatus.Failed => AttemptOutcome.Failed,
            TaskStatus.Cancelled => AttemptOutcome.Cancelled,
            TaskStatus.Queued => transition.CountsAttempt ? AttemptOutcome.Retried : AttemptOutcome.Released,
            _ => AttemptOutcome.LeaseLost,
        };
    }
}
