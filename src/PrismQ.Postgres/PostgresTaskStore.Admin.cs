using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using PrismQ.Tasks;

namespace PrismQ.Postgres;

public sealed partial class PostgresTaskStore
{
    /// <summary>
    /// Back to the queue with a fresh set of attempts, ready now (at the back of FIFO), clean: no worker, progress,
    /// result or last error (the error history keeps every failed attempt). The Weighted Random key is drawn by the
    /// server (<c>random()</c>), one per row, not from <see cref="QueueOptions.RandomSource"/>.
    /// </summary>
    private static readonly string RetrySetSql =
        "UPDATE {s}.tasks t SET status = " + PostgresTaskRows.Queued + ", attempts = 0, cancel_requested = false, not_before = @now, finished_at = NULL, result = NULL, " +
        "progress_percent = NULL, progress_message = NULL, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, " +
        "error_message = NULL, error_type = NULL, error_detail = NULL, wr_key = " + PostgresClaimSql.EnteringKey("t.queue", "(-ln(1.0 - random()))") + ", updated_at = @now ";

    private const string Retryable = "status IN (" + PostgresTaskRows.Failed + ", " + PostgresTaskRows.Cancelled + ")";

    /// <inheritdoc />
    public async Task<TaskRecord?> GetAsync(long id, CancellationToken cancellationToken = default) =>
        await RunAsync("get", id, static async (u, i) =>
        {
            TaskRecord? task;
            await using (NpgsqlCommand command = u.Command("SELECT " + PostgresTaskRows.Columns + " FROM {s}.tasks WHERE id = @id"))
            {
                Int64(command, "id", i);
                await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
                task = await r.ReadAsync(u.Token).ConfigureAwait(false) ? PostgresTaskRows.Read(r) : null;
            }
            if (task is not null) await LoadHistoryAsync(u, new[] { task }).ConfigureAwait(false);
            return task;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskRecord>> QueryAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckQuery(query);
        return await RunAsync("query", query, static async (u, q) =>
        {
            var list = new List<TaskRecord>();
            await using (NpgsqlCommand command = u.Command(string.Empty))
            {
                var sql = new StringBuilder("SELECT " + PostgresTaskRows.Columns + " FROM {s}.tasks WHERE true");
                PostgresFilterSql.Append(q.Filter, sql, command);
                bool newest = q.Order == TaskOrder.NewestFirst;
                if (q.AfterId is long after)
                {
                    sql.Append(newest ? " AND id < @after" : " AND id > @after");
                    Int64(command, "after", after);
                }
                sql.Append(newest ? " ORDER BY id DESC" : " ORDER BY id").Append(" LIMIT @limit");
                Int32(command, "limit", q.Limit);
                command.CommandText = u.Store.Sql(sql.ToString());
                await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
                while (await r.ReadAsync(u.Token).ConfigureAwait(false)) list.Add(PostgresTaskRows.Read(r));
            }
            await LoadHistoryAsync(u, list).ConfigureAwait(false);
            return (IReadOnlyList<TaskRecord>)list;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<CancelOutcome> CancelAsync(long id, CancellationToken cancellationToken = default)
    {
        CancelOutcome outcome = await RunAsync("cancel", (id, now: Now()), static async (u, w) =>
        {
            await using (NpgsqlCommand queued = u.Command(
                "UPDATE {s}.tasks SET status = " + PostgresTaskRows.Cancelled + ", finished_at = @now, updated_at = @now WHERE id = @id AND status = " + PostgresTaskRows.Queued))
            {
                Int64(queued, "now", w.now);
                Int64(queued, "id", w.id);
                if (await queued.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false) == 1) return CancelOutcome.Cancelled;
            }
            await using (NpgsqlCommand running = u.Command(
                "UPDATE {s}.tasks SET cancel_requested = true, updated_at = @now WHERE id = @id AND status = " + PostgresTaskRows.Running))
            {
                Int64(running, "now", w.now);
                Int64(running, "id", w.id);
                if (await running.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false) == 1) return CancelOutcome.CancelRequested;
            }
            await using NpgsqlCommand exists = u.Command("SELECT 1 FROM {s}.tasks WHERE id = @id");
            Int64(exists, "id", w.id);
            return await exists.ExecuteScalarAsync(u.Token).ConfigureAwait(false) is null ? CancelOutcome.NotFound : CancelOutcome.AlreadyFinished;
        }, cancellationToken).ConfigureAwait(false);
        if (outcome is CancelOutcome.Cancelled or CancelOutcome.CancelRequested) _tracer.Emit(TraceEventKind.Cancel, id, 0, 0, (long)outcome);
        return outcome;
    }

    /// <inheritdoc />
    public async Task<bool> RetryAsync(long id, CancellationToken cancellationToken = default) =>
        await RunAsync("retry", (id, now: Now()), static async (u, w) =>
        {
            await using NpgsqlCommand command = u.Command(RetrySetSql + "WHERE id = @id AND " + Retryable + " RETURNING queue, " + NotifyQueue);
            Int64(command, "now", w.now);
            Int64(command, "id", w.id);
            Text(command, "channel", u.Store.Channel);
            return await command.ExecuteScalarAsync(u.Token).ConfigureAwait(false) is string;
        }, cancellationToken, transaction: false).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<int> RetryManyAsync(TaskFilter filter, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckFilter(filter);
        return await RunAsync("retry-many", (filter, now: Now()), static async (u, w) =>
        {
            await using NpgsqlCommand command = u.Command(string.Empty);
            var sql = new StringBuilder(RetrySetSql + "WHERE " + Retryable);
            PostgresFilterSql.Append(w.filter, sql, command);
            sql.Append(" RETURNING " + NotifyQueue);
            Int64(command, "now", w.now);
            Text(command, "channel", u.Store.Channel);
            command.CommandText = u.Store.Sql(sql.ToString());
            int count = 0;
            await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            while (await r.ReadAsync(u.Token).ConfigureAwait(false)) count++;
            return count;
        }, cancellationToken, transaction: false).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default) =>
        await RunAsync("delete", id, static async (u, i) =>
        {
            await using NpgsqlCommand command = u.Command("DELETE FROM {s}.tasks WHERE id = @id AND status <> " + PostgresTaskRows.Running);
            Int64(command, "id", i);
            return await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false) == 1;
        }, cancellationToken, transaction: false).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<int> DeleteManyAsync(TaskFilter filter, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckFilter(filter);
        return await RunAsync("delete-many", filter, static async (u, f) =>
        {
            await using NpgsqlCommand command = u.Command(string.Empty);
            var sql = new StringBuilder("DELETE FROM {s}.tasks WHERE status <> " + PostgresTaskRows.Running);
            PostgresFilterSql.Append(f, sql, command);
            command.CommandText = u.Store.Sql(sql.ToString());
            return await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
        }, cancellationToken, transaction: false).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<QueueStats>> GetQueueStatsAsync(IReadOnlyCollection<string>? queues = null, CancellationToken cancellationToken = default)
    {
        var names = new List<string>();
        if (queues is not null)
        {
            foreach (string q in queues)
            {
                string name = TaskValidation.CheckQueueName(q, "queues");
                if (!names.Contains(name)) names.Add(name);
            }
        }
        return await RunAsync("queue-stats", (names, now: Now()), static async (u, w) =>
        {
            var list = new List<string>(w.names);
            if (list.Count == 0)
            {
                await using NpgsqlCommand all = u.Command("SELECT name FROM {s}.queues ORDER BY name");
                await using NpgsqlDataReader r = await all.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
                while (await r.ReadAsync(u.Token).ConfigureAwait(false)) list.Add(r.GetString(0));
            }
            var result = new List<QueueStats>(list.Count);
            foreach (string name in list)
            {
                if (await StatsOfAsync(u, name, w.now).ConfigureAwait(false) is { } stats) result.Add(stats);
            }
            return (IReadOnlyList<QueueStats>)result;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task PauseQueueAsync(string queue, CancellationToken cancellationToken = default) => SetPausedAsync(queue, true, cancellationToken);

    /// <inheritdoc />
    public Task ResumeQueueAsync(string queue, CancellationToken cancellationToken = default) => SetPausedAsync(queue, false, cancellationToken);

    private async Task SetPausedAsync(string queue, bool paused, CancellationToken cancellationToken)
    {
        string name = TaskValidation.CheckQueueName(queue, nameof(queue));
        await RunAsync(paused ? "pause" : "resume", (name, paused), static async (u, w) =>
        {
            await using NpgsqlCommand command = u.Command(
                "INSERT INTO {s}.queues (name, paused) VALUES (@name, @paused) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused");
            Text(command, "name", w.name);
            Bool(command, "paused", w.paused);
            int n = await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
            // A resumed queue may have work ready at once.
            if (!w.paused) await NotifyAsync(u, new[] { w.name }, CancellationToken.None).ConfigureAwait(false);
            return n;
        }, cancellationToken).ConfigureAwait(false);
        MarkQueueKnown(name);
    }

    /// <summary>
    /// Counts over the (queue, status) index for started and finished tasks, and over the ready index for queued ones (all,
    /// scheduled, the first); null when the queue does not exist (it has no row in <c>queues</c>).
    /// </summary>
    private static async Task<QueueStats?> StatsOfAsync(Unit u, string queue, long now)
    {
        bool paused;
        long queued, scheduled;
        long? oldest;
        await using (NpgsqlCommand head = u.Command(
            "SELECT paused, " +
            "(SELECT count(*) FROM {s}.tasks WHERE queue = @queue AND status = " + PostgresTaskRows.Queued + "), " +
            "(SELECT count(*) FROM {s}.tasks WHERE queue = @queue AND status = " + PostgresTaskRows.Queued + " AND not_before > @now), " +
            "(SELECT not_before FROM {s}.tasks WHERE queue = @queue AND status = " + PostgresTaskRows.Queued + " ORDER BY not_before, id LIMIT 1) " +
            "FROM {s}.queues WHERE name = @queue"))
        {
            Text(head, "queue", queue);
            Int64(head, "now", now);
            await using NpgsqlDataReader r = await head.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            if (!await r.ReadAsync(u.Token).ConfigureAwait(false)) return null;
            paused = r.GetBoolean(0);
            queued = r.GetInt64(1);
            scheduled = r.GetInt64(2);
            oldest = r.IsDBNull(3) ? null : r.GetInt64(3);
        }

        var counts = new long[5];
        await using (NpgsqlCommand byStatus = u.Command(
            "SELECT status, count(*) FROM {s}.tasks WHERE queue = @queue AND status <> " + PostgresTaskRows.Queued + " GROUP BY status"))
        {
            Text(byStatus, "queue", queue);
            await using NpgsqlDataReader r = await byStatus.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            while (await r.ReadAsync(u.Token).ConfigureAwait(false))
            {
                int status = r.GetInt16(0);
                if (status >= 0 && status < counts.Length) counts[status] = r.GetInt64(1);
            }
        }

        return new QueueStats
        {
            Name = queue,
            Queued = queued,
            Scheduled = scheduled,
            Running = counts[(int)TaskStatus.Running],
            Succeeded = counts[(int)TaskStatus.Succeeded],
            Failed = counts[(int)TaskStatus.Failed],
            Cancelled = counts[(int)TaskStatus.Cancelled],
            OldestQueuedAge = oldest is long o && o <= now ? TimeSpan.FromMilliseconds(now - o) : null,
            Paused = paused,
        };
    }
}
