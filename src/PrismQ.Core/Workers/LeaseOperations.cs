using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tasks;
using PrismQ.Workers;

namespace PrismQ;

/// <summary>
/// The single-task lease operations of any <see cref="ITaskStore"/>, for code that runs its own loop instead of a
/// <see cref="Worker"/>: complete, fail (with the retry policy), release, and the rescues of expired or dead workers'
/// leases. Each decides the transition with the engine's rules and writes it with
/// <see cref="ITaskStore.ApplyTransitionsAsync"/>, conditional on the lease.
/// </summary>
public static class LeaseOperations
{
    /// <summary>Marks a running task <see cref="TaskStatus.Succeeded"/> with an optional JSON result.</summary>
    public static async Task<LeaseOutcome> CompleteAsync(this ITaskStore store, long id, LeaseToken token, string? resultJson = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<TransitionResult> written = await NotNull(store).ApplyTransitionsAsync(new[] { LeaseTransition.Succeed(id, token, resultJson) }, cancellationToken).ConfigureAwait(false);
        return written[0].Outcome;
    }

    /// <summary>Completes several leases in one transaction; each item gets its own outcome (in order), and a lost lease does not stop the others.</summary>
    public static async Task<IReadOnlyList<LeaseOutcome>> CompleteManyAsync(this ITaskStore store, IReadOnlyList<TaskCompletion> completions, CancellationToken cancellationToken = default)
    {
        if (completions is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "completions is null; it must be a list of TaskCompletion.", nameof(completions));
        var transitions = new LeaseTransition[completions.Count];
        for (int i = 0; i < transitions.Length; i++) transitions[i] = LeaseTransition.Succeed(completions[i].Id, completions[i].Token, completions[i].ResultJson);
        IReadOnlyList<TransitionResult> written = await NotNull(store).ApplyTransitionsAsync(transitions, cancellationToken).ConfigureAwait(false);
        var outcomes = new LeaseOutcome[written.Count];
        for (int i = 0; i < outcomes.Length; i++) outcomes[i] = written[i].Outcome;
        return outcomes;
    }

    /// <summary>
    /// Fails the current attempt: the task is queued again after the retry policy's backoff (<paramref name="retryPolicy"/>,
    /// else the store's), or becomes <see cref="TaskStatus.Failed"/> when its attempts are used up, or
    /// <see cref="TaskStatus.Cancelled"/> when a cancel had been requested.
    /// </summary>
    public static async Task<FailResult> FailAsync(this ITaskStore store, long id, LeaseToken token, TaskError error, RetryPolicy? retryPolicy = null, CancellationToken cancellationToken = default)
    {
        NotNull(store);
        TaskValidation.CheckError(error);
        RetryPolicy policy = retryPolicy ?? store.Options.RetryPolicy;
        policy.Validate();
        TaskRecord? task = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (task is null || task.Status != TaskStatus.Running || task.LeaseToken != token) return new FailResult(FailOutcome.LeaseLost);
        // The attempt counts are fixed while the lease is held; a cancel requested after this read still wins in the write.
        LeaseTransition transition = task.CancelRequested
            ? LeaseTransition.Cancel(id, token, error)
            : AttemptRules.Failed(id, token, task.Attempts, task.MaxAttempts, error, policy, store.Options.RandomSource());
        IReadOnlyList<TransitionResult> written = await store.ApplyTransitionsAsync(new[] { transition }, cancellationToken).ConfigureAwait(false);
        return written[0] switch
        {
            { Outcome: LeaseOutcome.LeaseLost } => new FailResult(FailOutcome.LeaseLost),
            { Status: TaskStatus.Queued } r => new FailResult(FailOutcome.RetryScheduled, r.NotBefore),
            { Status: TaskStatus.Failed } => new FailResult(FailOutcome.Failed),
            _ => new FailResult(FailOutcome.Cancelled),
        };
    }

    /// <summary>Gives a running task back without counting the attempt (for a graceful stop). A cancel-requested task becomes cancelled.</summary>
    public static async Task<LeaseOutcome> ReleaseAsync(this ITaskStore store, long id, LeaseToken token, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<TransitionResult> written = await NotNull(store).ApplyTransitionsAsync(new[] { LeaseTransition.Release(id, token) }, cancellationToken).ConfigureAwait(false);
        return written[0].Outcome;
    }

    /// <summary>
    /// Takes back every running task whose lease has expired: it is claimable again with the lost attempt counted,
    /// <see cref="TaskStatus.Failed"/> when it has no attempts left, or cancelled when a cancel was requested.
    /// </summary>
    public static Task<ReclaimResult> ReclaimExpiredAsync(this ITaskStore store, CancellationToken cancellationToken = default) =>
        RescueAsync(NotNull(store), null, "The lease expired before the worker completed, failed or released the task.", cancellationToken);

    /// <summary>
    /// Takes back every running task leased to <paramref name="workerId"/>, whatever its expiry, as
    /// <see cref="ReclaimExpiredAsync"/> does. For a worker known to be dead.
    /// </summary>
    public static Task<ReclaimResult> ReclaimWorkerAsync(this ITaskStore store, string workerId, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckWorkerId(workerId, nameof(workerId));
        return RescueAsync(NotNull(store), workerId, "The worker '" + workerId + "' was declared dead; its lease was taken back.", cancellationToken);
    }

    private static async Task<ReclaimResult> RescueAsync(ITaskStore store, string? workerId, string message, CancellationToken cancellationToken)
    {
        int requeued = 0, failed = 0;
        while (true)
        {
            IReadOnlyList<HeldLease> leases = await store.GetLeasesAsync(workerId, expiredOnly: workerId is null, cancellationToken).ConfigureAwait(false);
            if (leases.Count == 0) break;
            var transitions = new LeaseTransition[leases.Count];
            for (int i = 0; i < transitions.Length; i++)
            {
                transitions[i] = AttemptRules.Rescued(leases[i], message);
                // An expired lease renewed by its holder since the read stays its holder's.
                if (workerId is null) transitions[i].IfExpired();
            }
            IReadOnlyList<TransitionResult> written = await store.ApplyTransitionsAsync(transitions, cancellationToken).ConfigureAwait(false);
            bool any = false;
            foreach (TransitionResult r in written)
            {
                if (r.Outcome != LeaseOutcome.Applied) continue;
                any = true;
                if (r.Status == TaskStatus.Queued) requeued++;
                else if (r.Status == TaskStatus.Failed) failed++;
            }
            // A lease renewed between the read and the write is no longer expired: stop rather than read it again.
            if (!any) break;
        }
        return new ReclaimResult(requeued, failed);
    }

    private static ITaskStore NotNull(ITaskStore store) =>
        store ?? throw new PrismQException(PrismQErrorCode.InvalidArgument, "The store is null; pass an open ITaskStore.", nameof(store));
}
