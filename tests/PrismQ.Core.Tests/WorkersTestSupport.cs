using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Storage.Sqlite;
using PrismQ.Tracing;

namespace PrismQ.Tests;

/// <summary>A temporary queue database for one worker test, deleted at the end.</summary>
internal sealed class WorkersTestDb : IDisposable
{
    /// <summary>The longest a test waits for an event before it fails (a guard against hangs, not a duration assertion).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public WorkersTestDb(RetryPolicy? retryPolicy = null, TimeProvider? clock = null, int maxPayloadBytes = 1024 * 1024)
    {
        Folder = Path.Combine(Path.GetTempPath(), "prismq-worker-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        DbPath = Path.Combine(Folder, "queue.db");
        Store = SqliteTaskStore.Open(new QueueOptions
        {
            DatabasePath = DbPath,
            RetryPolicy = retryPolicy ?? new RetryPolicy { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, Jitter = 0 },
            TimeProvider = clock ?? TimeProvider.System,
            MaxPayloadBytes = maxPayloadBytes,
        });
    }

    public string Folder { get; }
    public string DbPath { get; }
    public SqliteTaskStore Store { get; }

    public SqliteTaskStore OpenAnother() => SqliteTaskStore.Open(new QueueOptions { DatabasePath = DbPath });

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
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
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
