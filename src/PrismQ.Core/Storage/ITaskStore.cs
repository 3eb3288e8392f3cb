using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ;

/// <summary>
/// The store contract: everything the engine needs from durable storage, with no storage specifics.
/// Every state change is conditional on the state (and lease token) it expects; an operation on a lease
/// that is no longer current returns a lease-lost outcome and changes nothing.
/// Bad input throws <see cref="PrismQException"/> and writes nothing.
/// Implementations are safe to use from many threads at once.
/// </summary>
public interface ITaskStore : IDisposable
{
    /// <summary>Enqueues one task. With an idempotency key that already exists, returns the existing task (<see cref="EnqueueResult.Created"/> false).</summary>
    Task<EnqueueResult> EnqueueAsync(EnqueueRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Enqueues a stream of tasks of any length, committing every <paramref name="batchSize"/> tasks in one
    /// transaction. Each batch is all-or-nothing: when a request is invalid, its whole batch is rolled back and
    /// the exception names the request's index; batches committed before it stay.
    /// Returns the ids in request order (the existing id where an idempotency key already existed).
    /// </summary>
    Task<IReadOnlyList<long>> EnqueueManyAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="EnqueueManyAsync"/>, returning each task as written instead of its id, in request order (the existing
    /// task, <see cref="EnqueueResult.Created"/> false, where an idempotency key already existed), without reading the
    /// new rows back.
    /// </summary>
    Task<IReadOnlyList<EnqueueResult>> EnqueueManyWithResultsAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default);

    /// <summary>The task with this id, or null.</summary>
    Task<TaskRecord?> GetAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Tasks matching a filter, in the requested order, one page at a time.</summary>
    Task<IReadOnlyList<TaskRecord>> QueryAsync(TaskQuery query, CancellationToken cancellationToken = default);

    /// <summary>Cancels a queued task at once, or marks a running one (its worker learns it at its next heartbeat).</summary>
    Task<CancelOutcome> CancelAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Puts a failed or cancelled task back in its queue with a fresh set of attempts. False when it is in another state or missing.</summary>
    Task<bool> RetryAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Puts back every failed or cancelled task that matches the filter. Returns how many.</summary>
    Task<int> RetryManyAsync(TaskFilter filter, CancellationToken cancellationToken = default);

    /// <summary>Deletes a task that is not running. False when it is running or missing.</summary>
    Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Deletes every task that matches the filter and is not running. Returns how many.</summary>
    Task<int> DeleteManyAsync(TaskFilter filter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Statistics for the named queues that exist, or for every queue when <paramref name="queues"/> is null or empty. A
    /// queue exists once the database holds its row: its first task creates it, and so does a pause; it stays when its
    /// tasks are deleted. A named queue that does not exist is left out of the result.
    /// </summary>
    Task<IReadOnlyList<QueueStats>> GetQueueStatsAsync(IReadOnlyCollection<string>? queues = null, CancellationToken cancellationToken = default);

    /// <summary>Stops claims from a queue (the queue is created if unknown). Enqueueing goes on.</summary>
    Task PauseQueueAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>Lets claims from a paused queue go on.</summary>
    Task ResumeQueueAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>
    /// Leases up to <see cref="ClaimRequest.MaxCount"/> ready tasks (not-before passed, queue not paused) in one
    /// write transaction: each becomes <see cref="TaskStatus.Running"/> with a new lease token and expiry, and its
    /// attempt count goes up by one. The returned records carry the lease token.
    /// </summary>
    Task<IReadOnlyList<TaskRecord>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default);

    /// <summary>Extends a lease by <paramref name="duration"/> from now, and reports whether a cancel was requested.</summary>
    Task<ExtendResult> ExtendLeaseAsync(long id, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends several leases by <paramref name="duration"/> from now in one transaction; each item gets its own result
    /// (in order), and a lost lease does not stop the others.
    /// </summary>
    Task<IReadOnlyList<ExtendResult>> ExtendLeasesAsync(IReadOnlyList<TaskLease> leases, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes transitions of leased tasks, as the engine decided them, in one transaction. Each is written only while
    /// its task is <see cref="TaskStatus.Running"/> under the transition's token (else its result is
    /// <see cref="LeaseOutcome.LeaseLost"/> and nothing changes), and a lost lease does not stop the others. A
    /// transition with <see cref="LeaseTransition.CancelWins"/> makes a task whose cancel was requested
    /// <see cref="TaskStatus.Cancelled"/> instead. Each error is added to its task's history, and each transition's
    /// <see cref="LeaseTransition.Output"/> to its task's output, in the same transaction and only when the transition
    /// applies. Invalid items (a result over the size limit, output beyond its bounds) throw
    /// <see cref="PrismQException"/> before anything is written. The store decides nothing else: see
    /// <see cref="LeaseOperations"/> for the single-task forms and the engine's rules.
    /// </summary>
    Task<IReadOnlyList<TransitionResult>> ApplyTransitionsAsync(IReadOnlyList<LeaseTransition> transitions, CancellationToken cancellationToken = default);

    /// <summary>Stores progress (percent 0-100 and/or a message) for a running task under its current lease.</summary>
    Task<LeaseOutcome> ReportProgressAsync(long id, LeaseToken token, int? percent, string? message, CancellationToken cancellationToken = default);

    /// <summary>
    /// The leases held now (at most 1,000 per call): those of <paramref name="workerId"/> when given, else only the
    /// expired ones when <paramref name="expiredOnly"/>, else all. For rescues: see <see cref="LeaseOperations.ReclaimExpiredAsync"/>.
    /// </summary>
    Task<IReadOnlyList<HeldLease>> GetLeasesAsync(string? workerId = null, bool expiredOnly = false, CancellationToken cancellationToken = default);

    /// <summary>The options the store was opened with (the retry policy and random source of its queues).</summary>
    QueueOptions Options { get; }

    /// <summary>Records a worker (or refreshes it when the id is already registered).</summary>
    Task RegisterWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken = default);

    /// <summary>Refreshes a worker's heartbeat and its current task ids.</summary>
    Task HeartbeatWorkerAsync(string workerId, IReadOnlyCollection<long> currentTaskIds, CancellationToken cancellationToken = default);

    /// <summary>Removes a worker from the registry (at its clean stop).</summary>
    Task UnregisterWorkerAsync(string workerId, CancellationToken cancellationToken = default);

    /// <summary>Every registered worker.</summary>
    Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken = default);
}
