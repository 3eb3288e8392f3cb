using System;
using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace PrismQ.Tracing;

/// <summary>
/// Writes drained batches to the trace database: one connection per session, one short IMMEDIATE transaction per
/// batch (other processes' writers wait on the busy timeout, then the drain retries), prepared statements reused.
/// Retention deletes by age, then the oldest events while the used pages exceed the size limit.
/// </summary>
internal sealed class SqliteTraceSink : ITraceSink
{
    private const int PruneChunk = 20_000;

    private readonly string _path;
    private readonly TraceOptions _options;
    private SqliteConnection? _connection;
    private long _sourceId;

    public SqliteTraceSink(string path, TraceOptions options)
    {
        _path = path;
        _options = options;
    }

    /// <summary>This session's source id (a process, or one session of it) once opened.</summary>
    public long SourceId => _sourceId;

    public void Open()
    {
        if (_connection is not null) return;
        SqliteConnection connection = TraceSchema.Open(_path, readOnly: false);
        try
        {
            TraceSchema.Ensure(connection);
            using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
            using SqliteCommand insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO trace_sources(host, pid, started_utc) VALUES($host, $pid, $started); SELECT last_insert_rowid();";
            insert.Parameters.AddWithValue("$host", Environment.MachineName);
            using (Process self = Process.GetCurrentProcess()) insert.Parameters.AddWithValue("$pid", self.Id);
            insert.Parameters.AddWithValue("$started", _options.TimeProvider.GetUtcNow().UtcTicks);
            _sourceId = Convert.ToInt64(insert.ExecuteScalar());
            transaction.Commit();
            _connection = connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public void Write(TraceBatch batch)
    {
        SqliteConnection connection = _connection ?? throw new InvalidOperationException("The trace sink is not open.");
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        if (batch.Events.Count > 0)
        {
            using SqliteCommand insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR IGNORE INTO trace_events(source_id, lane, seq, ts, kind, task_id, attempt, worker_slot, value, flags) " +
                                 "VALUES($s, $l, $q, $t, $k, $task, $a, $w, $v, $f);";
            SqliteParameter source = insert.Parameters.AddWithValue("$s", _sourceId);
            SqliteParameter lane = insert.Parameters.Add("$l", SqliteType.Integer);
            SqliteParameter seq = insert.Parameters.Add("$q", SqliteType.Integer);
            SqliteParameter ts = insert.Parameters.Add("$t", SqliteType.Integer);
            SqliteParameter kind = insert.Parameters.Add("$k", SqliteType.Integer);
            SqliteParameter task = insert.Parameters.Add("$task", SqliteType.Integer);
            SqliteParameter attempt = insert.Parameters.Add("$a", SqliteType.Integer);
            SqliteParameter worker = insert.Parameters.Add("$w", SqliteType.Integer);
            SqliteParameter value = insert.Parameters.Add("$v", SqliteType.Integer);
            SqliteParameter flags = insert.Parameters.Add("$f", SqliteType.Integer);
            insert.Prepare();
            foreach (TraceRow row in batch.Events)
            {
                lane.Value = row.Lane;
                seq.Value = row.Sequence;
                ts.Value = row.UtcTicks;
                kind.Value = (int)row.Kind;
                task.Value = row.TaskId;
                attempt.Value = row.Attempt;
                worker.Value = (int)row.WorkerSlot;
                value.Value = row.Value;
                flags.Value = row.DetailDropped ? TraceSchema.FlagDetailDropped : 0L;
                insert.ExecuteNonQuery();
            }

            GC.KeepAlive(source);
        }

        if (batch.Details.Count > 0)
        {
            using SqliteCommand insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR IGNORE INTO trace_details(source_id, lane, seq, ts, text) VALUES($s, $l, $q, $t, $x);";
            insert.Parameters.AddWithValue("$s", _sourceId);
            SqliteParameter lane = insert.Parameters.Add("$l", SqliteType.Integer);
            SqliteParameter seq = insert.Parameters.Add("$q", SqliteType.Integer);
            SqliteParameter ts = insert.Parameters.Add("$t", SqliteType.Integer);
            SqliteParameter text = insert.Parameters.Add("$x", SqliteType.Text);
            insert.Prepare();
            foreach (TraceDetailRow row in batch.Details)
            {
                lane.Value = row.Lane;
                seq.Value = row.Sequence;
                ts.Value = row.UtcTicks;
                text.Value = row.Text;
                insert.ExecuteNonQuery();
            }
        }

        if (batch.Workers.Count > 0)
        {
            using SqliteCommand insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR REPLACE INTO trace_workers(source_id, slot, worker_id) VALUES($s, $slot, $id);";
            insert.Parameters.AddWithValue("$s", _sourceId);
            SqliteParameter slot = insert.Parameters.Add("$slot", SqliteType.Integer);
            SqliteParameter id = insert.Parameters.Add("$id", SqliteType.Text);
            foreach (TraceWorkerRow row in batch.Workers)
            {
                slot.Value = (int)row.Slot;
                id.Value = row.WorkerId;
                insert.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    public long Prune(DateTimeOffset utcNow)
    {
        SqliteConnection connection = _connection ?? throw new InvalidOperationException("The trace sink is not open.");
        long deleted = 0;
        long cutoff = (utcNow - _options.RetentionAge).UtcTicks;
        // By age, in short chunks so other writers are not held up.
        while (true)
        {
            long n = DeleteChunk(connection, "DELETE FROM trace_events WHERE rowid IN (SELECT rowid FROM trace_events WHERE ts < $c ORDER BY ts LIMIT " + PruneChunk + ");", cutoff);
            DeleteChunk(connection, "DELETE FROM trace_details WHERE rowid IN (SELECT rowid FROM trace_details WHERE ts < $c ORDER BY ts LIMIT " + PruneChunk + ");", cutoff);
            deleted += n;
            if (n < PruneChunk) break;
        }

        // By size: the pages in use (not the free list) against the limit; delete the oldest tenth until under it.
        for (int round = 0; round < 50 && UsedBytes(connection) > _options.RetentionMaxBytes; round++)
        {
            long total = TraceSchema.Scalar(connection, "SELECT count(*) FROM trace_events;");
            if (total == 0) break;
            long take = Math.Max(1000, total / 10);
            long oldestKept = TraceSchema.Scalar(connection, $"SELECT coalesce((SELECT ts FROM trace_events ORDER BY ts LIMIT 1 OFFSET {take}), 9223372036854775807);");
            while (true)
            {
                long n = DeleteChunk(connection, "DELETE FROM trace_events WHERE rowid IN (SELECT rowid FROM trace_events WHERE ts < $c ORDER BY ts LIMIT " + PruneChunk + ");", oldestKept);
                DeleteChunk(connection, "DELETE FROM trace_details WHERE rowid IN (SELECT rowid FROM trace_details WHERE ts < $c ORDER BY ts LIMIT " + PruneChunk + ");", oldestKept);
                deleted += n;
                if (n < PruneChunk) break;
            }
        }

        if (deleted > 0)
        {
            TraceSchema.Execute(connection, "DELETE FROM trace_sources WHERE source_id <> " + _sourceId +
                                            " AND NOT EXISTS (SELECT 1 FROM trace_events e WHERE e.source_id = trace_sources.source_id);");
            TraceSchema.Execute(connection, "DELETE FROM trace_workers WHERE NOT EXISTS (SELECT 1 FROM trace_sources s WHERE s.source_id = trace_workers.source_id);");
            TraceSchema.Execute(connection, "PRAGMA incremental_vacuum;"); // gives free pages back to the file system
        }

        return deleted;
    }

    public void Complete()
    {
        if (_connection is null) return;
        TraceSchema.Execute(_connection, "PRAGMA wal_checkpoint(PASSIVE);");
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _connection = null;
    }

    /// <summary>Bytes of the database file in use: (page_count − freelist_count) × page_size.</summary>
    internal static long UsedBytes(SqliteConnection connection) =>
        (TraceSchema.Scalar(connection, "PRAGMA page_count;") - TraceSchema.Scalar(connection, "PRAGMA freelist_count;")) *
        TraceSchema.Scalar(connection, "PRAGMA page_size;");

    private static long DeleteChunk(SqliteConnection connection, string sql, long cutoff)
    {
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$c", cutoff);
        long n = command.ExecuteNonQuery();
        transaction.Commit();
        return n;
    }
}
