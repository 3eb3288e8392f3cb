using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Storage.Sqlite;
using PrismQ.Tasks;

namespace PrismQ.Storage.Sqlite;

public sealed partial class SqliteTaskStore
{
    /// <summary>
    /// Back to the queue with a fresh set of attempts, ready now (at the back of FIFO), clean: no worker, progress,
    /// result or last error (the error history in <c>task_errors</c> keeps every failed attempt).
    /// </summary>
    private const string RetrySetSql =
        "UPDATE tasks SET status = " + SqliteStatus.Queued + ", attempts = 0, cancel_requested = 0, not_before = $now, finished_at = NULL, result = NULL, " +
        "progress_percent = NULL, progress_message = NULL, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, " +
        "error_message = NULL, error_type = NULL, error_detail = NULL, wr_key = " + RequeueKeySql + ", pq = " + SqliteClaimSql.EnteringPq + ", updated_at = $now ";

    private PreparedStatement? _cancelQueued;
    private PreparedStatement? _cancelRunning;
    private PreparedStatement? _statusOf;
    private PreparedStatement? _retryOne;
    private PreparedStatement? _deleteOne;
    private PreparedStatement? _setPaused;
    private PreparedStatement? _statsCounts;
    private PreparedStatement? _statsScheduled;
    private PreparedStatement? _statsPaused;
    private PreparedStatement? _allQueues;

    /// <inheritdoc />
    public Task<TaskRecord?> GetAsync(long id, CancellationToken cancellationToken = default) =>
        Task.FromResult(Run("get", TxMode.Read, id, static (s, i) =>
        {
            TaskRecord? task = s.SelectById(i);
            if (task is not null) s.LoadHistory(new[] { task });
            return task;
        }, cancellationToken));

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskRecord>> QueryAsync(TaskQuery query, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckQuery(query);
        IReadOnlyList<TaskRecord> result = Run("query", TxMode.Read, query, static (s, q) =>
        {
            using SqliteCommand command = s._connection.CreateCommand();
            command.CommandTimeout = 1;
            var sql = new StringBuilder($"SELECT {TaskRows.Columns} FROM tasks WHERE 1 = 1");
            TaskFilterSql.Append(q.Filter, sql, command);
            bool newest = q.Order == TaskOrder.NewestFirst;
            if (q.AfterId is long after)
            {
                sql.Append(newest ? " AND id < $after" : " AND id > $after");
                command.Parameters.AddWithValue("$after", after);
            }
            sql.Append(newest ? " ORDER BY id DESC" : " ORDER BY id").Append(" LIMIT $limit");
            command.Parameters.AddWithValue("$limit", q.Limit);
            command.CommandText = sql.ToString();
            var list = new List<TaskRecord>();
            using SqliteDataReader r = command.ExecuteReader();
            while (r.Read()) list.Add(TaskRows.Read(r));
            r.Close();
            s.LoadHistory(list);
            return (IReadOnlyList<TaskRecord>)list;
        }, cancellationToken);
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public Task<CancelOutcome> CancelAsync(long id, CancellationToken cancellationToken = default)
    {
        CancelOutcome outcome = Run("cancel", TxMode.Write, id, static (s, i) =>
        {
            long now = s.Now();
            PreparedStatement queued = s.Prepare(ref s._cancelQueued,
                "UPDATE tasks SET status = " + SqliteStatus.Cancelled + ", finished_at = $now, updated_at = $now WHERE id = $id AND status = " + SqliteStatus.Queued, "$now", "$id");
            queued.P[0].Value = now;
            queued.P[1].Value = i;
            if (queued.Command.ExecuteNonQuery() == 1) return CancelOutcome.Cancelled;
            PreparedStatement running = s.Prepare(ref s._cancelRunning,
                "UPDATE tasks SET cancel_requested = 1, updated_at = $now WHERE id = $id AND status = " + SqliteStatus.Running, "$now", "$id");
            running.P[0].Value = now;
            running.P[1].Value = i;
            if (running.Command.ExecuteNonQuery() == 1) return CancelOutcome.CancelRequested;
            return s.StatusOf(i) is null ? CancelOutcome.NotFound : CancelOutcome.AlreadyFinished;
        }, cancellationToken);
        if (outcome is CancelOutcome.Cancelled or CancelOutcome.CancelRequested) _tracer.Emit(TraceEventKind.Cancel, id, 0, 0, (long)outcome);
        return Task.FromResult(outcome);
    }

    /// <inheritdoc />
    public Task<bool> RetryAsync(long id, CancellationToken cancellationToken = default)
    {
        bool done = Run("retry", TxMode.None, id, static (s, i) =>
        {
            PreparedStatement st = s.Prepare(ref s._retryOne, RetrySetSql + "WHERE id = $id AND status IN (" + SqliteStatus.Failed + ", " + SqliteStatus.Cancelled + ")", "$now", "$id");
            st.P[0].Value = s.Now();
            st.P[1].Value = i;
            return st.Command.ExecuteNonQuery() == 1;
        }, cancellationToken);
        return Task.FromResult(done);
    }

    /// <inheritdoc />
    public Task<int> RetryManyAsync(TaskFilter filter, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckFilter(filter);
        int count = Run("retry-many", TxMode.None, filter, static (s, f) =>
        {
            using SqliteCommand command = s._connection.CreateCommand();
            command.CommandTimeout = 1;
            var sql = new StringBuilder(RetrySetSql + "WHERE status IN (" + SqliteStatus.Failed + ", " + SqliteStatus.Cancelled + ")");
            TaskFilterSql.Append(f, sql, command);
            command.Parameters.AddWithValue("$now", s.Now());
            command.CommandText = sql.ToString();
            return command.ExecuteNonQuery();
        }, cancellationToken);
        return Task.FromResult(count);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAsync(long id, CancellationToken cancellationToken = default)
    {
        bool done = Run("delete", TxMode.None, id, static (s, i) =>
        {
            PreparedStatement st = s.Prepare(ref s._deleteOne, "DELETE FROM tasks WHERE id = $id AND status <> " + SqliteStatus.Running, "$id");
            st.P[0].Value = i;
            return st.Command.ExecuteNonQuery() == 1;
        }, cancellationToken);
        return Task.FromResult(done);
    }

    /// <inheritdoc />
    public Task<int> DeleteManyAsync(TaskFilter filter, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckFilter(filter);
        int count = Run("delete-many", TxMode.None, filter, static (s, f) =>
        {
            using SqliteCommand command = s._connection.CreateCommand();
            command.CommandTimeout = 1;
            var sql = new StringBuilder("DELETE FROM tasks WHERE status <> " + SqliteStatus.Running);
            TaskFilterSql.Append(f, sql, command);
            command.CommandText = sql.ToString();
            return command.ExecuteNonQuery();
        }, cancellationToken);
        return Task.FromResult(count);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<QueueStats>> GetQueueStatsAsync(IReadOnlyCollection<string>? queues = null, CancellationToken cancellationToken = default)
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
        IReadOnlyList<QueueStats> stats = Run("queue-stats", TxMode.Read, names, static (s, list) =>
        {
            if (list.Count == 0)
            {
                PreparedStatement all = s.Prepare(ref s._allQueues, "SELECT name FROM queues ORDER BY name");
                using SqliteDataReader r = all.Command.ExecuteReader();
                while (r.Read()) list.Add(r.GetString(0));
            }
            long now = s.Now();
            var result = new List<QueueStats>(list.Count);
            foreach (string name in list)
            {
                if (s.StatsOf(name, now) is { } queue) result.Add(queue);
            }
            return (IReadOnlyList<QueueStats>)result;
        }, cancellationToken);
        return Task.FromResult(stats);
    }

    /// <inheritdoc />
    public Task PauseQueueAsync(string queue, CancellationToken cancellationToken = default) => SetPaused(queue, true, cancellationToken);

    /// <inheritdoc />
    public Task ResumeQueueAsync(string queue, CancellationToken cancellationToken = default) => SetPaused(queue, false, cancellationToken);

    private Task SetPaused(string queue, bool paused, CancellationToken cancellationToken)
    {
        string name = TaskValidation.CheckQueueName(queue, nameof(queue));
        Run(paused ? "pause" : "resume", TxMode.None, (name, paused), static (s, w) =>
        {
            PreparedStatement st = s.Prepare(ref s._setPaused,
                "INSERT INTO queues (name, paused) VALUES ($name, $paused) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused", "$name", "$paused");
            st.P[0].Value = w.name;
            st.P[1].Value = w.paused ? 1 : 0;
            return st.Command.ExecuteNonQuery();
        }, cancellationToken);
        MarkQueueKnown(name);
        return Task.CompletedTask;
    }

    private long? StatusOf(long id)
    {
        PreparedStatement st = Prepare(ref _statusOf, "SELECT status FROM tasks WHERE id = $id", "$id");
        st.P[0].Value = id;
        object? value = st.Command.ExecuteScalar();
        return value is null || value is DBNull ? null : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Counts over the (queue, status) index for started and finished tasks, and over the ready index for queued ones (all,
    /// scheduled, the first); null when the queue does not exist (it has no row in <c>queues</c>).
    /// </summary>
    private QueueStats? StatsOf(string queue, long now)
    {
        PreparedStatement pausedSt = Prepare(ref _statsPaused, "SELECT paused FROM queues WHERE name = $queue", "$queue");
        pausedSt.P[0].Value = queue;
        object? paused = pausedSt.Command.ExecuteScalar();
        if (paused is null || paused is DBNull) return null;

        var counts = new long[5];
        // Queued rows are not in ix_tasks_queue_status (it holds status <> 0); they are counted below from the ready index.
        PreparedStatement st = Prepare(ref _statsCounts,
            "SELECT status, COUNT(*) FROM tasks INDEXED BY ix_tasks_queue_status WHERE queue = $queue AND status <> " + SqliteStatus.Queued + " GROUP BY status", "$queue");
        st.P[0].Value = queue;
        using (SqliteDataReader r = st.Command.ExecuteReader())
        {
            while (r.Read())
            {
                long status = r.GetInt64(0);
                if (status >= 0 && status < counts.Length) counts[status] = r.GetInt64(1);
            }
        }

        PreparedStatement sched = Prepare(ref _statsScheduled,
            "SELECT COUNT(*), (SELECT MIN(not_before) FROM tasks WHERE queue = $queue AND status = " + SqliteStatus.Queued + "), " +
            "(SELECT COUNT(*) FROM tasks INDEXED BY ix_tasks_ready_fifo WHERE queue = $queue AND status = " + SqliteStatus.Queued + ") " +
            "FROM tasks WHERE queue = $queue AND status = " + SqliteStatus.Queued + " AND not_before > $now",
            "$queue", "$now");
        sched.P[0].Value = queue;
        sched.P[1].Value = now;
        long scheduled;
        TimeSpan? oldestAge = null;
        using (SqliteDataReader r = sched.Command.ExecuteReader())
        {
            r.Read();
            scheduled = r.GetInt64(0);
            counts[(int)TaskStatus.Queued] = r.GetInt64(2);
            if (!r.IsDBNull(1))
            {
                long oldest = r.GetInt64(1);
                if (oldest <= now) oldestAge = TimeSpan.FromMilliseconds(now - oldest);
            }
        }

        return new QueueStats
        {
            Name = queue,
            Queued = counts[(int)TaskStatus.Queued],
            Scheduled = scheduled,
            Running = counts[(int)TaskStatus.Running],
            Succeeded = counts[(int)TaskStatus.Succeeded],
            Failed = counts[(int)TaskStatus.Failed],
            Cancelled = counts[(int)TaskStatus.Cancelled],
            OldestQueuedAge = oldestAge,
            Paused = paused is long p && p != 0,
        };
    }
}
