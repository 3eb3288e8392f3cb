using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks.Storage;

/// <summary>
/// The cost of one claim at 1,000 and at 1,000,000 queued tasks, for each strategy (target: at most 1.5x at 1M).
/// One operation is one claim (a committed <c>BEGIN IMMEDIATE</c> transaction). Each iteration makes 200 claims; the
/// tasks they leased are released before the next iteration (not measured), so the backlog stays at its size.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 3, iterationCount: 15, invocationCount: ClaimsPerIteration)]
public class ClaimScalingBenchmarks
{
    private const int ClaimsPerIteration = 200;
    private readonly List<TaskRecord> _claimed = new(ClaimsPerIteration);
    private BenchmarkDatabase? _db;
    private SqliteTaskStore? _store;
    private ClaimRequest? _claim;

    [Params(1_000, 1_000_000)]
    public int Queued { get; set; }

    [Params(SchedulingStrategy.Fifo, SchedulingStrategy.Lifo, SchedulingStrategy.Priority, SchedulingStrategy.WeightedRandom)]
    public SchedulingStrategy Strategy { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _db = new BenchmarkDatabase("scaling");
        _store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = _db.Path });
        _store.EnqueueManyAsync(Requests(Queued), batchSize: TaskLimits.MaxEnqueueBatchSize).GetAwaiter().GetResult();
        _claim = new ClaimRequest("bench") { Strategy = Strategy, MaxCount = 1 };
    }

    [IterationSetup]
    public void ReleaseClaimed()
    {
        foreach (TaskRecord task in _claimed) _store!.ReleaseAsync(task.Id, task.LeaseToken!.Value).GetAwaiter().GetResult();
        _claimed.Clear();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store?.Dispose();
        _db?.Dispose();
    }

    [Benchmark(Description = "claim 1")]
    public void Claim() => _claimed.Add(_store!.ClaimAsync(_claim!).GetAwaiter().GetResult()[0]);

    private static IEnumerable<EnqueueRequest> Requests(int count)
    {
        // Ten priority levels, so Priority and WeightedRandom have real choices to make.
        for (int i = 0; i < count; i++) yield return new EnqueueRequest("bench", "{}") { Priority = i % 10 };
    }
}
