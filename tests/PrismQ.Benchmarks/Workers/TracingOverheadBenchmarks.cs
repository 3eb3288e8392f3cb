using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks.Workers;

/// <summary>
/// End-to-end task throughput with tracing on against tracing off (the baseline): goal at most 5% slower.
/// A worker at concurrency 4 processes a fresh backlog of no-op tasks per iteration.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 7)]
public class TracingOverheadBenchmarks
{
    private const int Tasks = 4000;
    private static readonly Task<string?> NoResult = Task.FromResult<string?>(null);
    private BenchmarkDatabase? _db;
    private SqliteTaskStore? _store;

    [IterationSetup(Target = nameof(TracingOff))]
    public void SetupOff() => Setup(tracing: null);

    [IterationSetup(Target = nameof(TracingOn))]
    public void SetupOn() => Setup(new TraceOptions());

    private void Setup(TraceOptions? tracing)
    {
        _db = new BenchmarkDatabase("tracing");
        _store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = _db.Path, Tracing = tracing });
        _store.EnqueueManyAsync(WorkerThroughputBenchmarks.Requests(Tasks), batchSize: Tasks).GetAwaiter().GetResult();
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _store?.Dispose();
        _store = null;
        _db?.Dispose();
        _db = null;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Tasks, Description = "worker, tracing off")]
    public long TracingOff() => Run();

    [Benchmark(OperationsPerInvoke = Tasks, Description = "worker, tracing on")]
    public long TracingOn() => Run();

    private long Run()
    {
        var options = new WorkerOptions { Concurrency = 4, MaxTasks = Tasks, ManageWal = false };
        options.Handlers["bench"] = static (_, _) => NoResult;
        return new Worker(_store!, options).RunAsync(CancellationToken.None).GetAwaiter().GetResult().Succeeded;
    }
}
