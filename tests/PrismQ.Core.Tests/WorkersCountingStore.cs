using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.Tests;

/// <summary>A store decorator that counts the worker's claims, transition writes and heartbeats.</summary>
internal sealed class CountingStore : ITaskStore
{
    private readonly ITaskStore _inner;
    private int _claims, _firstClaimSize = -1, _transitionWrites, _transitionItems, _transitionsWithOutput, _extendWrites;

    public CountingStore(ITaskStore inner) => _inner = inner;

    public int Claims => Volatile.Read(ref _claims);
    public int FirstClaimSize => Volatile.Read(ref _firstClaimSize);
    /// <summary>Calls of <see cref="ApplyTransitionsAsync"/> (each one transaction).</summary>
    public int TransitionWrites => Volatile.Read(ref _transitionWrites);

    /// <summary>Transitions written in all.</summary>
    public int TransitionItems => Volatile.Read(ref _transitionItems);

    /// <summary>Transitions written that carried output (<see cref="LeaseTransition.Output"/> not null).</summary>
    public int TransitionsWithOutput => Volatile.Read(ref _transitionsWithOutput);

    /// <summary>Calls of <see cref="ExtendLeasesAsync"/> (one per heartbeat).</summary>
    public int ExtendWrites => Volatile.Read(ref _extendWrites);

    public async Task<IReadOnlyList<TaskRecord>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<TaskRecord> claimed = await _inner.ClaimAsync(request, cancellationToken);
        if (claimed.Count > 0)
        {
            Interlocked.Increment(ref _claims);
            Interlocked.CompareExchange(ref _firstClaimSize, claimed.Count, -1);
        }
        return claimed;
    }

    public Task<IReadOnlyList<TransitionResult>> ApplyTransitionsAsync(IReadOnlyList<LeaseTransition> transitions, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _transitionWrites);
        Interlocked.Add(ref _transitionItems, transitions.Count);
        foreach (LeaseTransition transition in transitions)
            if (transition.Output is not null) Interlocked.Increment(ref _transitionsWithOutput);
        return _inner.ApplyTransitionsAsync(transitions, cancellationToken);
    }

    public Task<IReadOnlyList<ExtendResult>> ExtendLeasesAsync(IReadOnlyList<TaskLease> leases, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _extendWrites);
        return _inner.ExtendLeasesAsync(leases, duration, cancellationToken);
    }

    /// <summary>Called with the worker id before each read of a worker's leases (the first step of a takeover) is passed on.</summary>
    public Action<string>? BeforeReclaimWorker { get; set; }

    public Task<IReadOnlyList<HeldLease>> GetLeasesAsync(string? workerId = null, bool expiredOnly = false, CancellationToken cancellationToken = default)
    {
        if (workerId is not null) BeforeReclaimWorker?.Invoke(workerId);
        return _inner.GetLeasesAsync(workerId, expiredOnly, cancellationToken);
    }

    public QueueOptions Options => _inner.Options;

    public Task<EnqueueResult> EnqueueAsync(EnqueueRequest request, CancellationToken cancellationToken = default) => _inner.EnqueueAsync(request, cancellationToken);
    public Task<IReadOnlyList<long>> EnqueueManyAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default) => _inner.EnqueueManyAsync(requests, batchSize, cancellationToken);
    public Task<IReadOnlyList<EnqueueResult>> EnqueueManyWithResultsAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default) => _inner.EnqueueManyWithResultsAsync(requests, batchSize, cancellationToken);
    public Task<TaskRecord?> GetAsync(long id, CancellationToken cancellationToken = default) => _inner.GetAsync(id, cancellationToken);
    public Task<IReadOnlyList<TaskRecord>> QueryAsync(TaskQuery query, CancellationToken cancellationToken = default) => _inner.QueryAsync(query, cancellationToken);
    public Task<CancelOutcome> CancelAsync(long id, CancellationToken cancellationToken = default) => _inner.CancelAsync(id, cancellationToken);
    public Task<bool> RetryAsync(long id, CancellationToken cancellationToken = default) => _inner.RetryAsync(id, cancellationToken);
    public Task<int> RetryManyAsync(TaskFilter filter, CancellationToken cancellationToken = default) => _inner.RetryManyAsync(filter, cancellationToken);
    public Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default) => _inner.DeleteAsync(id, cancellationToken);
    public Task<int> DeleteManyAsync(TaskFilter filter, CancellationToken cancellationToken = default) => _inner.DeleteManyAsync(filter, cancellationToken);
    public Task<IReadOnlyList<QueueStats>> GetQueueStatsAsync(IReadOnlyCollection<string>? queues = null, CancellationToken cancellationToken = default) => _inner.GetQueueStatsAsync(queues, cancellationToken);
    public Task PauseQueueAsync(string queue, CancellationToken cancellationToken = default) => _inner.PauseQueueAsync(queue, cancellationToken);
    public Task ResumeQueueAsync(string queue, CancellationToken cancellationToken = default) => _inner.ResumeQueueAsync(queue, cancellationToken);
    public Task<ExtendResult> ExtendLeaseAsync(long id, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken = default) => _inner.ExtendLeaseAsync(id, token, duration, cancellationToken);
    public Task<LeaseOutcome> ReportProgressAsync(long id, LeaseToken token, int? percent, string? message, CancellationToken cancellationToken = default) => _inner.ReportProgressAsync(id, token, percent, message, cancellationToken);
    public Task RegisterWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken = default) => _inner.RegisterWorkerAsync(worker, cancellationToken);
    public Task HeartbeatWorkerAsync(string workerId, IReadOnlyCollection<long> currentTaskIds, CancellationToken cancellationToken = default) => _inner.HeartbeatWorkerAsync(workerId, currentTaskIds, cancellationToken);
    public Task UnregisterWorkerAsync(string workerId, CancellationToken cancellationToken = default) => _inner.UnregisterWorkerAsync(workerId, cancellationToken);
    public Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken = default) => _inner.ListWorkersAsync(cancellationToken);

    public void Dispose()
    {
    }
}
