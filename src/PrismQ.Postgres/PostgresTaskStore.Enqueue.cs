using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using PrismQ.Internal;
using PrismQ.Tasks;

namespace PrismQ.Postgres;

public sealed partial class PostgresTaskStore
{
    /// <summary>
    /// The enqueue INSERT: with an idempotency key that exists (or is being inserted by a concurrent transaction, which it
    /// waits for), nothing is inserted and no row returns; the existing task is then read in a new statement, which sees
    /// the other transaction's commit.
    /// </summary>
    private static readonly string InsertSql =
        "INSERT INTO {s}.tasks (queue, type, payload, priority, not_before, max_attempts, timeout_ms, idempotency_key, wr_key, created_at, updated_at) " +
        "VALUES (@queue, @type, @payload, @priority, @not_before, @max_attempts, @timeout_ms, @key, " +
        PostgresClaimSql.Clock("@queue") + " + @wr_draw, @now, @now) " +
        "ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id, " + NotifyQueue;

    private const string EnsureQueueSql = "INSERT INTO {s}.queues (name) VALUES (@name) ON CONFLICT (name) DO NOTHING";

    /// <inheritdoc />
    public async Task<EnqueueResult> EnqueueAsync(EnqueueRequest request, CancellationToken cancellationToken = default)
    {
        long now = Now();
        PreparedTask task = TaskValidation.PrepareEnqueue(request, _options, now);
        double draw = Scheduling.WeightedRandomRule.Draw(task.Priority, _random());
        // Into a known queue without a key: the INSERT alone (autocommit).
        bool oneStatement = task.IdempotencyKey is null && IsKnownQueue(task.Queue);
        EnqueueResult result = await RunAsync("enqueue", (task, draw, now), static async (u, w) =>
        {
            if (!u.Store.IsKnownQueue(w.task.Queue)) await EnsureQueueAsync(u, w.task.Queue).ConfigureAwait(false);
            return await InsertAsync(u, w.task, w.draw, w.now).ConfigureAwait(false);
        }, cancellationToken, transaction: !oneStatement).ConfigureAwait(false);
        MarkQueueKnown(task.Queue);
        _tracer.Emit(TraceEventKind.Enqueue, result.Task.Id, 0, 0, 1);
        return result;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<long>> EnqueueManyAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default)
    {
        var ids = new List<long>();
        await EnqueueBatchesAsync(requests, batchSize, ids, null, cancellationToken).ConfigureAwait(false);
        return ids;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EnqueueResult>> EnqueueManyWithResultsAsync(IEnumerable<EnqueueRequest> requests, int batchSize = 1000, CancellationToken cancellationToken = default)
    {
        var results = new List<EnqueueResult>();
        await EnqueueBatchesAsync(requests, batchSize, new List<long>(), results, cancellationToken).ConfigureAwait(false);
        return results;
    }

    /// <summary>
    /// Enqueues the requests one transaction per <paramref name="batchSize"/>: each batch is validated whole before its
    /// transaction starts (an invalid request names its index, and its batch writes nothing), then inserted in one
    /// statement (<see cref="InsertBatchAsync"/>) and committed.
    /// </summary>
    private async Task EnqueueBatchesAsync(IEnumerable<EnqueueRequest> requests, int batchSize, List<long> ids, List<EnqueueResult>? results, CancellationToken cancellationToken)
    {
        if (requests is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "requests is null; it must be a sequence of EnqueueRequest.", nameof(requests));
        TaskValidation.CheckBatchSize(batchSize);
        int index = 0;
        using IEnumerator<EnqueueRequest> e = requests.GetEnumerator();
        bool more = true;
        while (more)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = new List<PreparedTask>(Math.Min(batchSize, 1024));
            var draws = new List<double>(Math.Min(batchSize, 1024));
            long now = Now();
            while (batch.Count < batchSize && (more = e.MoveNext()))
            {
                PreparedTask task = TaskValidation.PrepareEnqueue(e.Current, _options, now, index);
                batch.Add(task);
                draws.Add(Scheduling.WeightedRandomRule.Draw(task.Priority, _random()));
                index++;
            }
            if (batch.Count == 0) break;
            // All known queues and no key: the INSERT alone (autocommit); otherwise one transaction.
            bool oneStatement = batch.TrueForAll(t => t.IdempotencyKey is null && IsKnownQueue(t.Queue));
            List<EnqueueResult> written = await RunAsync("enqueue-batch", (batch, draws, now),
                static (u, w) => InsertBatchAsync(u, w.batch, w.draws, w.now), cancellationToken, transaction: !oneStatement).ConfigureAwait(false);
            foreach (EnqueueResult r in written)
            {
                ids.Add(r.Task.Id);
                results?.Add(r);
            }
            foreach (PreparedTask t in batch) MarkQueueKnown(t.Queue);
            _tracer.Emit(TraceEventKind.Enqueue, 0, 0, 0, batch.Count);
        }
    }

    private static async Task EnsureQueueAsync(Unit u, string queue)
    {
        await using NpgsqlCommand command = u.Command(EnsureQueueSql);
        Text(command, "name", queue);
        await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
    }

    /// <summary>Inserts one task, or finds the task that holds its idempotency key.</summary>
    private static async Task<EnqueueResult> InsertAsync(Unit u, PreparedTask t, double draw, long now)
    {
        await using (NpgsqlCommand command = u.Command(InsertSql))
        {
            Text(command, "queue", t.Queue);
            Text(command, "type", t.Type);
            Text(command, "payload", t.Payload);
            Int32(command, "priority", t.Priority);
            Int64(command, "not_before", t.NotBeforeMs);
            Int32(command, "max_attempts", t.MaxAttempts);
            Int64(command, "timeout_ms", t.TimeoutMs);
            Text(command, "key", t.IdempotencyKey);
            Double(command, "wr_draw", draw);
            Int64(command, "now", now);
            Text(command, "channel", u.Store.Channel);
            object? id = await command.ExecuteScalarAsync(u.Token).ConfigureAwait(false);
            if (id is long newId) return new EnqueueResult(NewRecord(newId, t, now), created: true);
        }
        await using NpgsqlCommand select = u.Command("SELECT " + PostgresTaskRows.Columns + " FROM {s}.tasks WHERE idempotency_key = @key");
        Text(select, "key", t.IdempotencyKey);
        await using NpgsqlDataReader r = await select.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
        if (!await r.ReadAsync(u.Token).ConfigureAwait(false))
            throw new PrismQException(PrismQErrorCode.StorageError, $"The task with idempotency key '{t.IdempotencyKey}' conflicted but cannot be read back.", "IdempotencyKey", t.IdempotencyKey);
        return new EnqueueResult(PostgresTaskRows.Read(r), created: false);
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
}
