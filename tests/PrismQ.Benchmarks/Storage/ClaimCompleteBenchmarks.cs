using System;
using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks.Storage;

/// <summary>
/// Claim + complete, one task at a time and in batches of 32, against the raw two-commit cycle (claim with
/// UPDATE ... RETURNING under BEGIN IMMEDIATE, commit; complete, commit). Targets: one at a time at least 0.8x the
/// raw cycle; claims of 32 with batched completions at least 3x it. Each iteration refills the backlog its calls consume (not measured).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Throughput, launchCount: 1, warmupCount: 2, iterationCount: 8, invocationCount: Backlog)]
public class ClaimCompleteBenchmarks
{
    private const int Backlog = 2048;
    private const int Batch = 32;
    private BenchmarkDatabase? _db;
    private RawSqlite? _raw;
    private SqliteTaskStore? _store;
    private ClaimRequest? _claimOne;
    private ClaimRequest? _claimBatch;
    private readonly List<TaskCompletion> _completions = new(Batch);

    [Params(Durability.Normal, Durability.Full)]
    public Durability Durability { get; set; }

    [GlobalSetup(Target = nameof(RawClaimComplete))]
    public void SetupRaw()
    {
        _db = new BenchmarkDatabase("raw");
        _db.CreateSchema(Durability);
        _raw = new RawSqlite(_db.Path, Durability);
    }

    [GlobalSetup(Targets = new[] { nameof(PrismQClaimComplete), nameof(PrismQClaim32CompleteMany) })]
    public void SetupStore()
    {
        _db = new BenchmarkDatabase("store");
        _store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = _db.Path, Durability = Durability });
        _claimOne = new ClaimRequest("bench") { MaxCount = 1 };
        _claimBatch = new ClaimRequest("bench") { MaxCount = Batch };
    }

    [IterationSetup(Target = nameof(RawClaimComplete))]
    public void RefillRaw() => _raw!.InsertMany(Backlog, "{}");

    [IterationSetup(Target = nameof(PrismQClaimComplete))]
    public void RefillOne() => _store!.EnqueueManyAsync(Requests(Backlog), batchSize: TaskLimits.MaxEnqueueBatchSize).GetAwaiter().GetResult();

    // Every call of the batched method consumes 32 tasks.
    [IterationSetup(Target = nameof(PrismQClaim32CompleteMany))]
    public void RefillBatch() => _store!.EnqueueManyAsync(Requests(Backlog * Batch), batchSize: TaskLimits.MaxEnqueueBatchSize).GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _raw?.Dispose();
        _store?.Dispose();
        _db?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw claim + complete, two commits")]
    public bool RawClaimComplete() => _raw!.ClaimAndComplete();

    [Benchmark(Description = "PrismQ ClaimAsync(1) + CompleteAsync")]
    public LeaseOutcome PrismQClaimComplete()
    {
        IReadOnlyList<TaskRecord> claimed = _store!.ClaimAsync(_claimOne!).GetAwaiter().GetResult();
        TaskRecord task = claimed[0];
        return _store.CompleteAsync(task.Id, task.LeaseToken!.Value).GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "PrismQ ClaimAsync(32) + CompleteManyAsync(32), per task")]
    public int PrismQClaim32CompleteMany()
    {
        IReadOnlyList<TaskRecord> claimed = _store!.ClaimAsync(_claimBatch!).GetAwaiter().GetResult();
        if (claimed.Count == 0) throw new InvalidOperationException("backlog exhausted");
        _completions.Clear();
        foreach (TaskRecord task in claimed) _completions.Add(new TaskCompletion(task.Id, task.LeaseToken!.Value));
        return _store.CompleteManyAsync(_completions).GetAwaiter().GetResult().Count;
    }

    private static IEnumerable<EnqueueRequest> Requests(int count)
    {
        for (int i = 0; i < count; i++) yield return new EnqueueRequest("bench", "{}");
    }
}
