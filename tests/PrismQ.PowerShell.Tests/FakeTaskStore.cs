using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.PowerShell.Tests;

/// <summary>
/// An in-memory ITaskStore with the semantics the cmdlet cores rely on (enqueue, query, cancel, retry, delete,
/// queue stats, pause), counting calls so tests can check batching. Claim/lease operations are not needed by the
/// cores under test and throw.
/// </summary>
internal sealed class FakeTaskStore : ITaskStore
{
    private readonly object _gate = new();
    private readonly SortedDictionary<long, TaskRecord> _tasks = new();
    private readonly HashSet<string> _paused = new();
    private readonly HashSet<string> _queues = new();
    private long _nextId = 1;

    public DateTimeOffset Now { get; set; } = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    public int EnqueueManyCalls { get; private set; }
    public List<int> EnqueueManySizes { get; } = new();
    public List<WorkerRecord> Workers { get; } = new();
    public bool Disposed { get; private set; }

    public void Put(TaskRecord record)
    {
        lock (_gate)
        {
            _tasks[record.Id] = record;
            _queues.Add(record.Queue);
            _nextId = Math.Max(_nextId, record.Id + 1);
        }
    }

    public TaskRecord? Find(long id)
    {
        lock (_gate) return _tasks.TryGetValue(id, out TaskRecord? r) ? r : null;
    }

    public TaskRecord Snapshot(long id)
    {
        lock (_gate) return _tasks[id];
    }

    public Task<EnqueueResult> EnqueueAsync(EnqueueRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public async Task<IReadOnlyList<long>> EnqueueManyAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default) =>
        (await EnqueueManyWithResultsAsync(requests, batchSize, cancellationToken)).Select(r => r.Task.Id).ToList();

    public Task<IReadOnlyList<EnqueueResult>> EnqueueManyWithResultsAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            EnqueueManyCalls++;
            var results = new List<EnqueueResult>();
            foreach (EnqueueRequest r in requests)
            {
                if (string.IsNullOrEmpty(r.Type)) throw new PrismQException(PrismQErrorCode.InvalidTaskType, "empty type", "Type", r.Type);
                TaskRecord? existing = r.IdempotencyKey is null ? null : _tasks.Values.FirstOrDefault(t => t.IdempotencyKey == r.IdempotencyKey);
                if (existing is not null)
                {
                    results.Add(new EnqueueResult(existing, created: false));
                    continue;
                }

                long id = _nextId++;
                var record = new TaskRecord
                {
                    Id = id, Queue = r.Queue, Type = r.Type, Payload = r.Payload ?? "null", Priority = r.Priority,
                    NotBefore = r.NotBefore ?? Now + (r.Delay ?? TimeSpan.Zero), MaxAttempts = r.MaxAttempts ?? 5,
                    Timeout = r.Timeout, IdempotencyKey = r.IdempotencyKey, Status = TaskStatus.Queued, CreatedAt = Now, UpdatedAt = Now,
                };
                _tasks[id] = record;
                _queues.Add(r.Queue);
                results.Add(new EnqueueResult(record, created: true));
            }

            EnqueueManySizes.Add(results.Count);
            return Task.FromResult<IReadOnlyList<EnqueueResult>>(results);
        }
    }

    public Task<TaskRecord?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult(_tasks.TryGetValue(id, out TaskRecord? r) ? r : null);
    }

    public Task<IReadOnlyList<TaskRecord>> QueryAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            IEnumerable<TaskRecord> all = query.Order == TaskOrder.OldestFirst ? _tasks.Values : _tasks.Values.Reverse();
            if (query.AfterId is long after) all = all.Where(t => query.Order == TaskOrder.OldestFirst ? t.Id > after : t.Id < after);
            return Task.FromResult<IReadOnlyList<TaskRecord>>(all.Where(t => Matches(t, query.Filter)).Take(query.Limit).ToList());
        }
    }

    public Task<CancelOutcome> CancelAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_tasks.TryGetValue(id, out TaskRecord? r)) return Task.FromResult(CancelOutcome.NotFound);
            switch (r.Status)
            {
                case TaskStatus.Queued:
                    _tasks[id] = With(r, TaskStatus.Cancelled, Now);
                    return Task.FromResult(CancelOutcome.Cancelled);
                case TaskStatus.Running:
                    _tasks[id] = new TaskRecord { Id = r.Id, Queue = r.Queue, Type = r.Type, Payload = r.Payload, Status = TaskStatus.Running, CancelRequested = true, CreatedAt = r.CreatedAt };
                    return Task.FromResult(CancelOutcome.CancelRequested);
                default:
                    return Task.FromResult(CancelOutcome.AlreadyFinished);
            }
        }
    }

    public Task<bool> RetryAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_tasks.TryGetValue(id, out TaskRecord? r) || (r.Status != TaskStatus.Failed && r.Status != TaskStatus.Cancelled)) return Task.FromResult(false);
            _tasks[id] = With(r, TaskStatus.Queued, null);
            return Task.FromResult(true);
        }
    }

    public Task<int> RetryManyAsync(TaskFilter filter, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_tasks.TryGetValue(id, out TaskRecord? r) || r.Status == TaskStatus.Running) return Task.FromResult(false);
            return Task.FromResult(_tasks.Remove(id));
        }
    }

    public Task<int> DeleteManyAsync(TaskFilter filter, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            List<long> ids = _tasks.Values.Where(t => t.Status != TaskStatus.Running && Matches(t, filter)).Select(t => t.Id).ToList();
            foreach (long id in ids) _tasks.Remove(id);
            return Task.FromResult(ids.Count);
        }
    }

    public Task<IReadOnlyList<QueueStats>> GetQueueStatsAsync(IReadOnlyCollection<string>? queues = null, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var result = new List<QueueStats>();
            foreach (string q in _queues.OrderBy(x => x, StringComparer.Ordinal))
            {
                if (queues is { Count: > 0 } && !queues.Contains(q)) continue;
                List<TaskRecord> t = _tasks.Values.Where(x => x.Queue == q).ToList();
                result.Add(new QueueStats
                {
                    Name = q, Queued = t.Count(x => x.Status == TaskStatus.Queued), Running = t.Count(x => x.Status == TaskStatus.Running),
                    Succeeded = t.Count(x => x.Status == TaskStatus.Succeeded), Failed = t.Count(x => x.Status == TaskStatus.Failed),
                    Cancelled = t.Count(x => x.Status == TaskStatus.Cancelled), Paused = _paused.Contains(q),
                });
            }

            return Task.FromResult<IReadOnlyList<QueueStats>>(result);
        }
    }

    public Task PauseQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _queues.Add(queue);
            _paused.Add(queue);
        }

        return Task.CompletedTask;
    }

    public Task ResumeQueueAsync(string queue, CancellationToken cancellationToken = default)
    {
        lock (_gate) _paused.Remove(queue);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<WorkerRecord>>(Workers.ToList());

    public Task<IReadOnlyList<TaskRecord>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<ExtendResult> ExtendLeaseAsync(long id, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<IReadOnlyList<ExtendResult>> ExtendLeasesAsync(IReadOnlyList<TaskLease> leases, TimeSpan duration, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<IReadOnlyList<TransitionResult>> ApplyTransitionsAsync(IReadOnlyList<LeaseTransition> transitions, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<IReadOnlyList<HeldLease>> GetLeasesAsync(string? workerId = null, bool expiredOnly = false, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public QueueOptions Options { get; } = new();
    public Task<LeaseOutcome> ReportProgressAsync(long id, LeaseToken token, int? percent, string? message, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task RegisterWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task HeartbeatWorkerAsync(string workerId, IReadOnlyCollection<long> currentTaskIds, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task UnregisterWorkerAsync(string workerId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public void Dispose() => Disposed = true;

    private static TaskRecord With(TaskRecord r, TaskStatus status, DateTimeOffset? finishedAt) => new()
    {
        Id = r.Id, Queue = r.Queue, Type = r.Type, Payload = r.Payload, Priority = r.Priority, NotBefore = r.NotBefore,
        MaxAttempts = r.MaxAttempts, Attempts = status == TaskStatus.Queued ? 0 : r.Attempts, IdempotencyKey = r.IdempotencyKey,
        Status = status, CreatedAt = r.CreatedAt, FinishedAt = finishedAt, UpdatedAt = r.UpdatedAt, LastError = r.LastError,
    };

    private static bool Matches(TaskRecord t, TaskFilter f) =>
        (f.Queue is null || t.Queue == f.Queue) && (f.Type is null || t.Type == f.Type)
        && (f.Statuses is not { Count: > 0 } || f.Statuses.Contains(t.Status))
        && (f.Ids is null || f.Ids.Contains(t.Id))
        && (f.CreatedBefore is null || t.CreatedAt < f.CreatedBefore) && (f.CreatedAfter is null || t.CreatedAt >= f.CreatedAfter)
        && (f.FinishedBefore is null || (t.FinishedAt is { } fin && fin < f.FinishedBefore));
}
