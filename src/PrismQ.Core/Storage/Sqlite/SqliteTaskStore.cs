using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Scheduling;
using PrismQ.Storage.Sqlite;
using PrismQ.Tracing;

namespace PrismQ.Storage.Sqlite;

/// <summary>
/// The SQLite task store: one database file in WAL mode, shared safely by many threads and processes.
/// Each instance holds one connection, used under a lock (SQLite has one writer at a time); every write is one
/// short transaction, and writes that read first start with <c>BEGIN IMMEDIATE</c>. A statement that meets a lock
/// held by another connection is retried with jittered backoff for up to <see cref="QueueOptions.BusyTimeout"/>,
/// then fails with <see cref="PrismQErrorCode.DatabaseBusy"/>. See docs/architecture.md and docs/configuration.md.
/// </summary>
public sealed partial class SqliteTaskStore : ITaskStore
{
    private readonly object _gate = new();
    private readonly SqliteConnection _connection;
    private readonly QueueOptions _options;
    private readonly TimeProvider _clock;
    private readonly Func<double> _random;
    private readonly ITraceEmitter _tracer;
    private readonly long _defaultLeaseMs;
    private readonly long _busyTimeoutTicks;
    private readonly HashSet<string> _knownQueues = new(StringComparer.Ordinal);
    private readonly PreparedStatement _begin;
    private readonly PreparedStatement _beginRead;
    private readonly PreparedStatement _commit;
    private readonly PreparedStatement _rollback;
    private readonly List<PreparedStatement> _prepared = new();
    private readonly TraceSession? _traceSession;
    private readonly WalCheckpointer _checkpointer;
    private bool _disposed;

    private SqliteTaskStore(SqliteConnection connection, QueueOptions options, string path, TraceSession? traceSession)
    {
        _traceSession = traceSession;
        _connection = connection;
        _options = options;
        DatabasePath = path;
        _clock = options.TimeProvider;
        _random = options.RandomSource;
        _tracer = traceSession?.Emitter ?? options.Tracer;
        _defaultLeaseMs = UnixTime.SpanMs(options.ResolveLeaseDuration());
        _busyTimeoutTicks = (long)(options.BusyTimeout.TotalSeconds * Stopwatch.Frequency);
        _begin = new PreparedStatement(connection, "BEGIN IMMEDIATE");
        _beginRead = new PreparedStatement(connection, "BEGIN DEFERRED");
        _commit = new PreparedStatement(connection, "COMMIT");
        _rollback = new PreparedStatement(connection, "ROLLBACK");
        _checkpointer = new WalCheckpointer(connection, path, options.Durability);
        // A unit exponential variate from the configured random source, for statements that re-queue many rows.
        connection.CreateFunction("prismq_exp", () => WeightedRandomRule.UnitExponential(_random()), isDeterministic: false);
    }

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The trace session the store started (when <see cref="QueueOptions.Tracing"/> is set), or null.</summary>
    public TraceSession? Tracing => _traceSession;

    /// <summary>Where this store, and the workers that run on it, send trace events: its trace session, or the options' emitter.</summary>
    internal ITraceEmitter Tracer => _tracer;

    /// <summary>The thread that checkpoints the WAL for this store (for tests and diagnostics).</summary>
    internal WalCheckpointer Checkpointer => _checkpointer;

    /// <summary>The options this store was opened with.</summary>
    public QueueOptions Options => _options;

    /// <summary>
    /// Opens (or creates) the database at <see cref="QueueOptions.ResolveDatabasePath"/>: creates missing folders,
    /// applies the PRAGMAs and migrates the schema in one transaction. Throws <see cref="PrismQException"/>
    /// (<see cref="PrismQErrorCode.InvalidDatabasePath"/>, <see cref="PrismQErrorCode.DatabaseNotWritable"/>,
    /// <see cref="PrismQErrorCode.NotADatabase"/>, <see cref="PrismQErrorCode.SchemaTooNew"/>, ...) without writing
    /// anything when the database cannot be used.
    /// </summary>
    public static SqliteTaskStore Open(QueueOptions? options = null)
    {
        options ??= new QueueOptions();
        options.Validate();
        string path = SqliteDatabaseOpener.ResolveAndCheckPath(options.ResolveDatabasePath());
        SqliteConnection connection = SqliteDatabaseOpener.OpenConnection(path, options);
        TraceSession? session = null;
        try
        {
            if (options.Tracing is { Enabled: true } && options.Tracer is NullTraceEmitter) session = TraceSession.Start(path, options.Tracing);

            return new SqliteTaskStore(connection, options, path, session);
        }
        catch
        {
            connection.Dispose();
            session?.Dispose();
            throw;
        }
    }

    /// <summary>Opens (or creates) the database at <paramref name="databasePath"/> with default options.</summary>
    public static SqliteTaskStore Open(string databasePath) => Open(new QueueOptions { DatabasePath = databasePath });

    /// <summary>Closes the connection. Pending calls on other threads finish first.</summary>
    public void Dispose()
    {
        try
        {
            lock (_gate)
            {
                if (_disposed) return;
                _disposed = true;
                // First, so that the store's connection is the last one open and its close checkpoints the WAL away.
                DisposeDriver();
                _checkpointer.Dispose();
                DisposeStatements();
                _begin.Dispose();
                _beginRead.Dispose();
                _commit.Dispose();
                _rollback.Dispose();
                _connection.Dispose();
            }
        }
        finally
        {
            // After the connection (even if closing it failed): everything traced until now is drained, then the
            // trace database is closed. Disposing a session twice does nothing.
            _traceSession?.Dispose();
        }
    }

    /// <summary>How a unit of work runs.</summary>
    private enum TxMode
    {
        /// <summary>One statement in autocommit mode.</summary>
        None,
        /// <summary>A read transaction (<c>BEGIN DEFERRED</c>): one consistent snapshot.</summary>
        Read,
        /// <summary>A write transaction that may read first (<c>BEGIN IMMEDIATE</c>).</summary>
        Write,
    }

    /// <summary>
    /// Runs <paramref name="body"/> under the store lock, in the given transaction mode, retrying the whole unit on
    /// SQLITE_BUSY/SQLITE_LOCKED with jittered exponential backoff until <see cref="QueueOptions.BusyTimeout"/>.
    /// The body must have no effect outside the database before it returns (it may run more than once).
    /// </summary>
    /// <remarks>
    /// traceBusy, for lease operations: emits the busy-retry trace events naming the task(s) the operation works on, so
    /// the drain marks the window of the attempt the retries delay (null: one event with no task).
    /// </remarks>
    private T Run<TState, T>(string operation, TxMode mode, TState state, Func<SqliteTaskStore, TState, T> body, CancellationToken cancellationToken,
        Action<ITraceEmitter, TState, int>? traceBusy = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(SqliteTaskStore));
            long started = Stopwatch.GetTimestamp();
            int retries = 0;
            while (true)
            {
                try
                {
                    T result;
                    if (mode == TxMode.None)
                    {
                        result = body(this, state);
                    }
                    else
                    {
                        Exec(mode == TxMode.Write ? _begin : _beginRead);
                        try
                        {
                            result = body(this, state);
                            Exec(_commit);
                        }
                        catch
                        {
                            RollbackIfOpen();
                            throw;
                        }
                    }
                    _checkpointer.AfterWork();
                    if (_tracer.IsEnabled) EmitTiming(operation, started);
                    return result;
                }
                catch (SqliteException ex) when (SqliteErrors.IsBusy(ex))
                {
                    retries++;
                    if (Stopwatch.GetTimestamp() - started >= _busyTimeoutTicks) throw SqliteErrors.BusyTimeout(DatabasePath, operation, _options.BusyTimeout, retries, ex);
                    if (traceBusy is null) _tracer.Emit(TraceEventKind.BusyRetry, 0, 0, 0, retries);
                    else if (_tracer.IsEnabled) traceBusy(_tracer, state, retries);
                    Thread.Sleep(BusyBackoffMs(retries));
                }
                catch (SqliteException ex)
                {
                    throw SqliteErrors.Translate(ex, DatabasePath, operation);
                }
            }
        }
    }

    /// <summary>Full jitter over an exponential ceiling: uniform in [1, min(200, 2 * 2^retry)] milliseconds.</summary>
    internal static int BusyBackoffMs(int retry, double? uniform = null)
    {
        double ceiling = Math.Min(200.0, 2.0 * Math.Pow(2, Math.Min(retry, 16)));
        double u = uniform ?? SharedRandom.NextDouble();
        return 1 + (int)(u * (ceiling - 1));
    }

    private void EmitTiming(string operation, long started)
    {
        long micros = (Stopwatch.GetTimestamp() - started) * 1_000_000 / Stopwatch.Frequency;
        _tracer.EmitDetail(TraceEventKind.SqlStatement, 0, 0, 0, micros, operation);
    }

    private void RollbackIfOpen()
    {
        if (SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) != 0) return;
        try
        {
            Exec(_rollback);
        }
        catch (SqliteException)
        {
            // The transaction may already be gone (SQLite rolls back by itself after some errors).
        }
    }

    private static void Exec(PreparedStatement statement) => statement.Command.ExecuteNonQuery();

    private long Now() => UnixTime.Now(_clock);

    private long LastInsertRowId() => SQLitePCL.raw.sqlite3_last_insert_rowid(_connection.Handle);

    private PreparedStatement Prepare(ref PreparedStatement? field, string sql, params string[] parameterNames)
    {
        if (field is null)
        {
            field = new PreparedStatement(_connection, sql, parameterNames);
            _prepared.Add(field);
        }
        return field;
    }

    private void DisposeStatements()
    {
        foreach (PreparedStatement statement in _prepared) statement.Dispose();
        _prepared.Clear();
    }

    /// <summary>The value of a PRAGMA on this store's connection (for tests and diagnostics).</summary>
    internal object? PragmaValue(string name) => Run("pragma", TxMode.None, name, static (s, n) =>
    {
        using SqliteCommand command = s._connection.CreateCommand();
        command.CommandText = "PRAGMA " + n;
        return command.ExecuteScalar();
    }, CancellationToken.None);

    private static object DbValue(object? value) => value ?? DBNull.Value;

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
