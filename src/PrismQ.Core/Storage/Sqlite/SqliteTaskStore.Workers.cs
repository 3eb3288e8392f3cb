using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Storage.Sqlite;
using PrismQ.Tasks;

namespace PrismQ.Storage.Sqlite;

public sealed partial class SqliteTaskStore
{
    private PreparedStatement? _registerWorker;
    private PreparedStatement? _heartbeatWorker;
    private PreparedStatement? _unregisterWorker;
    private PreparedStatement? _listWorkers;

    /// <inheritdoc />
    public Task RegisterWorkerAsync(WorkerRecord worker, CancellationToken cancellationToken = default)
    {
        if (worker is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "worker is null; it must be a WorkerRecord.", nameof(worker));
        TaskValidation.CheckWorkerId(worker.Id, "WorkerRecord.Id");
        foreach (string q in worker.Queues ?? Array.Empty<string>()) TaskValidation.CheckQueueName(q, "WorkerRecord.Queues");
        Run("register-worker", TxMode.None, worker, static (s, w) =>
        {
            PreparedStatement st = s.Prepare(ref s._registerWorker,
                "INSERT INTO workers (id, host, process_id, queues, started_at, last_heartbeat_at, current_task_ids) " +
                "VALUES ($id, $host, $pid, $queues, $started, $heartbeat, $tasks) ON CONFLICT (id) DO UPDATE SET " +
                "host = excluded.host, process_id = excluded.process_id, queues = excluded.queues, started_at = excluded.started_at, " +
                "last_heartbeat_at = excluded.last_heartbeat_at, current_task_ids = excluded.current_task_ids, taken_over_at = NULL",
                "$id", "$host", "$pid", "$queues", "$started", "$heartbeat", "$tasks");
            long now = s.Now();
            st.P[0].Value = w.Id;
            st.P[1].Value = w.Host ?? string.Empty;
            st.P[2].Value = w.ProcessId;
            st.P[3].Value = TaskFilterSql.JsonArray(w.Queues ?? Array.Empty<string>());
            st.P[4].Value = w.StartedAt == default ? now : UnixTime.ToMs(w.StartedAt);
            st.P[5].Value = w.LastHeartbeatAt == default ? now : UnixTime.ToMs(w.LastHeartbeatAt);
            st.P[6].Value = TaskFilterSql.JsonArray(w.CurrentTaskIds ?? Array.Empty<long>());
            return st.Command.ExecuteNonQuery();
        }, cancellationToken);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task HeartbeatWorkerAsync(string workerId, IReadOnlyCollection<long> currentTaskIds, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckWorkerId(workerId, nameof(workerId));
        string ids = TaskFilterSql.JsonArray(currentTaskIds ?? (IReadOnlyCollection<long>)Array.Empty<long>());
        Run("heartbeat-worker", TxMode.None, (workerId, ids), static (s, w) =>
        {
            PreparedStatement st = s.Prepare(ref s._heartbeatWorker,
                "UPDATE workers SET last_heartbeat_at = $now, current_task_ids = $tasks WHERE id = $id", "$now", "$tasks", "$id");
            st.P[0].Value = s.Now();
            st.P[1].Value = w.ids;
            st.P[2].Value = w.workerId;
            return st.Command.ExecuteNonQuery();
        }, cancellationToken);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task UnregisterWorkerAsync(string workerId, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckWorkerId(workerId, nameof(workerId));
        Run("unregister-worker", TxMode.None, workerId, static (s, id) =>
        {
            PreparedStatement st = s.Prepare(ref s._unregisterWorker, "DELETE FROM workers WHERE id = $id", "$id");
            st.P[0].Value = id;
            return st.Command.ExecuteNonQuery();
        }, cancellationToken);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<WorkerRecord>> ListWorkersAsync(CancellationToken cancellationToken = default)
    {
        IReadOnlyList<WorkerRecord> list = Run("list-workers", TxMode.None, 0, static (s, _) =>
        {
            PreparedStatement st = s.Prepare(ref s._listWorkers,
                "SELECT id, host, process_id, queues, started_at, last_heartbeat_at, current_task_ids, taken_over_at FROM workers ORDER BY id");
            var result = new List<WorkerRecord>();
            using SqliteDataReader r = st.Command.ExecuteReader();
            while (r.Read())
            {
                result.Add(new WorkerRecord
                {
                    Id = r.GetString(0),
                    Host = r.GetString(1),
                    ProcessId = r.GetInt32(2),
                    Queues = TaskFilterSql.ParseStrings(r.GetString(3)),
                    StartedAt = UnixTime.FromMs(r.GetInt64(4)),
                    LastHeartbeatAt = UnixTime.FromMs(r.GetInt64(5)),
                    CurrentTaskIds = TaskFilterSql.ParseLongs(r.GetString(6)),
                    TakenOverAt = r.IsDBNull(7) ? null : UnixTime.FromMs(r.GetInt64(7)),
                });
            }
            return (IReadOnlyList<WorkerRecord>)result;
        }, cancellationToken);
        return Task.FromResult(list);
    }
}
