using BenchmarkDotNet.Attributes;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks.Storage;

/// <summary>Enqueue one task per transaction, against a raw prepared INSERT per transaction (target: at least 0.8x the raw rate).</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class EnqueueOneBenchmarks
{
    private const string Payload = "{\"n\":1}";
    private BenchmarkDatabase? _rawDb;
    private BenchmarkDatabase? _storeDb;
    private RawSqlite? _raw;
    private SqliteTaskStore? _store;
    private EnqueueRequest? _request;

    [Params(Durability.Normal, Durability.Full)]
    public Durability Durability { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _rawDb = new BenchmarkDatabase("raw");
        _rawDb.CreateSchema(Durability);
        _raw = new RawSqlite(_rawDb.Path, Durability);
        _storeDb = new BenchmarkDatabase("store");
        _store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = _storeDb.Path, Durability = Durability });
        _request = new EnqueueRequest("bench", Payload);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _raw?.Dispose();
        _store?.Dispose();
        _rawDb?.Dispose();
        _storeDb?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw prepared INSERT, one per transaction")]
    public void RawInsertOne() => _raw!.InsertOne(Payload);

    [Benchmark(Description = "PrismQ EnqueueAsync, one per transaction")]
    public long PrismQEnqueueOne() => _store!.EnqueueAsync(_request!).GetAwaiter().GetResult().Task.Id;
}
