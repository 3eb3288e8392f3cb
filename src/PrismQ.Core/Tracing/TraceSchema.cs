using System;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Tracing;

/// <summary>
/// The trace database: a SQLite file beside the queue database, in WAL mode so several processes (one writer
/// connection each) write with short transactions and queries read at the same time. Times are UTC ticks (100 ns).
/// (source_id, lane, seq) identifies an event: a retried batch is inserted with OR IGNORE, so it is never doubled.
/// </summary>
internal static class TraceSchema
{
    public const int Version = 1;

    public const string Create = @"
CREATE TABLE IF NOT EXISTS trace_sources(
  source_id   INTEGER PRIMARY KEY AUTOINCREMENT,
  host        TEXT    NOT NULL,
  pid         INTEGER NOT NULL,
  started_utc INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS trace_workers(
  source_id INTEGER NOT NULL,
  slot      INTEGER NOT NULL,
  worker_id TEXT    NOT NULL,
  PRIMARY KEY(source_id, slot)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trace_events(
  source_id   INTEGER NOT NULL,
  lane        INTEGER NOT NULL,
  seq         INTEGER NOT NULL,
  ts          INTEGER NOT NULL,
  kind        INTEGER NOT NULL,
  task_id     INTEGER NOT NULL,
  attempt     INTEGER NOT NULL,
  worker_slot INTEGER NOT NULL,
  value       INTEGER NOT NULL,
  flags       INTEGER NOT NULL,
  PRIMARY KEY(source_id, lane, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trace_events_ts ON trace_events(ts);
CREATE INDEX IF NOT EXISTS trace_events_task ON trace_events(task_id, ts);
CREATE TABLE IF NOT EXISTS trace_details(
  source_id INTEGER NOT NULL,
  lane      INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  text      TEXT    NOT NULL,
  PRIMARY KEY(source_id, lane, seq));
CREATE INDEX IF NOT EXISTS trace_details_ts ON trace_details(ts);
";

    /// <summary>flags bit: the detail message of this event was dropped at the producer (detail ring full).</summary>
    public const long FlagDetailDropped = 1;

    /// <summary>Opens a connection with the trace database's settings (WAL, synchronous NORMAL, busy timeout).</summary>
    public static SqliteConnection Open(string path, bool readOnly)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA busy_timeout=10000;");
            if (!readOnly)
            {
                Execute(connection, "PRAGMA auto_vacuum=INCREMENTAL;"); // effective only on a new file (before tables exist)
                Execute(connection, "PRAGMA journal_mode=WAL;");
                Execute(connection, "PRAGMA synchronous=NORMAL;");
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Creates the tables (idempotent, in one IMMEDIATE transaction so concurrent processes do not race).</summary>
    public static void Ensure(SqliteConnection connection)
    {
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        using (SqliteCommand version = connection.CreateCommand())
        {
            version.Transaction = transaction;
            version.CommandText = "PRAGMA user_version;";
            long existing = Convert.ToInt64(version.ExecuteScalar());
            if (existing > Version)
                throw new PrismQException(PrismQErrorCode.SchemaTooNew,
                    $"The trace database was written by a newer PrismQ (trace schema {existing}); this version understands schema {Version}.");
        }

        using (SqliteCommand create = connection.CreateCommand())
        {
            create.Transaction = transaction;
            create.CommandText = Create + $"PRAGMA user_version={Version};";
            create.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    public static void Execute(SqliteConnection connection, string sql) => SqliteCommands.Execute(connection, sql);

    public static long Scalar(SqliteConnection connection, string sql) => SqliteCommands.ScalarLong(connection, sql);
}
