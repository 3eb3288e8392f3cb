using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks.Storage;

/// <summary>
/// 100,000 tasks in one call, against 100,000 raw prepared INSERTs in one transaction (target: at least 0.5x the raw rate).
/// Each iteration starts from an empty database.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class EnqueueManyBenchmarks
{
    private const int Count = 100_000;
    private const string Payload = "{\"n\":1}";
    private BenchmarkDatabase? _db;
    private RawSqlite? _raw;
    private SqliteTaskStore? _store;

    [Params(Durability.Normal, Durability.Full)]
    public Durability Durability { get; set; }

    [IterationSetup(Target = nameof(RawInsert100k))]
    public void SetupRaw()
    {
        _db = new BenchmarkDatabase("raw");
        _db.CreateSchema(Durability);
        _raw = new RawSqlite(_db.Path, Durability);
    }

    [IterationSetup(Targets = new[] { nameof(PrismQEnqueueMany100k), nameof(PrismQEnqueueMany100kBatch10k) })]
    public void SetupStore()
    {
        _db = new BenchmarkDatabase("store");
        _store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = _db.Path, Durability = Durability });
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

    [Benchmark(Baseline = true, OperationsPerInvoke = Count, Description = "raw: 100k prepared INSERTs, one transaction")]
    public void RawInsert100k() => _raw!.InsertMany(Count, Payload);

    [Benchmark(OperationsPerInvoke = Count, Description = "PrismQ EnqueueManyAsync 100k, default batches of 1,000")]
    public int PrismQEnqueueMany100k() => _store!.EnqueueManyAsync(Requests()).GetAwaiter().GetResult().Count;

    [Benchmark(OperationsPerInvoke = Count, Description = "PrismQ EnqueueManyAsync 100k, batches of 10,000")]
    public int PrismQEnqueueMany100kBatch10k() => _store!.EnqueueManyAsync(Requests(), batchSize: 10_000).GetAwaiter().GetResult().Count;

    private static IEnumerable<EnqueueRequest> Requests()
    {
        for (int i = 0; i < Count; i++) yield return new EnqueueRequest("bench", Payload);
    }
}
