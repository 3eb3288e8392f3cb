using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace PrismQ.Tracing;

/// <summary>
/// Writes drained batches to the trace database: one connection per session, one short IMMEDIATE transaction per
/// batch (other processes' writers wait on the busy timeout, then the drain retries). The INSERTs are prepared once
/// per session with SQLitePCLRaw and bound by position: index events go <see cref="RowsPerStatement"/> rows per
/// statement step, with no allocation per event (Microsoft.Data.Sqlite's parameters box every value and look their
/// names up on every execution: that was about 1.3 KB and most of the drain's time per event).
/// Retention deletes by age, then the oldest events while the used pages exceed the size limit.
/// </summary>
internal sealed class SqliteTraceSink : ITraceSink
{
    private const int PruneChunk = 20_000;

    /// <summary>Rows per step of the multi-row event INSERT (9 parameters each; SQLite allows 32,766).</summary>
    internal const int RowsPerStatement = 64;

    private const int EventColumns = 9;

    private readonly string _path;
    private readonly TraceOptions _options;
    private SqliteConnection? _connection;
    private long _sourceId;
    private sqlite3_stmt? _insertMany;
    private sqlite3_stmt? _insertOne;
    private sqlite3_stmt? _insertDetail;

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
            _insertMany = Prepare(connection, InsertEventsSql(_sourceId, RowsPerStatement));
            _insertOne = Prepare(connection, InsertEventsSql(_sourceId, 1));
            _insertDetail = Prepare(connection, "INSERT OR IGNORE INTO trace_details(source_id, lane, seq, ts, text) VALUES(" +
                                                _sourceId.ToString(CultureInfo.InvariantCulture) + ",?,?,?,?);");
            _connection = connection;
        }
        catch
        {
            DisposeStatements();
            connection.Dispose();
            throw;
        }
    }

    public void Write(TraceBatch batch)
    {
        SqliteConnection connection = _connection ?? throw new InvalidOperationException("The trace sink is not open.");
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        WriteEvents(batch.Events);
        WriteDetails(batch.Details);
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

    /// <summary>
    /// Index events: <see cref="RowsPerStatement"/> rows per step of the multi-row statement, the rest one by one;
    /// bound by position with SQLitePCLRaw (no boxing, no per-row objects: 0 bytes allocated per event).
    /// </summary>
    private void WriteEvents(List<TraceRow> events)
    {
        int count = events.Count;
        int i = 0;
        if (count >= RowsPerStatement)
        {
            sqlite3_stmt many = _insertMany!;
            try
            {
                for (; i + RowsPerStatement <= count; i += RowsPerStatement)
                {
                    for (int r = 0; r < RowsPerStatement; r++) BindEvent(many, r * EventColumns, events[i + r]);
                    Step(many);
                }
            }
            finally
            {
                raw.sqlite3_reset(many);
            }
        }

        if (i == count) return;
        sqlite3_stmt one = _insertOne!;
        try
        {
            for (; i < count; i++)
            {
                BindEvent(one, 0, events[i]);
                Step(one);
            }
        }
        finally
        {
            raw.sqlite3_reset(one);
        }
    }

    private void WriteDetails(List<TraceDetailRow> details)
    {
        if (details.Count == 0) return;
        sqlite3_stmt insert = _insertDetail!;
        try
        {
            for (int i = 0; i < details.Count; i++)
            {
                TraceDetailRow row = details[i];
                Check(raw.sqlite3_bind_int64(insert, 1, row.Lane));
                Check(raw.sqlite3_bind_int64(insert, 2, row.Sequence));
                Check(raw.sqlite3_bind_int64(insert, 3, row.UtcTicks));
                Check(raw.sqlite3_bind_text16(insert, 4, row.Text.AsSpan()));
                Step(insert);
            }
        }
        finally
        {
            raw.sqlite3_reset(insert);
        }
    }

    private void BindEvent(sqlite3_stmt statement, int offset, in TraceRow row)
    {
        Check(raw.sqlite3_bind_int64(statement, offset + 1, row.Lane));
        Check(raw.sqlite3_bind_int64(statement, offset + 2, row.Sequence));
        Check(raw.sqlite3_bind_int64(statement, offset + 3, row.UtcTicks));
        Check(raw.sqlite3_bind_int64(statement, offset + 4, row.Kind));
        Check(raw.sqlite3_bind_int64(statement, offset + 5, row.TaskId));
        Check(raw.sqlite3_bind_int64(statement, offset + 6, row.Attempt));
        Check(raw.sqlite3_bind_int64(statement, offset + 7, row.WorkerSlot));
        Check(raw.sqlite3_bind_int64(statement, offset + 8, row.Value));
        Check(raw.sqlite3_bind_int64(statement, offset + 9, row.DetailDropped ? TraceSchema.FlagDetailDropped : 0L));
    }

    /// <summary>Runs a prepared INSERT once and rewinds it (bindings stay until rebound).</summary>
    private void Step(sqlite3_stmt statement)
    {
        int rc = raw.sqlite3_step(statement);
        if (rc != raw.SQLITE_DONE)
        {
            raw.sqlite3_reset(statement);
            SqliteException.ThrowExceptionForRC(rc, _connection!.Handle);
            throw new InvalidOperationException("SQLite returned " + rc + " for a trace INSERT.");
        }

        raw.sqlite3_reset(statement);
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _connection!.Handle);
    }

    /// <summary>"INSERT OR IGNORE ... VALUES(source,?,...),(...)" with <paramref name="rows"/> rows of parameters.</summary>
    private static string InsertEventsSql(long sourceId, int rows)
    {
        var sql = new StringBuilder("INSERT OR IGNORE INTO trace_events(source_id, lane, seq, ts, kind, task_id, attempt, worker_slot, value, flags) VALUES");
        for (int r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ",(").Append(sourceId.ToString(CultureInfo.InvariantCulture));
            for (int c = 0; c < EventColumns; c++) sql.Append(",?");
            sql.Append(')');
        }

        return sql.Append(';').ToString();
    }

    private sqlite3_stmt Prepare(SqliteConnection connection, string sql)
    {
        int rc = raw.sqlite3_prepare_v2(connection.Handle, sql, out sqlite3_stmt statement);
        if (rc != raw.SQLITE_OK)
        {
            statement?.Dispose();
            SqliteException.ThrowExceptionForRC(rc, connection.Handle);
        }

        return statement!;
    }

    private void DisposeStatements()
    {
        _insertMany?.Dispose();
        _insertOne?.Dispose();
        _insertDetail?.Dispose();
        _insertMany = _insertOne = _insertDetail = null;
    }

    public long Prune(DateTimeOffset utcNow)
    {
        SqliteConnection connection = _connection ?? throw new InvalidOperationException("The trace sink is not open.");
        long deleted = 0;
        long cutoff = (utcNow - _options.RetentionAge).UtcTicks;
        // By age, in short chunks so other writers are not held up.
        while (true)
        {
            long n = DeleteChunk(connection, "DELETE FROM trace_events WHERE (source_id, lane, seq) IN (SELECT source_id, lane, seq FROM trace_events WHERE ts < $c ORDER BY ts LIMIT " + PruneChunk + ");", cutoff);
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
                long n = DeleteChunk(connection, "DELETE FROM trace_events WHERE (source_id, lane, seq) IN (SELECT source_id, lane, seq FROM trace_events WHERE ts < $c ORDER BY ts LIMIT " + PruneChunk + ");", oldestKept);
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
        DisposeStatements(); // before the connection: it closes cleanly with no statement left
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
