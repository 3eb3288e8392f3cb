using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using PrismQ.Benchmarks.Storage;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks.Workers;

/// <summary>
/// End-to-end no-op tasks through the worker engine at concurrency 1, 4 and 16, beside the raw one-at-a-time
/// claim + complete cycle (goal: at least 2x the raw cycle, through batching). One operation is one task.
/// Each iteration enqueues a fresh backlog (not measured); a worker then runs until it has processed it.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class WorkerThroughputBenchmarks
{
    private const int Tasks = 4000;
    private static readonly Task<string?> NoResult = Task.FromResult<string?>(null);
    private BenchmarkDatabase? _db;
    private RawSqlite? _raw;
    private SqliteTaskStore? _store;

    [Params(Durability.Normal, Durability.Full)]
    public Durability Durability { get; set; }

    [Params(1, 4, 16)]
    public int Concurrency { get; set; }

    [IterationSetup(Target = nameof(RawClaimCompleteCycle))]
    public void SetupRaw()
    {
        _db = new BenchmarkDatabase("raw");
        _db.CreateSchema(Durability);
        _raw = new RawSqlite(_db.Path, Durability);
        _raw.InsertMany(Tasks, "{}");
    }

    [IterationSetup(Target = nameof(Worker))]
    public void SetupWorker()
    {
        _db = new BenchmarkDatabase("worker");
        _store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = _db.Path, Durability = Durability });
        _store.EnqueueManyAsync(Requests(Tasks), batchSize: Tasks).GetAwaiter().GetResult();
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _raw?.Dispose();
        _raw = null;
        _store?.Dispose();
        _store = null;
        _db?.Dispose();
        _db = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Tasks, Description = "raw claim + complete, one at a time")]
    public int RawClaimCompleteCycle()
    {
        int done = 0;
        while (_raw!.ClaimAndComplete()) done++;
        return done;
    }

    [Benchmark(OperationsPerInvoke = Tasks, Description = "Worker, no-op handler")]
    public long Worker()
    {
        var options = new WorkerOptions { Concurrency = Concurrency, MaxTasks = Tasks, ManageWal = false };
        options.Handlers["bench"] = static (_, _) => NoResult;
        var worker = new Worker(_store!, options);
        return worker.RunAsync(CancellationToken.None).GetAwaiter().GetResult().Succeeded;
    }

    internal static IEnumerable<EnqueueRequest> Requests(int count)
    {
        for (int i = 0; i < count; i++) yield return new EnqueueRequest("bench", "{}");
    }
}
