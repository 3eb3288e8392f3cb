using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Data.Sqlite;
using PrismQ.Tracing;

namespace PrismQ;

/// <summary>
/// Reads a trace database: queries (<see cref="Query"/>) and the Chrome Trace Event Format export
/// (<see cref="ExportChromeTrace"/>). Any number of processes may write the database while it is read.
/// Each call opens its own read-only connection, so an instance may be used from several threads.
/// </summary>
public sealed class TraceStore
{
    /// <summary>The suffix added to a queue database path to name its trace database.</summary>
    public const string FileSuffix = ".trace.db";

    /// <summary>A reader of the trace database at <paramref name="traceDatabasePath"/>.</summary>
    public TraceStore(string traceDatabasePath)
    {
        if (traceDatabasePath is null || traceDatabasePath.Trim().Length == 0)
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath,
                $"The trace database path is '{traceDatabasePath}'; it must not be empty or white space.", nameof(traceDatabasePath), traceDatabasePath);
        DatabasePath = traceDatabasePath;
    }

    /// <summary>The trace database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The reader of the trace database beside <paramref name="queueDatabasePath"/>.</summary>
    public static TraceStore ForQueue(string queueDatabasePath) => new(PathForQueue(queueDatabasePath));

    /// <summary>The trace database path of a queue database: the same path followed by <c>.trace.db</c>.</summary>
    public static string PathForQueue(string queueDatabasePath)
    {
        if (queueDatabasePath is null || queueDatabasePath.Trim().Length == 0)
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath,
                $"The queue database path is '{queueDatabasePath}'; it must not be empty or white space.", nameof(queueDatabasePath), queueDatabasePath);
        return queueDatabasePath + FileSuffix;
    }

    /// <summary>
    /// The events that match <paramref name="query"/> (null: the first 10,000 of all), merged in timestamp order
    /// across threads and processes. Throws <see cref="PrismQException"/> for an invalid query or a missing database.
    /// </summary>
    public IReadOnlyList<TraceEvent> Query(TraceQuery? query = null)
    {
        query ??= new TraceQuery();
        query.Validate();
        var events = new List<TraceEvent>();
        foreach (TraceEvent item in Read(query, paged: true)) events.Add(item);
        return events;
    }

    /// <summary>
    /// Writes the events that match <paramref name="query"/> (null: all; its <see cref="TraceQuery.Offset"/> and
    /// <see cref="TraceQuery.Limit"/> are ignored) as Chrome Trace Event Format JSON, which Perfetto UI
    /// (ui.perfetto.dev) and chrome://tracing open: one process per trace source (host/pid); per worker a track of its
    /// own and one track per attempt lane, so slices of one track never overlap; a complete slice per task attempt
    /// (restarted and retried attempts included); instants for claims, failures, retries, lease losses, timeouts,
    /// releases, cancels, reclaims, gaps and user events (named by their message); and a queue-depth counter per
    /// worker. See docs/tracing.md ("Timeline export").
    /// </summary>
    public void ExportChromeTrace(Stream output, TraceQuery? query = null)
    {
        if (output is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "The output stream is null; it must be a writable stream.", nameof(output));
        query ??= new TraceQuery();
        query.Validate();
        ChromeTraceExporter.Write(output, Read(query, paged: false));
    }

    internal IEnumerable<TraceEvent> Read(TraceQuery query, bool paged)
    {
        if (!File.Exists(DatabasePath))
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath,
                $"The trace database '{DatabasePath}' does not exist; it is created when a trace session first writes.", nameof(DatabasePath), DatabasePath);

        using SqliteConnection connection = TraceSchema.Open(DatabasePath, readOnly: true);
        using SqliteCommand command = connection.CreateCommand();
        var sql = new StringBuilder();
        sql.Append("SELECT e.ts, e.kind, e.task_id, e.attempt, e.worker_slot, w.worker_id, e.value, e.flags, s.host, s.pid, e.source_id, e.lane, e.seq, ");
        // A user event's message is always read (it is always kept); other detail only when asked for.
        sql.Append(query.IncludeDetail ? "d.text " : $"CASE WHEN e.kind = {(int)TraceEventKind.User} THEN (SELECT u.text FROM trace_details u WHERE u.source_id = e.source_id AND u.lane = e.lane AND u.seq = e.seq) END ");
        sql.Append("FROM trace_events e JOIN trace_sources s ON s.source_id = e.source_id ");
        sql.Append("LEFT JOIN trace_workers w ON w.source_id = e.source_id AND w.slot = e.worker_slot ");
        if (query.IncludeDetail) sql.Append("LEFT JOIN trace_details d ON d.source_id = e.source_id AND d.lane = e.lane AND d.seq = e.seq ");
        sql.Append("WHERE 1 = 1 ");
        if (query.TaskId is long taskId)
        {
            sql.Append("AND e.task_id = $task ");
            command.Parameters.AddWithValue("$task", taskId);
        }

        if (query.Attempt is int attempt)
        {
            sql.Append("AND e.attempt = $attempt ");
            command.Parameters.AddWithValue("$attempt", attempt);
        }

        if (query.WorkerId is string workerId)
        {
            sql.Append("AND w.worker_id = $worker ");
            command.Parameters.AddWithValue("$worker", workerId);
        }

        if (query.From is DateTimeOffset from)
        {
            sql.Append("AND e.ts >= $from ");
            command.Parameters.AddWithValue("$from", from.UtcTicks);
        }

        if (query.To is DateTimeOffset to)
        {
            sql.Append("AND e.ts < $to ");
            command.Parameters.AddWithValue("$to", to.UtcTicks);
        }

        if (query.Kinds is { Count: > 0 } kinds)
        {
            sql.Append("AND e.kind IN (");
            int i = 0;
            foreach (TraceEventKind kind in kinds)
            {
                if (i > 0) sql.Append(", ");
                sql.Append((int)kind);
                i++;
            }

            sql.Append(") ");
        }

        sql.Append("ORDER BY e.ts, e.source_id, e.lane, e.seq");
        if (paged)
        {
            sql.Append(" LIMIT $limit OFFSET $offset");
            command.Parameters.AddWithValue("$limit", query.Limit);
            command.Parameters.AddWithValue("$offset", query.Offset);
        }

        command.CommandText = sql.ToString();
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return new TraceEvent
            {
                Timestamp = new DateTimeOffset(reader.GetInt64(0), TimeSpan.Zero),
                Kind = (TraceEventKind)reader.GetInt32(1),
                TaskId = reader.GetInt64(2),
                Attempt = reader.GetInt32(3),
                WorkerSlot = (short)reader.GetInt32(4),
                WorkerId = reader.IsDBNull(5) ? null : reader.GetString(5),
                Value = reader.GetInt64(6),
                DetailDropped = (reader.GetInt64(7) & TraceSchema.FlagDetailDropped) != 0,
                Host = reader.GetString(8),
                ProcessId = reader.GetInt32(9),
                SourceId = reader.GetInt64(10),
                Lane = reader.GetInt32(11),
                Sequence = reader.GetInt64(12),
                Detail = reader.IsDBNull(13) ? null : reader.GetString(13),
            };
        }
    }
}
