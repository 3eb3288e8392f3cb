using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Internal;
using PrismQ.Scheduling;
using PrismQ.Storage.Sqlite;
using PrismQ.Tasks;

namespace PrismQ.Storage.Sqlite;

public sealed partial class SqliteTaskStore
{
    /// <summary>The enqueue INSERT (internal: the benchmarks' raw baseline runs the same statement).</summary>
    internal const string InsertSql =
        "INSERT INTO tasks (queue, type, payload, priority, not_before, max_attempts, timeout_ms, idempotency_key, pq, wr_key, created_at, updated_at) " +
        "VALUES ($queue, $type, $payload, $priority, $not_before, $max_attempts, $timeout_ms, $key, " +
        "COALESCE((SELECT prioritized FROM queues WHERE name = $queue), 0), " +
        "COALESCE((SELECT CASE WHEN weighted = 1 THEN wr_clock + $wr_draw ELSE " + SqliteClaimSql.UnweightedKey + " END FROM queues WHERE name = $queue), " +
        SqliteClaimSql.UnweightedKey + "), $now, $now) ON CONFLICT DO NOTHING";

    private PreparedStatement? _insert;
    private PreparedStatement? _ensureQueue;
    private PreparedStatement? _selectByKey;
    private PreparedStatement? _selectById;

    /// <inheritdoc />
    public Task<EnqueueResult> EnqueueAsync(EnqueueRequest request, CancellationToken cancellationToken = default)
    {
        long now = Now();
        PreparedTask task = TaskValidation.PrepareEnqueue(request, _options, now);
        double draw = WeightedRandomRule.Draw(task.Priority, _random());
        var work = new EnqueueWork(task, draw);
        EnqueueResult result = task.IdempotencyKey is null && IsKnownQueue(task.Queue)
            ? Run("enqueue", TxMode.None, work, static (s, w) => s.EnqueueOne(w), cancellationToken)
            : Run("enqueue", TxMode.Write, work, static (s, w) => s.EnqueueOne(w), cancellationToken);
        MarkQueueKnown(task.Queue);
        _tracer.Emit(TraceEventKind.Enqueue, result.Task.Id, 0, 0, 1);
        EnqueueSignal.Raise(DatabasePath); // wakes this process's idle workers on this file
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<long>> EnqueueManyAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default)
    {
        var ids = new List<long>();
        EnqueueBatches(requests, batchSize, ids, null, cancellationToken);
        return Task.FromResult<IReadOnlyList<long>>(ids);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<EnqueueResult>> EnqueueManyWithResultsAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default)
    {
        var results = new List<EnqueueResult>();
        EnqueueBatches(requests, batchSize, new List<long>(), results, cancellationToken);
        return Task.FromResult<IReadOnlyList<EnqueueResult>>(results);
    }

    // Enqueues the requests one transaction per batchSize, adding each id to ids and, when results is not null, the task as written.
    private void EnqueueBatches(IEnumerable<EnqueueRequest> requests, int batchSize, List<long> ids, List<EnqueueResult>? results, CancellationToken cancellationToken)
    {
        if (requests is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "requests is null; it must be a sequence of EnqueueRequest.", nameof(requests));
        TaskValidation.CheckBatchSize(batchSize);
        var batch = new List<PreparedTask>(Math.Min(batchSize, 1024));
        var draws = new List<double>(Math.Min(batchSize, 1024));
        int index = 0;
        using IEnumerator<EnqueueRequest> e = requests.GetEnumerator();
        bool more = true;
        while (more)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Clear();
            draws.Clear();
            long now = Now();
            while (batch.Count < batchSize && (more = e.MoveNext()))
            {
                PreparedTask task = TaskValidation.PrepareEnqueue(e.Current, _options, now, index);
                batch.Add(task);
                draws.Add(WeightedRandomRule.Draw(task.Priority, _random()));
                index++;
            }
            if (batch.Count == 0) break;
            var work = new BatchWork(batch, draws, now, ids, results);
            try
            {
                Run("enqueue-batch", TxMode.Write, work, static (s, w) => s.EnqueueBatch(w), cancellationToken);
            }
            catch
            {
                work.ForgetIds();
                throw;
            }
            foreach (PreparedTask t in batch) MarkQueueKnown(t.Queue);
            _tracer.Emit(TraceEventKind.Enqueue, 0, 0, 0, batch.Count);
            EnqueueSignal.Raise(DatabasePath); // wakes this process's idle workers on this file
        }
    }

    private readonly struct EnqueueWork
    {
        public EnqueueWork(PreparedTask task, double draw)
        {
            Task = task;
            Draw = draw;
        }

        public PreparedTask Task { get; }
        public double Draw { get; }
    }

    private sealed class BatchWork
    {
        public BatchWork(List<PreparedTask> tasks, List<double> draws, long now, List<long> ids, List<EnqueueResult>? results)
        {
            Tasks = tasks;
            Draws = draws;
            Now = now;
            Ids = ids;
            Results = results;
            StartCount = ids.Count;
        }

        /// <summary>How many ids earlier batches returned.</summary>
        public int StartCount { get; }

        /// <summary>Drops the ids and results of this batch (rolled back, or about to be retried).</summary>
        public void ForgetIds()
        {
            if (Ids.Count > StartCount) Ids.RemoveRange(StartCount, Ids.Count - StartCount);
            if (Results is not null && Results.Count > StartCount) Results.RemoveRange(StartCount, Results.Count - StartCount);
        }

        public List<PreparedTask> Tasks { get; }
        public List<double> Draws { get; }
        public long Now { get; }
        public List<long> Ids { get; }

        /// <summary>The tasks as written (or found by their idempotency key), when the caller wants them.</summary>
        public List<EnqueueResult>? Results { get; }
    }

    private EnqueueResult EnqueueOne(EnqueueWork work)
    {
        long now = Now();
        PreparedTask t = work.Task;
        if (!IsKnownQueue(t.Queue)) EnsureQueue(t.Queue);
        if (Insert(t, work.Draw, now))
        {
            long id = LastInsertRowId();
            return new EnqueueResult(NewRecord(id, t, now), created: true);
        }
        return new EnqueueResult(SelectByKey(t.IdempotencyKey!), created: false);
    }

    private int EnqueueBatch(BatchWork work)
    {
        // A retried batch (busy) starts over.
        work.ForgetIds();
        var ensured = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < work.Tasks.Count; i++)
        {
            PreparedTask t = work.Tasks[i];
            if (!IsKnownQueue(t.Queue) && ensured.Add(t.Queue)) EnsureQueue(t.Queue);
            if (Insert(t, work.Draws[i], work.Now))
            {
                long id = LastInsertRowId();
                work.Ids.Add(id);
                work.Results?.Add(new EnqueueResult(NewRecord(id, t, work.Now), created: true));
            }
            else
            {
                TaskRecord existing = SelectByKey(t.IdempotencyKey!);
                work.Ids.Add(existing.Id);
                work.Results?.Add(new EnqueueResult(existing, created: false));
            }
        }
        return work.Tasks.Count;
    }

    /// <summary>Inserts one task; false when its idempotency key already exists (nothing inserted).</summary>
    private bool Insert(in PreparedTask t, double draw, long now)
    {
        PreparedStatement st = Prepare(ref _insert, InsertSql,
            "$queue", "$type", "$payload", "$priority", "$not_before", "$max_attempts", "$timeout_ms", "$key", "$wr_draw", "$now");
        st.P[0].Value = t.Queue;
        st.P[1].Value = t.Type;
        st.P[2].Value = t.Payload;
        st.P[3].Value = t.Priority;
        st.P[4].Value = t.NotBeforeMs;
        st.P[5].Value = t.MaxAttempts;
        st.P[6].Value = t.TimeoutMs is long timeout ? timeout : DBNull.Value;
        st.P[7].Value = DbValue(t.IdempotencyKey);
        st.P[8].Value = draw;
        st.P[9].Value = now;
        return st.Command.ExecuteNonQuery() == 1;
    }

    private void EnsureQueue(string queue)
    {
        PreparedStatement st = Prepare(ref _ensureQueue, "INSERT INTO queues (name) VALUES ($name) ON CONFLICT (name) DO NOTHING", "$name");
        st.P[0].Value = queue;
        st.Command.ExecuteNonQuery();
    }

    private TaskRecord SelectByKey(string key)
    {
        PreparedStatement st = Prepare(ref _selectByKey, $"SELECT {TaskRows.Columns} FROM tasks WHERE idempotency_key = $key", "$key");
        st.P[0].Value = key;
        using var reader = st.Command.ExecuteReader();
        if (!reader.Read())
            throw new PrismQException(PrismQErrorCode.StorageError, $"The task with idempotency key '{key}' conflicted but cannot be read back.", "IdempotencyKey", key);
        return TaskRows.Read(reader);
    }

    private TaskRecord? SelectById(long id)
    {
        PreparedStatement st = Prepare(ref _selectById, $"SELECT {TaskRows.Columns} FROM tasks WHERE id = $id", "$id");
        st.P[0].Value = id;
        using var reader = st.Command.ExecuteReader();
        return reader.Read() ? TaskRows.Read(reader) : null;
    }

    private static TaskRecord NewRecord(long id, in PreparedTask t, long now) => new()
    {
        Id = id,
        Queue = t.Queue,
        Type = t.Type,
        Payload = t.Payload,
        Priority = t.Priority,
        NotBefore = UnixTime.FromMs(t.NotBeforeMs),
        MaxAttempts = t.MaxAttempts,
        Attempts = 0,
        Timeout = t.TimeoutMs is long ms ? TimeSpan.FromMilliseconds(ms) : null,
        IdempotencyKey = t.IdempotencyKey,
        Status = TaskStatus.Queued,
        CreatedAt = UnixTime.FromMs(now),
        UpdatedAt = UnixTime.FromMs(now),
    };

    private bool IsKnownQueue(string queue)
    {
        lock (_knownQueues) return _knownQueues.Contains(queue);
    }

    private void MarkQueueKnown(string queue)
    {
        lock (_knownQueues) _knownQueues.Add(queue);
    }
}
