using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.Coyote.Tests;

/// <summary>
/// An in-memory <see cref="ITaskStore"/> for Coyote tests of the worker: tasks in a dictionary under a lock (no
/// SQLite, whose native calls Coyote neither sees nor interleaves). It keeps the store contract the worker relies on:
/// a claim gives each task a new lease token and counts the attempt; transitions and lease extensions apply only while
/// the task is Running under the given token (else LeaseLost, nothing changes), honouring
/// <see cref="LeaseTransition.CancelWins"/>, <see cref="LeaseTransition.CountsAttempt"/> and
/// <see cref="LeaseTransition.OnlyIfExpired"/>; a cancel cancels a queued task or marks a running one. Every lease
/// call yields first, so Coyote can run other tasks while a "write" is in flight, and the test can hook into claims
/// and transitions (<see cref="BeforeClaim"/>, <see cref="BeforeApply"/>) and take a lease away (<see cref="Rescue"/>).
/// It also keeps a log of what happened to each lease, for the tests' invariants.
/// Lease tokens are made from a counter (Guid.NewGuid is data Coyote cannot replay).
/// </summary>
internal sealed class FakeTaskStore : ITaskStore
{
    public const string RescuerId = "rescuer";

    private readonly object _gate = new();
    private readonly TimeProvider _clock;
    private readonly Dictionary<long, Row> _tasks = new();
    private readonly List<WorkerRecord> _workers = new();
    private int _nextToken;
    private long _nextId;

    public FakeTaskStore(TimeProvider clock)
    {
        _clock = clock;
        Options = new QueueOptions { TimeProvider = clock, RandomSource = () => 0.5 };
    }

    public QueueOptions Options { get; }

    /// <summary>Awaited at the start of every claim (after its first yield): a test holds a claim in flight here.</summary>
    public Func<Task>? BeforeClaim { get; set; }

    /// <summary>Awaited at the start of every ApplyTransitionsAsync, with the transitions (before anything is written).</summary>
    public Func<IReadOnlyList<LeaseTransition>, Task>? BeforeApply { get; set; }

    /// <summary>What happened to one task, kept for the invariants.</summary>
    public sealed class Row
    {
        public long Id;
        public TaskStatus Status = TaskStatus.Queued;
        public int Attempts;
        public int MaxAttempts = 3;
        public TimeSpan? Timeout;
        public LeaseToken? Token;
        public string? Owner;
        public DateTimeOffset? ExpiresAt;
        public bool CancelRequested;
        public string? Result;
        public TaskError? LastError;
        public int Claims;                         // claims by the worker under test
        public bool CancelledWhileQueued;
        public readonly List<LeaseToken> ClaimTokens = new();
        public readonly List<(LeaseToken Token, TaskStatus Written)> Applied = new();   // transitions written, with their token
        public LeaseToken? RescuedToken;           // the worker's lease that Rescue took away
        public int Succeeded;                      // times the task was written Succeeded

        public Row Copy() => (Row)MemberwiseClone();
    }

    // ---- test helpers ---------------------------------------------------------------------------------------------

    /// <summary>Adds a queued task.</summary>
    public long Add(TimeSpan? timeout = null, int maxAttempts = 3)
    {
        lock (_gate)
        {
            long id = ++_nextId;
            _tasks[id] = new Row { Id = id, Timeout = timeout, MaxAttempts = maxAttempts };
            return id;
        }
    }

    /// <summary>A snapshot of every task.</summary>
    public IReadOnlyList<Row> Rows
    {
        get { lock (_gate) return _tasks.Values.OrderBy(r => r.Id).ToArray(); }
    }

    public Row Get(long id)
    {
        lock (_gate) return _tasks[id];
    }

    /// <summary>All claims made.</summary>
    public int TotalClaims
    {
        get { lock (_gate) return _tasks.Values.Sum(r => r.Claims); }
    }

    /// <summary>
    /// Takes the running task's lease away, as a rescue would: with <paramref name="requeue"/>, back to Queued (the lost
    /// attempt counted, a lease-expired error); else another worker ("rescuer") holds it under a new token. False when
    /// the task is not running (nothing changed).
    /// </summary>
    public bool Rescue(long id, bool requeue)
    {
        lock (_gate)
        {
            Row row = _tasks[id];
            if (row.Status != TaskStatus.Running || row.Owner == RescuerId) return false;
            row.RescuedToken = row.Token;
            if (requeue)
            {
                row.Status = TaskStatus.Queued;
                row.Token = null;
                row.Owner = null;
                row.ExpiresAt = null;
                row.LastError = new TaskError("rescued by the test", Workers.AttemptRules.LeaseExpiredType);
            }
            else
            {
                row.Token = NewToken();
                row.Owner = RescuerId;
                row.Attempts++;
            }
            return true;
        }
    }

    private LeaseToken NewToken()
    {
        int n = ++_nextToken;
        return new LeaseToken(new Guid(n, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    }

    // ---- the lease calls the worker makes -------------------------------------------------------------------------

    public async Task<IReadOnlyList<TaskRecord>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        if (BeforeClaim is { } hook) await hook();
        lock (_gate)
        {
            DateTimeOffset now = _clock.GetUtcNow();
            var claimed = new List<TaskRecord>();
            foreach (Row row in _tasks.Values.OrderBy(r => r.Id))
            {
                if (claimed.Count >= request.MaxCount) break;
                if (row.Status != TaskStatus.Queued) continue;
                row.Status = TaskStatus.Running;
                row.Token = NewToken();
                row.Owner = request.WorkerId;
                row.ExpiresAt = now + request.LeaseDuration;
                row.Attempts++;
                row.Claims++;
                row.ClaimTokens.Add(row.Token.Value);
                claimed.Add(Record(row));
            }
            return claimed;
        }
    }

    public async Task<IReadOnlyList<TransitionResult>> ApplyTransitionsAsync(IReadOnlyList<LeaseTransition> transitions, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        if (BeforeApply is { } hook) await hook(transitions);
        lock (_gate)
        {
            DateTimeOffset now = _clock.GetUtcNow();
            var results = new TransitionResult[transitions.Count];
            for (int i = 0; i < transitions.Count; i++)
            {
                LeaseTransition t = transitions[i];
                if (!_tasks.TryGetValue(t.Id, out Row? row) || row.Status != TaskStatus.Running || row.Token != t.Token ||
                    (t.OnlyIfExpired && row.ExpiresAt > now))
                {
                    results[i] = TransitionResult.Lost;
                    continue;
                }
                TaskStatus status = t.CancelWins && row.CancelRequested ? TaskStatus.Cancelled : t.Status;
                if (!t.CountsAttempt) row.Attempts--;
                row.Status = status;
                row.Applied.Add((t.Token, status));
                row.Token = null;
                row.Owner = null;
                row.ExpiresAt = null;
                if (t.Error is not null) row.LastError = t.Error;
                DateTimeOffset? notBefore = null;
                if (status == TaskStatus.Succeeded)
                {
                    row.Result = t.Result;
                    row.Succeeded++;
                }
                if (status == TaskStatus.Queued) notBefore = now + (t.RetryDelay ?? TimeSpan.Zero);
                results[i] = new TransitionResult(LeaseOutcome.Applied, status, notBefore);
            }
            return results;
        }
    }

    public async Task<IReadOnlyList<ExtendResult>> ExtendLeasesAsync(IReadOnlyList<TaskLease> leases, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        lock (_gate)
        {
            DateTimeOffset now = _clock.GetUtcNow();
            var results = new ExtendResult[leases.Count];
            for (int i = 0; i < leases.Count; i++)
            {
                if (!_tasks.TryGetValue(leases[i].Id, out Row? row) || row.Status != TaskStatus.Running || row.Token != leases[i].Token)
                {
                    results[i] = new ExtendResult(LeaseOutcome.LeaseLost, null, false);
                    continue;
                }
                row.ExpiresAt = now + duration;
                results[i] = new ExtendResult(LeaseOutcome.Applied, row.ExpiresAt, row.CancelRequested);
            }
            return results;
        }
    }

    public async Task<ExtendResult> ExtendLeaseAsync(long id, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken = default) =>
        (await ExtendLeasesAsync(new[] { new TaskLease(id, token) }, duration, cancellationToken))[0];

    public async Task<CancelOutcome> CancelAsync(long id, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        lock (_gate)
        {
            if (!_tasks.TryGetValue(id, out Row? row)) return CancelOutcome.NotFound;
            switch (row.Status)
            {
                case TaskStatus.Queued:
                    row.Status = TaskStatus.Cancelled;
                    row.CancelledWhileQueued = true;
                    return CancelOutcome.Cancelled;
                case TaskStatus.Running:
                    row.CancelRequested = true;
                    return CancelOutcome.CancelRequested;
                default:
                    return CancelOutcome.AlreadyFinished;
            }
        }
    }

    public async Task<LeaseOutcome> ReportProgressAsync(long id, LeaseToken token, int? percent, string? message, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        lock (_gate)
            return _tasks.TryGetValue(id, out Row? row) && row.Status == TaskStatus.Running && row.Token == token ? LeaseOutcome.Applied : LeaseOutcome.LeaseLost;
    }

    public Task<IReadOnlyList<HeldLease>> GetLeasesAsync(string? workerId = null, bool expiredOnly = false, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            DateTimeOffset now = _clock.GetUtcNow();
            IReadOnlyList<HeldLease> leases = _tasks.Values
                .Where(r => r.Status == TaskStatus.Running && r.Token is not null)
                .Where(r => workerId is null ? !expiredOnly || r.ExpiresAt <= now : r.Owner == workerId)
                .Select(r => new HeldLease(r.Id, r.Token!.Value, r.Owner, r.Attempts, r.MaxAttempts, r.CancelRequested, r.ExpiresAt ?? now))
                .ToArray();
            return Task.FromResult(leases);
        }
    }

    public Task<TaskRecord?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult(_tasks.TryGetValue(id, out Row? row) ? Record(row) : null);
    }

    // ---- the registry (kept, not checked) -------------------------------------------------------------------------

    public Task RegisterWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            _workers.RemoveAll(w => w.Id == worker.Id);
            _workers.Add(worker);
        }
        return Task.CompletedTask;
    }

    public Task HeartbeatWorkerAsync(string workerId, IReadOnlyCollection<long> currentTaskIds, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task UnregisterWorkerAsync(string workerId, CancellationToken cancellationToken = default)
    {
        lock (_gate) _workers.RemoveAll(w => w.Id == workerId);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult<IReadOnlyList<WorkerRecord>>(_workers.ToArray());
    }

    // ---- not used by a worker -------------------------------------------------------------------------------------

    public Task<EnqueueResult> EnqueueAsync(EnqueueRequest request, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<IReadOnlyList<long>> EnqueueManyAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<IReadOnlyList<EnqueueResult>> EnqueueManyWithResultsAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<IReadOnlyList<TaskRecord>> QueryAsync(TaskQuery query, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<bool> RetryAsync(long id, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<int> RetryManyAsync(TaskFilter filter, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<int> DeleteManyAsync(TaskFilter filter, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task<IReadOnlyList<QueueStats>> GetQueueStatsAsync(IReadOnlyCollection<string>? queues = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task PauseQueueAsync(string queue, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    public Task ResumeQueueAsync(string queue, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private TaskRecord Record(Row row) => new()
    {
        Id = row.Id,
        Type = "t",
        Status = row.Status,
        Attempts = row.Attempts,
        MaxAttempts = row.MaxAttempts,
        Timeout = row.Timeout,
        CancelRequested = row.CancelRequested,
        LeaseOwner = row.Owner,
        LeaseToken = row.Token,
        LeaseExpiresAt = row.ExpiresAt,
        Result = row.Result,
        LastError = row.LastError,
        CreatedAt = _clock.GetUtcNow(),
        UpdatedAt = _clock.GetUtcNow(),
    };
}
