using System.Collections.Generic;
using BenchmarkDotNet.Attributes;

namespace PrismQ.Benchmarks.Storage;

/// <summary>
/// The cost of a claim at 1,000 and at 1,000,000 queued tasks, for each strategy (target: at most 1.5x at 1M).
/// One operation is a claim of one task followed by its release, so the backlog stays the same size.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class ClaimScalingBenchmarks
{
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

    [GlobalCleanup]
    public void Cleanup()
    {
        _store?.Dispose();
        _db?.Dispose();
    }

    [Benchmark(Description = "claim 1 + release")]
    public LeaseOutcome ClaimAndRelease()
    {
        TaskRecord task = _store!.ClaimAsync(_claim!).GetAwaiter().GetResult()[0];
        return _store.ReleaseAsync(task.Id, task.LeaseToken!.Value).GetAwaiter().GetResult();
    }

    private static IEnumerable<EnqueueRequest> Requests(int count)
    {
        // Ten priority levels, so Priority and WeightedRandom have real choices to make.
        for (int i = 0; i < count; i++) yield return new EnqueueRequest("bench", "{}") { Priority = i % 10 };
    }
}
