using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;
using PrismQ.Tasks;

namespace PrismQ.Postgres;

/// <summary>
/// One batch of <see cref="EnqueueManyAsync"/>: the unknown queues in one statement, the tasks in one INSERT over
/// <c>unnest</c> (each queue's Weighted Random clock read once), then one read of the tasks that already held the
/// batch's conflicting idempotency keys.
/// </summary>
public sealed partial class PostgresTaskStore
{
    /// <summary>
    /// The batch INSERT, rows in request order (their ids ascending): a row whose idempotency key exists (or is being
    /// inserted by a concurrent transaction, which it waits for, or by an earlier row of the batch) is skipped and
    /// returns nothing. Returns each inserted row's key, in insertion order.
    /// </summary>
    private static readonly string InsertBatchSql =
        "WITH c AS (SELECT c_name, " + PostgresClaimSql.Clock("c_name") + " AS c_clock FROM unnest(@queue_names) AS c_name) " +
        "INSERT INTO {s}.tasks (queue, type, payload, priority, not_before, max_attempts, timeout_ms, idempotency_key, wr_key, created_at, updated_at) " +
        "SELECT x_queue, x_type, x_payload, x_priority, x_not_before, x_max_attempts, x_timeout_ms, x_key, c_clock + x_draw, @now, @now " +
        "FROM unnest(@queues, @types, @payloads, @priorities, @not_befores, @max_attempts, @timeouts, @keys, @draws) WITH ORDINALITY " +
        "AS x(x_queue, x_type, x_payload, x_priority, x_not_before, x_max_attempts, x_timeout_ms, x_key, x_draw, x_n) " +
        "JOIN c ON c_name = x_queue ORDER BY x_n " +
        "ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id, idempotency_key, " + NotifyQueue;

    /// <summary>Writes one validated batch; its results are in request order.</summary>
    private static async Task<List<EnqueueResult>> InsertBatchAsync(Unit u, List<PreparedTask> batch, List<double> draws, long now)
    {
        int n = batch.Count;
        var queueNames = new List<string>();
        var queues = new string[n];
        var types = new string[n];
        var payloads = new string[n];
        var priorities = new int[n];
        var notBefores = new long[n];
        var maxAttempts = new int[n];
        var timeouts = new long?[n];
        var keys = new string?[n];
        for (int i = 0; i < n; i++)
        {
            PreparedTask t = batch[i];
            if (!queueNames.Contains(t.Queue)) queueNames.Add(t.Queue);
            queues[i] = t.Queue;
            types[i] = t.Type;
            payloads[i] = t.Payload;
            priorities[i] = t.Priority;
            notBefores[i] = t.NotBeforeMs;
            maxAttempts[i] = t.MaxAttempts;
            timeouts[i] = t.TimeoutMs;
            keys[i] = t.IdempotencyKey;
        }

        var unknown = queueNames.FindAll(q => !u.Store.IsKnownQueue(q));
        if (unknown.Count > 0)
        {
            await using NpgsqlCommand ensure = u.Command("INSERT INTO {s}.queues (name) SELECT unnest(@names) ON CONFLICT (name) DO NOTHING");
            TextArray(ensure, "names", unknown.ToArray());
            await ensure.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
        }

        // The inserted rows come back in request order, skipping the conflicting ones (which all have a key).
        var inserted = new List<(long Id, string? Key)>(n);
        await using (NpgsqlCommand command = u.Command(InsertBatchSql))
        {
            Int64(command, "now", now);
            Text(command, "channel", u.Store.Channel);
            TextArray(command, "queue_names", queueNames.ToArray());
            TextArray(command, "queues", queues);
            TextArray(command, "types", types);
            TextArray(command, "payloads", payloads);
            command.Parameters.Add(new NpgsqlParameter("priorities", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = priorities });
            Int64Array(command, "not_befores", notBefores);
            command.Parameters.Add(new NpgsqlParameter("max_attempts", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = maxAttempts });
            command.Parameters.Add(new NpgsqlParameter("timeouts", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = timeouts });
            command.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = keys });
            command.Parameters.Add(new NpgsqlParameter("draws", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = draws.ToArray() });
            await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            while (await r.ReadAsync(u.Token).ConfigureAwait(false)) inserted.Add((r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1)));
        }

        var results = new EnqueueResult?[n];
        var conflicting = new List<string>();
        int next = 0;
        for (int i = 0; i < n; i++)
        {
            if (next < inserted.Count && inserted[next].Key == keys[i])
            {
                results[i] = new EnqueueResult(NewRecord(inserted[next].Id, batch[i], now), created: true);
                next++;
            }
            else if (keys[i] is string key)
            {
                conflicting.Add(key);
            }
        }
        if (next != inserted.Count)
            throw new PrismQException(PrismQErrorCode.StorageError, "The batch's inserted rows do not match its requests.", "requests", n);

        if (conflicting.Count > 0)
        {
            var existing = new Dictionary<string, TaskRecord>(StringComparer.Ordinal);
            await using NpgsqlCommand select = u.Command("SELECT " + PostgresTaskRows.Columns + " FROM {s}.tasks WHERE idempotency_key = ANY(@keys)");
            TextArray(select, "keys", conflicting.ToArray());
            await using NpgsqlDataReader r = await select.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            while (await r.ReadAsync(u.Token).ConfigureAwait(false))
            {
                TaskRecord record = PostgresTaskRows.Read(r);
                existing[record.IdempotencyKey!] = record;
            }
            for (int i = 0; i < n; i++)
            {
                if (results[i] is not null) continue;
                if (!existing.TryGetValue(keys[i]!, out TaskRecord? record))
                    throw new PrismQException(PrismQErrorCode.StorageError, $"The task with idempotency key '{keys[i]}' conflicted but cannot be read back.", "IdempotencyKey", keys[i]);
                results[i] = new EnqueueResult(record, created: false);
            }
        }

        var list = new List<EnqueueResult>(n);
        foreach (EnqueueResult? result in results) list.Add(result!);
        return list;
    }
}
