using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using BenchmarkDotNet.Attributes;
using PrismQ.Tracing;

namespace PrismQ.Benchmarks;

/// <summary>
/// The hot path: one index event (and one detail event) against the baseline of reading the timestamp and storing
/// 32 bytes into an array. Each invocation emits 1,024 events, then plays the consumer by releasing the ring (one
/// Volatile.Write per 1,024 events), so no event is dropped and the cost measured is the producer's alone.
/// </summary>
[MemoryDiagnoser]
public class TracingEmitBenchmarks
{
    private const int Batch = 1024;
    private static readonly string Message100 = new('m', 100);
    private readonly Baseline32[] _baseline = new Baseline32[16 * 1024];
    private DrainSignal _signal = null!;
    private LaneTracer _tracer = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _signal = new DrainSignal();
        _tracer = new LaneTracer(new TraceOptions { DetailRingCapacity = 1 << 18 }, _signal); // 1,024 × 100 chars per invocation fit
        _tracer.Emit(TraceEventKind.User, 1, 1, 1, 0); // registers this thread's lane set
        ReleaseAll();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        long dropped = 0;
        foreach (LaneSet lane in _tracer.Registry.Snapshot) dropped += lane.Index.Dropped + lane.Detail.Dropped;
        if (dropped != 0) throw new InvalidOperationException($"{dropped} events were dropped: the measurement is invalid.");
        _signal.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public void Baseline_timestamp_and_32_byte_store()
    {
        Baseline32[] slots = _baseline;
        int next = _next;
        for (int i = 0; i < Batch; i++)
        {
            ref Baseline32 slot = ref slots[next++ & (slots.Length - 1)];
            slot.Timestamp = Stopwatch.GetTimestamp();
            slot.TaskId = i;
            slot.Value = i;
            slot.Kind = 5;
        }

        _next = next;
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void Index_event()
    {
        LaneTracer tracer = _tracer;
        for (int i = 0; i < Batch; i++) tracer.Emit(TraceEventKind.Progress, i, 1, 1, i);
        ReleaseAll();
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public void Detail_event_100_chars()
    {
        LaneTracer tracer = _tracer;
        for (int i = 0; i < Batch; i++) tracer.EmitDetail(TraceEventKind.User, i, 1, 1, i, Message100);
        ReleaseAll();
    }

    private void ReleaseAll()
    {
        foreach (LaneSet lane in _tracer.Registry.Snapshot)
        {
            long available = lane.Index.Available(out long head);
            if (available == 0) continue;
            IndexRecord last = lane.Index.Read(head + available - 1); // the last linked message ends furthest on
            lane.Index.Release(head + available);
            if (last.DetailLength >= 0) lane.Detail.Release(last.DetailPosition + last.DetailLength);
        }
    }

    private struct Baseline32
    {
        public long Timestamp;
        public long TaskId;
        public long Value;
        public long Kind;
    }
}

/// <summary>
/// Drain throughput to the SQLite trace store: 2 producer threads emit <see cref="EventsPerProducer"/> events each as
/// fast as they can into rings large enough to hold them all; the operation ends when dispose has persisted every one.
/// Events/s = 2 × EventsPerProducer / mean time.
/// </summary>
[MemoryDiagnoser]
public class TracingDrainBenchmarks
{
    private BenchmarkDatabase? _db;

    [Params(200_000)]
    public int EventsPerProducer { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _db = new BenchmarkDatabase("trace");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _db?.Dispose();
    }

    [Benchmark]
    public long Drain_to_sqlite_2_producers()
    {
        string queueDb = Path.Combine(_db!.Folder, Guid.NewGuid().ToString("N") + ".db");
        var session = TraceSession.Start(queueDb, new TraceOptions { IndexRingCapacity = 1 << 18 });
        int perProducer = EventsPerProducer;
        var threads = new Thread[2];
        for (int t = 0; t < threads.Length; t++)
        {
            int producer = t + 1;
            threads[t] = new Thread(() =>
            {
                ITraceEmitter emitter = session.Emitter;
                for (int i = 0; i < perProducer; i++) emitter.Emit(TraceEventKind.Progress, producer, 1, 1, i);
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads) thread.Join();
        session.Dispose();
        TraceStats stats = session.GetStats();
        if (stats.EventsDropped != 0 || stats.EventsPersisted != 2L * perProducer)
            throw new InvalidOperationException($"persisted {stats.EventsPersisted}, dropped {stats.EventsDropped}");
        return stats.EventsPersisted;
    }
}

/// <summary>
/// The largest offered rate with no drops at the default sizes (16,384-record rings, 100 ms drain interval, SQLite
/// store): 2 producers each emit at <see cref="RatePerProducer"/> events/s for one second, in bursts every ~1 ms
/// (sleeping between bursts).
/// The drop count of each run is printed as "TRACE-DROPS rate=... dropped=..." in the benchmark log.
/// </summary>
public class TracingOfferedRateBenchmarks
{
    private BenchmarkDatabase? _db;

    [Params(50_000, 100_000, 150_000, 200_000, 500_000, 1_000_000)]
    public int RatePerProducer { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _db = new BenchmarkDatabase("rate");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _db?.Dispose();
    }

    [Benchmark]
    public long Offered_rate_one_second_2_producers()
    {
        string queueDb = Path.Combine(_db!.Folder, Guid.NewGuid().ToString("N") + ".db");
        var session = TraceSession.Start(queueDb, new TraceOptions());
        int rate = RatePerProducer;
        var threads = new Thread[2];
        for (int t = 0; t < threads.Length; t++)
        {
            int producer = t + 1;
            threads[t] = new Thread(() =>
            {
                ITraceEmitter emitter = session.Emitter;
                long start = Stopwatch.GetTimestamp();
                long emitted = 0;
                while (true)
                {
                    long elapsed = Stopwatch.GetTimestamp() - start;
                    if (elapsed >= Stopwatch.Frequency) break;
                    long due = (long)((double)elapsed / Stopwatch.Frequency * rate);
                    while (emitted < due) emitter.Emit(TraceEventKind.Progress, producer, 1, 1, emitted++);
                    Thread.Sleep(1); // yields the core: on 2 cores a spinning pacer would starve the drain
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads) thread.Join();
        session.Dispose();
        TraceStats stats = session.GetStats();
        Console.WriteLine($"TRACE-DROPS rate={rate} dropped={stats.EventsDropped} persisted={stats.EventsPersisted}");
        return stats.EventsDropped;
    }
}
