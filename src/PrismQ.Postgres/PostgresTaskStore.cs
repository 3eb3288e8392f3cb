using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;
using PrismQ.Internal;
using PrismQ.Storage;
using PrismQ.Tracing;

namespace PrismQ.Postgres;

/// <summary>
/// The PostgreSQL task store: the tables of one schema (default <c>prismq</c>) in a PostgreSQL database, shared by any
/// number of workers on any number of hosts. Each instance holds one pooled <see cref="NpgsqlDataSource"/>; every
/// operation is one short transaction (READ COMMITTED) on a connection taken from the pool, and claims lock the rows
/// they take with <c>FOR UPDATE SKIP LOCKED</c>, so concurrent claimers never wait on each other. Safe behind
/// PgBouncer in transaction mode (no session state: no session advisory locks, no prepared statements by name).
/// </summary>
/// <remarks>
/// Every instant the store writes (enqueue and update times, not-before, lease expiry, heartbeats, the leader's term) is
/// taken from <see cref="QueueOptions.TimeProvider"/> on the writing host and passed to the server as a parameter; the
/// server's own <c>now()</c> is never used. Leases are therefore compared against the clock of whichever host reads
/// them: the hosts sharing a database need synchronized clocks (NTP), or a host whose clock runs ahead rescues leases
/// that are not yet expired. Errors are <see cref="PrismQException"/>s: serialization failures, deadlocks, lock and
/// statement timeouts and connection failures are <see cref="PrismQErrorCode.DatabaseBusy"/> (transient; the worker
/// retries), anything else <see cref="PrismQErrorCode.StorageError"/>; messages never show the password.
/// </remarks>
public sealed partial class PostgresTaskStore : ITaskStore, IStorageDriver
{
    private readonly PostgresConnectionInfo _info;
    private readonly NpgsqlDataSource _dataSource;
    private readonly QueueOptions _options;
    private readonly TimeProvider _clock;
    private readonly Func<double> _random;
    private readonly ITraceEmitter _tracer;
    private readonly long _defaultLeaseMs;
    private readonly ConcurrentDictionary<string, string> _sql = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _knownQueues = new(StringComparer.Ordinal);
    private readonly PostgresNotifier _notifier;
    private int _disposed;

    private PostgresTaskStore(PostgresConnectionInfo info, NpgsqlDataSource dataSource, QueueOptions options)
    {
        _info = info;
        _dataSource = dataSource;
        _options = options;
        _clock = options.TimeProvider;
        _random = options.RandomSource;
        _tracer = options.Tracer;
        _defaultLeaseMs = UnixTime.SpanMs(options.ResolveLeaseDuration());
        _notifier = new PostgresNotifier(info, Channel);
    }

    /// <summary>
    /// Opens the store at <paramref name="connection"/>, creating or migrating its schema. <paramref name="connection"/>
    /// is a libpq URI, <c>postgresql://user[:password]@host[:port]/database[?schema=name&amp;...]</c> (or
    /// <c>postgres://</c>), or an Npgsql connection string (with an optional <c>Schema=name</c>). Without a password,
    /// Npgsql reads <c>PGPASSWORD</c> or the <c>.pgpass</c> file. The schema (default <c>prismq</c>) holds every table.
    /// Npgsql prepares the store's frequent statements automatically (<c>Max Auto Prepare</c> 64 unless the connection
    /// sets it; 0 turns it off, e.g. behind a pooler that does not keep prepared statements).
    /// <see cref="QueueOptions.DatabasePath"/>, <see cref="QueueOptions.Durability"/> and <see cref="QueueOptions.Tracing"/>
    /// are not used (commits are as durable as the server's configuration makes them; no trace session is started).
    /// Throws <see cref="PrismQException"/>:
    /// <see cref="PrismQErrorCode.InvalidOption"/> for a malformed connection, <see cref="PrismQErrorCode.SchemaTooNew"/>
    /// when a newer PrismQ wrote the schema, <see cref="PrismQErrorCode.NotADatabase"/> when the schema is someone
    /// else's, <see cref="PrismQErrorCode.DatabaseBusy"/> when the server is out of reach.
    /// </summary>
    public static PostgresTaskStore Open(string connection, QueueOptions? options = null)
    {
        options ??= new QueueOptions();
        options.Validate();
        PostgresConnectionInfo info = PostgresConnectionInfo.Parse(connection);
        NpgsqlDataSource dataSource = new NpgsqlDataSourceBuilder(info.Builder.ConnectionString).Build();
        try
        {
            try
            {
                PostgresSchema.MigrateAsync(dataSource, info, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (Exception ex) when (PostgresErrors.Handles(ex))
            {
                throw PostgresErrors.Translate(ex, info.Redacted, "open");
            }
            return new PostgresTaskStore(info, dataSource, options);
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }
    }

    /// <summary>The options the store was opened with.</summary>
    public QueueOptions Options => _options;

    /// <summary>The schema that holds the store's tables.</summary>
    public string Schema => _info.Schema;

    /// <summary>Where the store is, without the password: <c>postgresql://user@host:port/db?schema=name</c>.</summary>
    public string Location => _info.Redacted;

    /// <summary>The redacted location.</summary>
    public override string ToString() => "PostgresTaskStore " + _info.Redacted;

    /// <inheritdoc />
    string IStorageDriver.BackendName => "PostgreSQL";

    /// <inheritdoc />
    ITraceEmitter IStorageDriver.Tracer => _tracer;

    /// <summary>The NOTIFY channel of this schema (new work; the payload is the queue name).</summary>
    internal string Channel => "prismq_" + _info.Schema;

    internal PostgresConnectionInfo ConnectionInfo => _info;

    /// <summary>The new-work notifier (for tests and diagnostics).</summary>
    internal PostgresNotifier Notifier => _notifier;

    /// <summary>Stops the notifier and closes the pool's connections.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _notifier.Dispose();
        _dataSource.Dispose();
    }

    /// <summary>
    /// Runs <paramref name="body"/> in one READ COMMITTED transaction on a pooled connection, committing when it returns.
    /// A deadlock or serialization failure (the server chose this transaction as the victim) retries the whole unit with
    /// jittered backoff for up to <see cref="QueueOptions.BusyTimeout"/>; other errors are translated at once. The body
    /// must have no effect outside the database before it returns (it may run more than once).
    /// </summary>
    /// <remarks>
    /// <paramref name="transaction"/> false, for a body that runs one statement (or a second one only when the first
    /// changed nothing): the statement runs on its own (autocommit), which saves the COMMIT's round trip.
    /// </remarks>
    private async Task<T> RunAsync<TState, T>(string operation, TState state, Func<Unit, TState, Task<T>> body, CancellationToken cancellationToken, bool transaction = true)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref _disposed) != 0) throw new ObjectDisposedException(nameof(PostgresTaskStore));
        var started = Stopwatch.StartNew();
        int retries = 0;
        while (true)
        {
            try
            {
                await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                NpgsqlTransaction? tx = transaction ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
                try
                {
                    T result = await body(new Unit(this, connection, tx, cancellationToken), state).ConfigureAwait(false);
                    if (tx is not null) await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return result;
                }
                finally
                {
                    if (tx is not null) await tx.DisposeAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (PostgresErrors.IsRetryable(ex) && started.Elapsed < _options.BusyTimeout)
            {
                retries++;
                _tracer.Emit(TraceEventKind.BusyRetry, 0, 0, 0, retries);
                await Task.Delay(BackoffMs(retries), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (PostgresErrors.Handles(ex))
            {
                if (cancellationToken.IsCancellationRequested && ex is NpgsqlException { InnerException: OperationCanceledException }) throw new OperationCanceledException(cancellationToken);
                throw PostgresErrors.Translate(ex, _info.Redacted, operation);
            }
        }
    }

    /// <summary>Full jitter over an exponential ceiling: uniform in [1, min(200, 2 * 2^retry)] milliseconds.</summary>
    private static int BackoffMs(int retry)
    {
        double ceiling = Math.Min(200.0, 2.0 * Math.Pow(2, Math.Min(retry, 16)));
        return 1 + (int)(SharedRandom.NextDouble() * (ceiling - 1));
    }

    private long Now() => UnixTime.Now(_clock);

    /// <summary>A unit exponential variate from the configured random source.</summary>
    private double Exponential() => Scheduling.WeightedRandomRule.UnitExponential(_random());

    /// <summary>The SQL with this store's schema in place of <c>{s}</c>.</summary>
    private string Sql(string template) => _sql.GetOrAdd(template, static (t, schema) => t.Replace("{s}", schema), _info.SchemaIdentifier);

    /// <summary>One unit of work: the store, its connection and its transaction.</summary>
    private readonly struct Unit
    {
        public Unit(PostgresTaskStore store, NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken token)
        {
            Store = store;
            Connection = connection;
            Transaction = tx;
            Token = token;
        }

        public PostgresTaskStore Store { get; }
        public NpgsqlConnection Connection { get; }

        /// <summary>The caller's cancellation token, for every statement of the unit.</summary>
        public CancellationToken Token { get; }
        /// <summary>The transaction, or null when the unit's one statement runs on its own.</summary>
        public NpgsqlTransaction? Transaction { get; }

        /// <summary>A command of this unit, its SQL's <c>{s}</c> replaced by the schema.</summary>
        public NpgsqlCommand Command(string template) => new(Store.Sql(template), Connection, Transaction);
    }

    /// <summary>
    /// The new-work notification of a row's queue, for the RETURNING list of a statement that makes tasks ready (the
    /// server delivers it at the commit, once per distinct queue per transaction). Its statement needs the
    /// <c>@channel</c> parameter (<see cref="Channel"/>).
    /// </summary>
    private const string NotifyQueue = "pg_notify(@channel, queue) IS NULL";

    /// <summary>Sends <c>pg_notify</c> for each queue, inside the unit's transaction (delivered at its commit).</summary>
    private static async Task NotifyAsync(Unit u, IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        var distinct = new List<string>();
        foreach (string q in queues)
        {
            if (!distinct.Contains(q)) distinct.Add(q);
        }
        if (distinct.Count == 0) return;
        await using NpgsqlCommand command = u.Command("SELECT pg_notify(@channel, q) FROM unnest(@queues) AS q");
        Text(command, "channel", u.Store.Channel);
        command.Parameters.Add(new NpgsqlParameter("queues", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = distinct.ToArray() });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // Typed parameters (a null needs its type).
    private static void Int64(NpgsqlCommand c, string name, long? value) =>
        c.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Bigint) { Value = value is long v ? v : DBNull.Value });

    private static void Int32(NpgsqlCommand c, string name, int? value) =>
        c.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Integer) { Value = value is int v ? v : DBNull.Value });

    private static void Text(NpgsqlCommand c, string name, string? value) =>
        c.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });

    private static void Double(NpgsqlCommand c, string name, double value) =>
        c.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Double) { Value = value });

    private static void Bool(NpgsqlCommand c, string name, bool value) =>
        c.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Boolean) { Value = value });

    private static void Uuid(NpgsqlCommand c, string name, LeaseToken token) =>
        c.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Uuid) { Value = token.Value });

    private static void Int64Array(NpgsqlCommand c, string name, long[] values) =>
        c.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = values });

    private static void TextArray(NpgsqlCommand c, string name, string[] values) =>
        c.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values });

    private bool IsKnownQueue(string queue) => _knownQueues.ContainsKey(queue);

    private void MarkQueueKnown(string queue) => _knownQueues.TryAdd(queue, true);
}
