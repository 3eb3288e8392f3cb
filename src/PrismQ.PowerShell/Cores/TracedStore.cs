using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// The SQLite store together with the trace session it reports to: every call goes to the store; disposing closes the
/// store first (its last events reach the session), then the session (which drains them to the trace database).
/// The worker finds the store's database path and tracer through <see cref="Inner"/> (see <c>WorkerHostCore</c>).
/// </summary>
internal sealed class TracedStore : ITaskStore
{
    public TracedStore(SqliteTaskStore inner, TraceSession session)
    {
        Inner = inner;
        Session = session;
    }

    public SqliteTaskStore Inner { get; }

    public TraceSession Session { get; }

    public void Dispose()
    {
        try
        {
            Inner.Dispose();
        }
        finally
        {
            Session.Dispose();
        }
    }

    public Task<EnqueueResult> EnqueueAsync(EnqueueRequest request, CancellationToken cancellationToken = default) => Inner.EnqueueAsync(request, cancellationToken);
    public Task<IReadOnlyList<long>> EnqueueManyAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default) => Inner.EnqueueManyAsync(requests, batchSize, cancellationToken);
    public Task<TaskRecord?> GetAsync(long id, CancellationToken cancellationToken = default) => Inner.GetAsync(id, cancellationToken);
    public Task<IReadOnlyList<TaskRecord>> QueryAsync(TaskQuery query, CancellationToken cancellationToken = default) => Inner.QueryAsync(query, cancellationToken);
    public Task<CancelOutcome> CancelAsync(long id, CancellationToken cancellationToken = default) => Inner.CancelAsync(id, cancellationToken);
    public Task<bool> RetryAsync(long id, CancellationToken cancellationToken = default) => Inner.RetryAsync(id, cancellationToken);
    public Task<int> RetryManyAsync(TaskFilter filter, CancellationToken cancellationToken = default) => Inner.RetryManyAsync(filter, cancellationToken);
    public Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default) => Inner.DeleteAsync(id, cancellationToken);
    public Task<int> DeleteManyAsync(TaskFilter filter, CancellationToken cancellationToken = default) => Inner.DeleteManyAsync(filter, cancellationToken);
    public Task<IReadOnlyList<QueueStats>> GetQueueStatsAsync(IReadOnlyCollection<string>? queues = null, CancellationToken cancellationToken = default) => Inner.GetQueueStatsAsync(queues, cancellationToken);
    public Task PauseQueueAsync(string queue, CancellationToken cancellationToken = default) => Inner.PauseQueueAsync(queue, cancellationToken);
    public Task ResumeQueueAsync(string queue, CancellationToken cancellationToken = default) => Inner.ResumeQueueAsync(queue, cancellationToken);
    public Task<IReadOnlyList<TaskRecord>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default) => Inner.ClaimAsync(request, cancellationToken);
    public Task<ExtendResult> ExtendLeaseAsync(long id, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken = default) => Inner.ExtendLeaseAsync(id, token, duration, cancellationToken);
    public Task<LeaseOutcome> CompleteAsync(long id, LeaseToken token, string? resultJson = null, CancellationToken cancellationToken = default) => Inner.CompleteAsync(id, token, resultJson, cancellationToken);
    public Task<IReadOnlyList<LeaseOutcome>> CompleteManyAsync(IReadOnlyList<TaskCompletion> completions, CancellationToken cancellationToken = default) => Inner.CompleteManyAsync(completions, cancellationToken);
    public Task<FailResult> FailAsync(long id, LeaseToken token, TaskError error, RetryPolicy? retryPolicy = null, CancellationToken cancellationToken = default) => Inner.FailAsync(id, token, error, retryPolicy, cancellationToken);
    public Task<LeaseOutcome> ReleaseAsync(long id, LeaseToken token, CancellationToken cancellationToken = default) => Inner.ReleaseAsync(id, token, cancellationToken);
    public Task<LeaseOutcome> ReportProgressAsync(long id, LeaseToken token, int? percent, string? message, CancellationToken cancellationToken = default) => Inner.ReportProgressAsync(id, token, percent, message, cancellationToken);
    public Task<ReclaimResult> ReclaimExpiredAsync(CancellationToken cancellationToken = default) => Inner.ReclaimExpiredAsync(cancellationToken);
    public Task<ReclaimResult> ReclaimWorkerAsync(string workerId, CancellationToken cancellationToken = default) => Inner.ReclaimWorkerAsync(workerId, cancellationToken);
    public Task RegisterWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken = default) => Inner.RegisterWorkerAsync(worker, cancellationToken);
    public Task HeartbeatWorkerAsync(string workerId, IReadOnlyCollection<long> currentTaskIds, CancellationToken cancellationToken = default) => Inner.HeartbeatWorkerAsync(workerId, currentTaskIds, cancellationToken);
    public Task UnregisterWorkerAsync(string workerId, CancellationToken cancellationToken = default) => Inner.UnregisterWorkerAsync(workerId, cancellationToken);
    public Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken = default) => Inner.ListWorkersAsync(cancellationToken);
}
