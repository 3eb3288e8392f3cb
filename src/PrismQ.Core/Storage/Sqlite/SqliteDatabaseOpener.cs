using System;
using System.IO;
using System.Text;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;

namespace PrismQ.Storage.Sqlite;

/// <summary>
/// Opens a database file: checks the path, creates missing folders and the file (owner-only on Unix, see
/// <see cref="OwnerOnlyFiles"/>), refuses what is not a (current) PrismQ
/// database before writing anything, applies the PRAGMAs and migrates the schema.
/// </summary>
internal static class SqliteDatabaseOpener
{
    private static readonly byte[] SqliteHeader = Encoding.ASCII.GetBytes("SQLite format 3\0");

    /// <summary>The SQLite busy handler's own wait before a statement reports busy (our jittered retry goes on above it).</summary>
    public static TimeSpan SqliteBusyTimeout(QueueOptions options) =>
        options.BusyTimeout < TimeSpan.FromSeconds(1) ? options.BusyTimeout : TimeSpan.FromSeconds(1);

    /// <summary>The full path, after checking it and creating its folder. Throws <see cref="PrismQException"/>.</summary>
    public static string ResolveAndCheckPath(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException or System.Security.SecurityException)
        {
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath,
                $"The database path '{path}' is not a valid path ({ex.Message}); it must be a file path.", "DatabasePath", path, ex);
        }

        if (NetworkPath.IsOnNetworkShare(full))
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath,
                $"The database path '{full}' is on a network share; SQLite's WAL mode needs a local disk (every process must share memory with the others), so PrismQ refuses it. Use a local path.",
                "DatabasePath", full);

        if (Directory.Exists(full))
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath,
                $"The database path '{full}' is a folder; it must name a file (for example '{Path.Combine(full, "queue.db")}').", "DatabasePath", full);

        string? folder = Path.GetDirectoryName(full);
        if (string.IsNullOrEmpty(folder))
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath, $"The database path '{full}' has no folder; it must name a file in a folder.", "DatabasePath", full);

        if (!Directory.Exists(folder))
        {
            try
            {
                OwnerOnlyFiles.CreateDirectory(folder);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new PrismQException(PrismQErrorCode.DatabaseNotWritable,
                    $"The folder '{folder}' of the database '{full}' does not exist and cannot be created ({ex.Message}); its parent must be writable.", "DatabasePath", full, ex);
            }
            catch (IOException ex)
            {
                throw new PrismQException(PrismQErrorCode.InvalidDatabasePath,
                    $"The folder '{folder}' of the database '{full}' does not exist and cannot be created ({ex.Message}); the path must lead through folders, not files.", "DatabasePath", full, ex);
            }
        }

        if (File.Exists(full))
        {
            CheckHeader(full);
            if ((File.GetAttributes(full) & FileAttributes.ReadOnly) != 0)
                throw new PrismQException(PrismQErrorCode.DatabaseNotWritable,
                    $"The database '{full}' is read-only; PrismQ writes to its database, so the file must be writable.", "DatabasePath", full);
        }
        else
        {
            try
            {
                // Owner-only on Unix (0600, and SQLite gives -wal and -shm the same mode); a file the user made is left as it is.
                OwnerOnlyFiles.CreateFileIfMissing(full);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // Not creatable here: SQLite's own open reports it (DatabaseNotWritable / InvalidDatabasePath).
            }
        }

        return full;
    }

    /// <summary>Throws <see cref="PrismQErrorCode.NotADatabase"/> when a non-empty file does not start with the SQLite header.</summary>
    private static void CheckHeader(string full)
    {
        var buffer = new byte[SqliteHeader.Length];
        int read;
        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length == 0) return;
            read = 0;
            while (read < buffer.Length)
            {
                int n = stream.Read(buffer, read, buffer.Length - read);
                if (n == 0) break;
                read += n;
            }
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new PrismQException(PrismQErrorCode.DatabaseNotWritable,
                $"The database '{full}' cannot be read ({ex.Message}); the file must be readable and writable.", "DatabasePath", full, ex);
        }

        for (int i = 0; i < buffer.Length; i++)
        {
            if (i >= read || buffer[i] != SqliteHeader[i])
                throw new PrismQException(PrismQErrorCode.NotADatabase,
                    $"The file '{full}' is not a SQLite database (it does not start with the SQLite header); PrismQ will not touch it. Choose another path.", "DatabasePath", full);
        }
    }

    /// <summary>Opens the connection, checks the schema version, applies the PRAGMAs and migrates.</summary>
    public static SqliteConnection OpenConnection(string path, QueueOptions options)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 1,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            try
            {
                connection.Open();
                Pragma(connection, $"busy_timeout = {(long)SqliteBusyTimeout(options).TotalMilliseconds}");
                BusyRetry.Run(options, path, "open", () => Prepare(connection, path, options));
            }
            catch (SqliteException ex) when (!SqliteErrors.IsBusy(ex))
            {
                throw SqliteErrors.Translate(ex, path, "open");
            }
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Prepare(SqliteConnection connection, string path, QueueOptions options)
    {
        // Read first: nothing is written to a file PrismQ must refuse. The three facts are read in one snapshot, so a
        // schema another process commits meanwhile is judged whole, never as "version 0 with tables".
        SchemaState state = ReadSchemaState(connection, inTransaction: false);
        Refuse(state, path);
        // Only effective before the first table is created, and before WAL mode is set.
        if (state.Version == 0) Pragma(connection, "page_size = 4096");

        string journal = ScalarString(connection, "PRAGMA journal_mode = WAL");
        if (!string.Equals(journal, "wal", StringComparison.OrdinalIgnoreCase))
            throw new PrismQException(PrismQErrorCode.StorageError,
                $"The database '{path}' could not be switched to WAL journal mode (it reports '{journal}'); PrismQ needs WAL on a local disk.", "DatabasePath", path);
        Pragma(connection, options.Durability == Durability.Full ? "synchronous = FULL" : "synchronous = NORMAL");
        Pragma(connection, $"wal_autocheckpoint = {WalCheckpointer.BackstopPages}");
        Pragma(connection, "foreign_keys = ON");
        Pragma(connection, "temp_store = MEMORY");
        Pragma(connection, "mmap_size = 134217728");
        Pragma(connection, "cache_size = -20000");

        if (state.Version < SqliteSchema.CurrentVersion) Migrate(connection, path);
    }

    /// <summary>What the opener judges a file by: its schema version, application id and count of non-SQLite tables.</summary>
    private readonly struct SchemaState
    {
        public SchemaState(int version, int applicationId, long tables)
        {
            Version = version;
            ApplicationId = applicationId;
            Tables = tables;
        }

        public int Version { get; }

        public int ApplicationId { get; }

        public long Tables { get; }
    }

    /// <summary>
    /// Reads the schema state from one committed snapshot: inside the caller's transaction when
    /// <paramref name="inTransaction"/>, else inside a read transaction of its own.
    /// </summary>
    private static SchemaState ReadSchemaState(SqliteConnection connection, bool inTransaction)
    {
        if (!inTransaction) Exec(connection, "BEGIN");
        try
        {
            var state = new SchemaState(
                ScalarInt(connection, "PRAGMA user_version"),
                ScalarInt(connection, "PRAGMA application_id"),
                ScalarLong(connection, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"));
            if (!inTransaction) Exec(connection, "COMMIT");
            return state;
        }
        catch
        {
            if (!inTransaction) RollbackIfOpen(connection);
            throw;
        }
    }

    /// <summary>Throws for a schema PrismQ must not touch: too new, another application's, or tables without a PrismQ version.</summary>
    private static void Refuse(SchemaState state, string path)
    {
        if (state.Version > SqliteSchema.CurrentVersion)
            throw new PrismQException(PrismQErrorCode.SchemaTooNew,
                $"The database '{path}' has schema version {state.Version}; this PrismQ understands up to version {SqliteSchema.CurrentVersion}. Use a newer PrismQ (nothing was changed).",
                "DatabasePath", path);
        if (state.ApplicationId != 0 && state.ApplicationId != SqliteSchema.ApplicationId)
            throw new PrismQException(PrismQErrorCode.NotADatabase,
                $"The database '{path}' belongs to another application (application_id {state.ApplicationId}); it is not a PrismQ database (nothing was changed).", "DatabasePath", path);
        if (state.Version == 0 && state.Tables > 0)
            throw new PrismQException(PrismQErrorCode.NotADatabase,
                $"The database '{path}' is a SQLite database with {state.Tables} tables of another application; it is not a PrismQ database (nothing was changed).", "DatabasePath", path);
    }

    private static void Migrate(SqliteConnection connection, string path)
    {
        Exec(connection, "BEGIN IMMEDIATE");
        try
        {
            // Judged again under the write lock: another process may have created or migrated the schema since our read.
            SchemaState state = ReadSchemaState(connection, inTransaction: true);
            Refuse(state, path);
            for (int v = state.Version; v < SqliteSchema.CurrentVersion; v++) Exec(connection, SqliteSchema.Migrations[v]);
            if (state.Version < SqliteSchema.CurrentVersion)
            {
                Exec(connection, $"PRAGMA application_id = {SqliteSchema.ApplicationId}");
                Exec(connection, $"PRAGMA user_version = {SqliteSchema.CurrentVersion}");
            }
            Exec(connection, "COMMIT");
        }
        catch
        {
            RollbackIfOpen(connection);
            throw;
        }
    }

    private static void RollbackIfOpen(SqliteConnection connection)
    {
        if (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0) Exec(connection, "ROLLBACK");
    }

    private static void Pragma(SqliteConnection connection, string pragma) => Exec(connection, "PRAGMA " + pragma);

    // Every statement of the opener waits at most 1 s in Microsoft.Data.Sqlite's own busy retry; BusyRetry goes on above it.
    private static void Exec(SqliteConnection connection, string sql) => SqliteCommands.Execute(connection, sql, timeoutSeconds: 1);

    private static int ScalarInt(SqliteConnection connection, string sql) =>
        Convert.ToInt32(SqliteCommands.Scalar(connection, sql, timeoutSeconds: 1), System.Globalization.CultureInfo.InvariantCulture);

    private static long ScalarLong(SqliteConnection connection, string sql) => SqliteCommands.ScalarLong(connection, sql, timeoutSeconds: 1);

    private static string ScalarString(SqliteConnection connection, string sql) =>
        Convert.ToString(SqliteCommands.Scalar(connection, sql, timeoutSeconds: 1), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
}
