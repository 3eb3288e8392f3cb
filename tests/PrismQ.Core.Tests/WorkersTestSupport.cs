using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Storage.Sqlite;
using PrismQ.Storage;
using PrismQ.Tests.Storage;
using PrismQ.Tracing;

namespace PrismQ.Tests;

/// <summary>The backends the worker tests run on.</summary>
public enum TestBackend
{
    /// <summary>A SQLite file in a temp folder.</summary>
    Sqlite,

    /// <summary>A fresh schema on the server named by <c>PRISMQ_TEST_POSTGRES</c>.</summary>
    Postgres,
}

/// <summary>
/// The base of the worker tests that run on both backends: each such class is abstract, and a sealed subclass per
/// backend names it (the PostgreSQL one carries <c>[Trait("Backend", "PostgreSQL")]</c>).
/// </summary>
public abstract class WorkersBackendTests
{
    protected abstract TestBackend Backend { get; }

    /// <summary>A fresh queue on this class's backend, deleted at dispose.</summary>
    private protected WorkersTestDb NewDb(RetryPolicy? retryPolicy = null, TimeProvider? clock = null, int maxPayloadBytes = 1024 * 1024) =>
        new(retryPolicy, clock, maxPayloadBytes, Backend);
}

/// <summary>
/// A temporary queue for one worker test, deleted at the end: a SQLite database in a temp folder, or a fresh schema on
/// the PostgreSQL test server. <see cref="Folder"/> (a temp folder) exists on both, for side files.
/// </summary>
internal sealed class WorkersTestDb : IDisposable
{
    /// <summary>The longest a test waits for an event before it fails (a guard against hangs, not a duration assertion).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly string? _schema;

    public WorkersTestDb(RetryPolicy? retryPolicy = null, TimeProvider? clock = null, int maxPayloadBytes = 1024 * 1024, TestBackend backend = TestBackend.Sqlite)
    {
        Backend = backend;
        Folder = Path.Combine(Path.GetTempPath(), "prismq-worker-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        if (backend == TestBackend.Postgres)
        {
            _schema = PostgresTestServer.NewSchema();
            Location = PostgresTestServer.UriWithSchema(_schema);
        }
        else
        {
            Location = Path.Combine(Folder, "queue.db");
        }
        Store = StoreLocations.Open(Location, new QueueOptions
        {
            RetryPolicy = retryPolicy ?? new RetryPolicy { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, Jitter = 0 },
            TimeProvider = clock ?? TimeProvider.System,
            MaxPayloadBytes = maxPayloadBytes,
        });
    }

    public TestBackend Backend { get; }

    /// <summary>A temp folder of this test's own, deleted at dispose (the SQLite database is in it).</summary>
    public string Folder { get; }

    /// <summary>Where the queue is, as a worker process is told: the SQLite file's path or the PostgreSQL URI with its schema.</summary>
    public string Location { get; }

    /// <summary>The SQLite database file, for the SQLite-only tests.</summary>
    public string DbPath => Backend == TestBackend.Sqlite ? Location : throw new InvalidOperationException("a SQLite-only member used on " + Backend);

    public ITaskStore Store { get; }

    /// <summary>A second store on the same queue (as another process would open it), with default options; the caller disposes it.</summary>
    public ITaskStore OpenAnother() => StoreLocations.Open(Location, new QueueOptions());

    /// <summary>The number of rows in one of the store's tables (same name on both backends).</summary>
    public long CountRows(string table) =>
        Backend == TestBackend.Sqlite ? RawDb.Scalar(DbPath, "SELECT COUNT(*) FROM " + table) : PostgresTestServer.Scalar($"SELECT COUNT(*) FROM \"{_schema}\".{table}");

    public async Task<long> EnqueueAsync(string type, string? payload = null, int? maxAttempts = null, TimeSpan? timeout = null)
    {
        EnqueueResult result = await Store.EnqueueAsync(new EnqueueRequest(type, payload) { MaxAttempts = maxAttempts, Timeout = timeout });
        return result.Task.Id;
    }

    public async Task<TaskRecord> GetAsync(long id) => (await Store.GetAsync(id)) ?? throw new InvalidOperationException($"task {id} is missing");

    /// <summary>Polls the database until <paramref name="condition"/> holds (a state another party changes), failing after <see cref="Patience"/>.</summary>
    public static async Task Until(Func<Task<bool>> condition, string what)
    {
        DateTime deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Gave up waiting for: " + what);
            await Task.Delay(10);
        }
    }

    public void Dispose()
    {
        Store.Dispose();
        if (_schema is not null) PostgresTestServer.DropSchema(_schema);
        else Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Helpers for awaiting with a hang guard.</summary>
internal static class WorkersWait
{
    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(WorkersTestDb.Patience);

    public static Task Within(this Task task) => task.WaitAsync(WorkersTestDb.Patience);

    public static void Within(this ManualResetEventSlim gate)
    {
        if (!gate.Wait(WorkersTestDb.Patience)) throw new TimeoutException("event not set");
    }
}

/// <summary>A trace emitter that counts events by kind.</summary>
internal sealed class CountingTraceEmitter : ITraceEmitter
{
    private readonly int[] _counts = new int[64];
    public bool IsEnabled => true;
    public int Count(TraceEventKind kind) => Volatile.Read(ref _counts[(int)kind]);
    public int Marks;
    public int Opened;
    public int Closed;
    public List<string> UserMessages { get; } = new();

    public short RegisterWorker(string workerId) => 1;
    public void Emit(TraceEventKind kind, long taskId, int attempt, short workerSlot, long value) => Interlocked.Increment(ref _counts[(int)kind]);

    public void EmitDetail(TraceEventKind kind, long taskId, int attempt, short workerSlot, long value, string message)
    {
        Interlocked.Increment(ref _counts[(int)kind]);
        lock (UserMessages) UserMessages.Add(message);
    }

    public void OpenWindow(long taskId, int attempt, short workerSlot) => Interlocked.Increment(ref Opened);
    public void MarkWindow(long taskId, int attempt, WindowMark mark) => Interlocked.Increment(ref Marks);
    public void CloseWindow(long taskId, int attempt) => Interlocked.Increment(ref Closed);
}
