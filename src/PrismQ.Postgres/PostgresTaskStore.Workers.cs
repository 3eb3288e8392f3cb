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
    /// <inheritdoc />
    public async Task RegisterWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken = default)
    {
        if (worker is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "worker is null; it must be a WorkerRecord.", nameof(worker));
        TaskValidation.CheckWorkerId(worker.Id, "WorkerRecord.Id");
        foreach (string q in worker.Queues ?? Array.Empty<string>()) TaskValidation.CheckQueueName(q, "WorkerRecord.Queues");
        await RunAsync("register-worker", (worker, now: Now()), static async (u, w) =>
        {
            await using NpgsqlCommand command = u.Command(
                "INSERT INTO {s}.workers (id, host, process_id, queues, started_at, last_heartbeat_at, current_task_ids) " +
                "VALUES (@id, @host, @pid, @queues, @started, @heartbeat, @tasks) ON CONFLICT (id) DO UPDATE SET " +
                "host = excluded.host, process_id = excluded.process_id, queues = excluded.queues, started_at = excluded.started_at, " +
                "last_heartbeat_at = excluded.last_heartbeat_at, current_task_ids = excluded.current_task_ids, taken_over_at = NULL");
            WorkerRecord r = w.worker;
            Text(command, "id", r.Id);
            Text(command, "host", r.Host ?? string.Empty);
            Int32(command, "pid", r.ProcessId);
            TextArray(command, "queues", new List<string>(r.Queues ?? Array.Empty<string>()).ToArray());
            Int64(command, "started", r.StartedAt == default ? w.now : UnixTime.ToMs(r.StartedAt));
            Int64(command, "heartbeat", r.LastHeartbeatAt == default ? w.now : UnixTime.ToMs(r.LastHeartbeatAt));
            Int64Array(command, "tasks", new List<long>(r.CurrentTaskIds ?? Array.Empty<long>()).ToArray());
            return await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
        }, cancellationToken, transaction: false).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task HeartbeatWorkerAsync(string workerId, IReadOnlyCollection<long> currentTaskIds, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckWorkerId(workerId, nameof(workerId));
        long[] ids = new List<long>(currentTaskIds ?? (IReadOnlyCollection<long>)Array.Empty<long>()).ToArray();
        await RunAsync("heartbeat-worker", (workerId, ids, now: Now()), static async (u, w) =>
        {
            await using NpgsqlCommand command = u.Command("UPDATE {s}.workers SET last_heartbeat_at = @now, current_task_ids = @tasks WHERE id = @id");
            Int64(command, "now", w.now);
            Int64Array(command, "tasks", w.ids);
            Text(command, "id", w.workerId);
            return await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
        }, cancellationToken, transaction: false).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task UnregisterWorkerAsync(string workerId, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckWorkerId(workerId, nameof(workerId));
        await RunAsync("unregister-worker", workerId, static async (u, id) =>
        {
            await using NpgsqlCommand command = u.Command("DELETE FROM {s}.workers WHERE id = @id");
            Text(command, "id", id);
            return await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
        }, cancellationToken, transaction: false).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken = default) =>
        await RunAsync("list-workers", 0, static async (u, _) =>
        {
            await using NpgsqlCommand command = u.Command(
                "SELECT id, host, process_id, queues, started_at, last_heartbeat_at, current_task_ids, taken_over_at FROM {s}.workers ORDER BY id");
            var result = new List<WorkerRecord>();
            await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            while (await r.ReadAsync(u.Token).ConfigureAwait(false))
            {
                result.Add(new WorkerRecord
                {
                    Id = r.GetString(0),
                    Host = r.GetString(1),
                    ProcessId = r.GetInt32(2),
                    Queues = r.GetFieldValue<string[]>(3),
                    StartedAt = UnixTime.FromMs(r.GetInt64(4)),
                    LastHeartbeatAt = UnixTime.FromMs(r.GetInt64(5)),
                    CurrentTaskIds = r.GetFieldValue<long[]>(6),
                    TakenOverAt = r.IsDBNull(7) ? null : UnixTime.FromMs(r.GetInt64(7)),
                });
            }
            return (IReadOnlyList<WorkerRecord>)result;
        }, cancellationToken, transaction: false).ConfigureAwait(false);
}
