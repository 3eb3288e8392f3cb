using System;
using PrismQ.Tracing;
using Xunit;

namespace PrismQ.Tests;

public sealed class TracingStressTests
{
    /// <summary>
    /// 4 producer threads × 5,000,000 events (PRISMQ_TRACE_STRESS_EVENTS overrides the size; the default is the full
    /// size) through tiny rings, so most events drop: every persisted event appears exactly once and in per-thread
    /// order, every hole is covered by exactly one gap record, and dropped + persisted = emitted.
    /// </summary>
    [Fact]
    public void Tiny_rings_drop_and_count_but_never_duplicate_or_reorder()
    {
        const int producers = 4;
        int perThread = int.TryParse(Environment.GetEnvironmentVariable("PRISMQ_TRACE_STRESS_EVENTS"), out int n) && n > 0 ? n : 5_000_000;
        var sink = new VerifyingTraceSink();
        var options = new TraceOptions { IndexRingCapacity = 64, DetailRingCapacity = 256, DrainInterval = TimeSpan.FromMilliseconds(1), DrainQuantum = 32, BatchSize = 4096 };
        var session = TraceSession.StartWithSink(options, sink);
        ITraceEmitter emitter = session.Emitter;

        TraceThreads.Run(producers, p =>
        {
            long producer = p + 1;
            for (int i = 0; i < perThread; i++) emitter.Emit(TraceEventKind.User, producer, 1, 0, i);
        });
        session.Dispose();

        TraceStats stats = session.GetStats();
        Assert.Empty(sink.Violations);
        Assert.True(sink.Completed);
        long emitted = (long)producers * perThread;
        Assert.Equal(emitted, sink.Events + sink.GapEvents);           // persisted + dropped (recorded as gaps) = emitted
        Assert.Equal(stats.EventsDropped, sink.GapEvents);             // every producer-side drop is in a gap record
        Assert.True(stats.EventsDropped > 0, "tiny rings should have dropped events");
        Assert.True(sink.Events > 0);
        long perProducerTotal = 0;
        for (int p = 1; p <= producers; p++) perProducerTotal += sink.CountForTask(p);
        Assert.Equal(sink.Events, perProducerTotal);
        Assert.Equal(producers, stats.LaneSets);
    }

    [Fact]
    public void Rings_large_enough_for_the_burst_drop_nothing()
    {
        const int producers = 3;
        const int perThread = 20_000;
        var sink = new VerifyingTraceSink();
        var session = TraceSession.StartWithSink(new TraceOptions { IndexRingCapacity = 32 * 1024 }, sink);
        TraceThreads.Run(producers, p =>
        {
            for (int i = 0; i < perThread; i++) session.Emitter.Emit(TraceEventKind.Progress, p + 1, 1, 0, i);
        });
        session.Dispose();

        Assert.Empty(sink.Violations);
        Assert.Equal(producers * perThread, sink.Events);
        Assert.Equal(0, sink.GapEvents);
        Assert.Equal(0, session.GetStats().EventsDropped);
    }

    [Fact]
    public void Store_errors_are_counted_retried_and_lose_nothing()
    {
        var sink = new VerifyingTraceSink(failFirstWrites: 3);
        var session = TraceSession.StartWithSink(new TraceOptions { DrainInterval = TimeSpan.FromMilliseconds(1) }, sink);
        for (int i = 0; i < 1000; i++) session.Emitter.Emit(TraceEventKind.Enqueue, 7, 0, 0, i);

        Assert.True(session.Flush(TimeSpan.FromMinutes(1)));
        TraceStats stats = session.GetStats();
        Assert.Equal(3, stats.StoreErrors);
        Assert.Contains("injected store failure", stats.LastStoreError);
        Assert.Equal(1000, sink.Events);
        Assert.NotEqual(TraceDrainState.Stopped, stats.DrainState);

        session.Emitter.Emit(TraceEventKind.Enqueue, 7, 0, 0, 1000); // the drain is still alive after the errors
        session.Dispose();
        Assert.Equal(1001, sink.Events);
        Assert.Empty(sink.Violations);
        Assert.Equal(TraceDrainState.Stopped, session.GetStats().DrainState);
    }
}
