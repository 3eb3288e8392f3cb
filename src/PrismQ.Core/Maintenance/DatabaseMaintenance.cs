using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Storage.Sqlite;

namespace PrismQ;

/// <summary>
/// Maintenance of a PrismQ SQLite database while workers run: WAL checkpoints that keep the WAL file within
/// <see cref="MaintenanceOptions.WalSizeLimitBytes"/>, retention of finished tasks by age and count, optimize and
/// analyze, integrity check, and online backup. Holds its own connection; safe to use beside running workers
/// (every write is a short transaction). Not thread-safe: use one instance from one thread at a time.
/// See docs/operations.md.
/// </summary>
public sealed class DatabaseMaintenance : IDisposable
{
    private const int PruneChunk = 2000;
    private readonly SqliteConnection _connection;
    private readonly MaintenanceOptions _options;

    private DatabaseMaintenance(SqliteConnection connection, string path, MaintenanceOptions options)
    {
        _connection = connection;
        DatabasePath = path;
        _options = options;
    }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The WAL file (<c>&lt;database&gt;-wal</c>).</summary>
    public string WalPath => DatabasePath + "-wal";

    /// <summary>
    /// Opens an existing PrismQ database for maintenance. Throws <see cref="PrismQException"/>
    /// (<see cref="PrismQErrorCode.InvalidDatabasePath"/>, <see cref="PrismQErrorCode.NotADatabase"/>,
    /// <see cref="PrismQErrorCode.InvalidOption"/>) without changing anything when it cannot.
    /// </summary>
    public static DatabaseMaintenance Open(string databasePath, MaintenanceOptions? options = null)
    {
        options ??= new MaintenanceOptions();
        options.Validate();
        if (string.IsNullOrWhiteSpace(databasePath))
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath, $"The database path is '{databasePath}'; it must name an existing PrismQ database.", nameof(databasePath), databasePath);
        string full = Path.GetFullPath(databasePath);
        if (!File.Exists(full))
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath, $"The database '{full}' does not exist; maintenance needs an existing PrismQ database.", nameof(databasePath), full);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        try
        {
            connection.Open();
            Exec(connection, "PRAGMA busy_timeout = " + (long)options.BusyTimeout.TotalMilliseconds);
            long tables;
            try
            {
                tables = Scalar(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('tasks', 'workers', 'queues')");
            }
            catch (SqliteException e)
            {
                throw new PrismQException(PrismQErrorCode.NotADatabase, $"The file '{full}' is not a SQLite database ({e.Message}).", nameof(databasePath), full, e);
            }
            if (tables != 3)
                throw new PrismQException(PrismQErrorCode.NotADatabase, $"The database '{full}' is not a PrismQ database (it lacks the tasks, workers and queues tables).", nameof(databasePath), full);
            return new DatabaseMaintenance(connection, full, options);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The WAL file's size in bytes (0 when there is none).</summary>
    public long WalSizeBytes()
    {
        var info = new FileInfo(WalPath);
        return info.Exists ? info.Length : 0;
    }

    /// <summary>
    /// Runs one checkpoint. <see cref="CheckpointMode.Restart"/> and <see cref="CheckpointMode.Truncate"/> wait at most
    /// <see cref="MaintenanceOptions.TruncateWait"/> for readers and writers, then report <see cref="CheckpointResult.Busy"/>.
    /// </summary>
    public CheckpointResult Checkpoint(CheckpointMode mode = CheckpointMode.Passive)
    {
        if (!Enum.IsDefined(typeof(CheckpointMode), mode))
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"Checkpoint mode {(int)mode} is not defined; use Passive, Full, Restart or Truncate.", nameof(mode), mode);
        long before = WalSizeBytes();
        bool waits = mode != CheckpointMode.Passive;
        if (waits) Exec(_connection, "PRAGMA busy_timeout = " + (long)_options.TruncateWait.TotalMilliseconds);
        try
        {
            bool busy;
            long frames, done;
            try
            {
                (busy, frames, done) = SqliteCommands.WalCheckpoint(_connection, mode.ToString().ToUpperInvariant());
            }
            catch (SqliteException e) when (SqliteErrors.IsBusy(e))
            {
                busy = true;
                frames = done = -1;
            }
            return new CheckpointResult { Mode = mode, Busy = busy, WalFrames = frames, CheckpointedFrames = done, WalBytesBefore = before, WalBytesAfter = WalSizeBytes() };
        }
        finally
        {
            if (waits) Exec(_connection, "PRAGMA busy_timeout = " + (long)_options.BusyTimeout.TotalMilliseconds);
        }
    }

    /// <summary>
    /// The WAL policy, meant to run every few seconds: when the WAL file is larger than
    /// <see cref="MaintenanceOptions.WalSizeLimitBytes"/>, a truncating checkpoint shrinks it to zero (if a reader still
    /// holds an old snapshot it reports busy, and the next call tries again); otherwise a passive checkpoint.
    /// </summary>
    public CheckpointResult ManageWal() => Checkpoint(WalSizeBytes() > _options.WalSizeLimitBytes ? CheckpointMode.Truncate : CheckpointMode.Passive);

    /// <summary>
    /// Deletes finished tasks (succeeded, failed or cancelled): those that finished before <paramref name="finishedBefore"/>,
    /// and all but the <paramref name="keepNewest"/> most recently finished. Queued and running tasks are never touched.
    /// Deletes in short transactions of 2,000 rows. Returns how many it deleted.
    /// </summary>
    public int PruneFinished(DateTimeOffset? finishedBefore = null, int? keepNewest = null)
    {
        if (keepNewest is { } k && k < 0)
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"keepNewest is {k}; it must be zero or more.", nameof(keepNewest), k);
        int deleted = 0;
        if (finishedBefore is { } cut)
        {
            deleted += DeleteInChunks(
                "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE status IN (" + SqliteStatus.Final + ") AND finished_at < $cut LIMIT " + PruneChunk + ")",
                ("$cut", cut.ToUnixTimeMilliseconds()));
        }
        if (keepNewest is { } keep)
        {
            using SqliteCommand find = _connection.CreateCommand();
            find.CommandText = "SELECT finished_at, id FROM tasks WHERE status IN (" + SqliteStatus.Final + ") AND finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1 OFFSET $keep";
            find.Parameters.AddWithValue("$keep", keep);
            long? at = null, id = null;
            using (SqliteDataReader reader = find.ExecuteReader())
            {
                if (reader.Read())
                {
                    at = reader.GetInt64(0);
                    id = reader.GetInt64(1);
                }
            }
            if (at is not null)
            {
                deleted += DeleteInChunks(
                    "DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE status IN (" + SqliteStatus.Final + ") AND finished_at IS NOT NULL AND (finished_at < $at OR (finished_at = $at AND id <= $id)) LIMIT " + PruneChunk + ")",
                    ("$at", at.Value), ("$id", id!.Value));
            }
        }
        return deleted;
    }

    /// <summary>Runs <c>PRAGMA optimize</c>, and with <paramref name="analyze"/> a full <c>ANALYZE</c> first.</summary>
    public void Optimize(bool analyze = false)
    {
        if (analyze) Exec(_connection, "ANALYZE");
        Exec(_connection, "PRAGMA optimize");
    }

    /// <summary>Runs <c>PRAGMA integrity_check</c> (reads the whole file; takes a while on a large database).</summary>
    public IntegrityResult CheckIntegrity() => CheckIntegrity(_connection);

    /// <summary>
    /// Copies the database, while workers keep running, to <paramref name="destinationPath"/> with SQLite's online backup
    /// API: the copy is one consistent snapshot, in a single file. Throws when the destination exists, unless
    /// <paramref name="overwrite"/>.
    /// </summary>
    public void Backup(string destinationPath, bool overwrite = false)
    {
        if (string.IsNullOrWhiteSpace(destinationPath))
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"The backup path is '{destinationPath}'; it must name a file.", nameof(destinationPath), destinationPath);
        string full = Path.GetFullPath(destinationPath);
        if (string.Equals(full, DatabasePath, StringComparison.OrdinalIgnoreCase))
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"The backup path '{full}' is the database itself; choose another file.", nameof(destinationPath), full);
        if (File.Exists(full))
        {
            if (!overwrite)
                throw new PrismQException(PrismQErrorCode.InvalidArgument, $"The backup file '{full}' exists; pass overwrite to replace it.", nameof(destinationPath), full);
            File.Delete(full);
            File.Delete(full + "-wal");
            File.Delete(full + "-shm");
        }
        string? folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder)) OwnerOnlyFiles.CreateDirectory(folder);
        OwnerOnlyFiles.CreateFileIfMissing(full); // a copy of the queue: owner-only on Unix, as the database
        using (var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString()))
        {
            destination.Open();
            _connection.BackupDatabase(destination);
            // A self-contained file: fold the copy's WAL into it and leave rollback-journal mode.
            Exec(destination, "PRAGMA journal_mode = DELETE");
        }
    }

    /// <summary>One maintenance pass: the WAL policy, then the retention rules of the options, then (optionally) an integrity check.</summary>
    public MaintenanceReport Run(bool checkIntegrity = false)
    {
        CheckpointResult checkpoint = ManageWal();
        DateTimeOffset? cut = _options.RetainFor is { } age ? _options.TimeProvider.GetUtcNow() - age : null;
        int pruned = cut is null && _options.RetainCount is null ? 0 : PruneFinished(cut, _options.RetainCount);
        return new MaintenanceReport { Checkpoint = checkpoint, Pruned = pruned, Integrity = checkIntegrity ? CheckIntegrity() : null };
    }

    /// <summary>Closes the connection.</summary>
    public void Dispose() => _connection.Dispose();

    internal static IntegrityResult CheckIntegrity(SqliteConnection connection)
    {
        var problems = new List<string>();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        using SqliteDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            string line = reader.GetString(0);
            if (!string.Equals(line, "ok", StringComparison.OrdinalIgnoreCase)) problems.Add(line);
        }
        return new IntegrityResult(problems);
    }

    private int DeleteInChunks(string sql, params (string Name, long Value)[] parameters)
    {
        int total = 0;
        while (true)
        {
            using SqliteTransaction transaction = _connection.BeginTransaction(deferred: false);
            using SqliteCommand command = _connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            foreach ((string name, long value) in parameters) command.Parameters.AddWithValue(name, value);
            int n = command.ExecuteNonQuery();
            transaction.Commit();
            total += n;
            if (n < PruneChunk) return total;
        }
    }

    private static void Exec(SqliteConnection connection, string sql) => SqliteCommands.Execute(connection, sql);

    private static long Scalar(SqliteConnection connection, string sql) => SqliteCommands.ScalarLong(connection, sql);
}
