using System;
using System.Collections.Generic;
using System.Threading;
using PrismQ.Tracing;
using Xunit;

namespace PrismQ.Tests;

public sealed class TracingRegistryTests
{
    [Fact]
    public void Lanes_of_ended_threads_are_drained_then_reused()
    {
        var sink = new VerifyingTraceSink();
        var session = TraceSession.StartWithSink(new TraceOptions(), sink);

        // Each thread takes its lane set with its first event, then waits until all six hold one: a thread that ended
        // before another began could otherwise hand its drained lane set on, and the first wave would need fewer than six.
        using (var allHoldALane = new Barrier(6))
        {
            TraceThreads.Run(6, p =>
            {
                session.Emitter.Emit(TraceEventKind.Progress, p + 1, 1, 0, 0);
                allHoldALane.SignalAndWait(TimeSpan.FromMinutes(1));
                for (int i = 1; i < 500; i++) session.Emitter.Emit(TraceEventKind.Progress, p + 1, 1, 0, i);
            });
        }
        Assert.True(session.Flush(TimeSpan.FromMinutes(1))); // the pass that completes it sees the ended owners
        TraceStats afterFirstWave = session.GetStats();
        Assert.Equal(6, afterFirstWave.LaneSets);
        Assert.Equal(0, afterFirstWave.LaneSetsOwned);
        Assert.Equal(6, afterFirstWave.LanesRetired);

        TraceThreads.Run(6, p =>
        {
            for (int i = 0; i < 500; i++) session.Emitter.Emit(TraceEventKind.Progress, p + 101, 1, 0, i);
        });
        session.Dispose();

        Assert.Equal(6, session.GetStats().LaneSets); // the second wave reused the first wave's lane sets
        Assert.Empty(sink.Violations);
        Assert.Equal(12 * 500, sink.Events);
        for (int p = 0; p < 6; p++)
        {
            Assert.Equal(500, sink.CountForTask(p + 1));
            Assert.Equal(500, sink.CountForTask(p + 101));
        }
    }

    /// <summary>
    /// Threads start and end in a shuffled order (seeded), with flushes in between, while others keep emitting:
    /// the drain sees every lane — including lanes above a freed one — and every event arrives once and in order.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Drain_sees_every_live_lane_whatever_order_threads_come_and_go(int seed)
    {
        var random = new Random(seed);
        var sink = new VerifyingTraceSink();
        var session = TraceSession.StartWithSink(new TraceOptions { IndexRingCapacity = 4096, DrainInterval = TimeSpan.FromMilliseconds(5) }, sink);
        var live = new List<Producer>();
        var all = new List<Producer>();
        int maxLive = 0;
        for (int round = 0; round < 60; round++)
        {
            int action = random.Next(4);
            if (action <= 1 || live.Count == 0)
            {
                var producer = new Producer(all.Count + 1, session.Emitter);
                live.Add(producer);
                all.Add(producer);
                maxLive = Math.Max(maxLive, live.Count);
            }
            else if (action == 2)
            {
                Producer ending = live[random.Next(live.Count)];
                live.Remove(ending);
                ending.Stop();
            }
            else
            {
                Assert.True(session.Flush(TimeSpan.FromMinutes(1)));
            }

            foreach (Producer producer in live) producer.EmitBurst(random.Next(1, 200));
        }

        foreach (Producer producer in live) producer.Stop();
        session.Dispose();

        Assert.Empty(sink.Violations);
        foreach (Producer producer in all) Assert.Equal(producer.Emitted, sink.CountForTask(producer.Id));
        Assert.Equal(0, session.GetStats().EventsDropped);
        Assert.True(session.GetStats().LaneSets <= all.Count);
    }

    [Fact]
    public void A_thread_gets_one_lane_set_per_session()
    {
        var first = new VerifyingTraceSink();
        var second = new VerifyingTraceSink();
        var a = TraceSession.StartWithSink(new TraceOptions(), first);
        var b = TraceSession.StartWithSink(new TraceOptions(), second);
        for (int i = 0; i < 100; i++)
        {
            a.Emitter.Emit(TraceEventKind.User, 1, 0, 0, i);
            b.Emitter.Emit(TraceEventKind.User, 2, 0, 0, i);
        }

        a.Dispose();
        b.Dispose();
        Assert.Equal(100, first.CountForTask(1));
        Assert.Equal(0, first.CountForTask(2));
        Assert.Equal(100, second.CountForTask(2));
        Assert.Equal(1, a.GetStats().LaneSets);
        Assert.Equal(1, b.GetStats().LaneSets);
    }

    [Fact]
    public void Events_after_dispose_are_ignored_and_tracing_off_costs_nothing()
    {
        var sink = new VerifyingTraceSink();
        var session = TraceSession.StartWithSink(new TraceOptions(), sink);
        session.Emitter.Emit(TraceEventKind.User, 1, 0, 0, 1);
        session.Dispose();
        session.Emitter.Emit(TraceEventKind.User, 1, 0, 0, 2);
        Assert.Equal(1, sink.Events);

        using var folder = new TraceTempFolder();
        using TraceSession off = TraceSession.Start(folder.QueueDb, new TraceOptions { Enabled = false });
        Assert.False(off.IsEnabled);
        Assert.Same(NullTraceEmitter.Instance, off.Emitter);
        off.EmitUser("ignored");
        Assert.True(off.Flush(TimeSpan.Zero));
        Assert.False(System.IO.File.Exists(TraceStore.PathForQueue(folder.QueueDb)));
    }

    /// <summary>A producer thread that emits bursts on request and ends on <see cref="Stop"/>.</summary>
    private sealed class Producer
    {
        private readonly ITraceEmitter _emitter;
        private readonly Thread _thread;
        private readonly SemaphoreSlim _go = new(0);
        private readonly SemaphoreSlim _done = new(0);
        private int _burst;
        private bool _stop;

        public Producer(int id, ITraceEmitter emitter)
        {
            Id = id;
            _emitter = emitter;
            _thread = new Thread(Run) { IsBackground = true };
            _thread.Start();
        }

        public int Id { get; }

        public long Emitted { get; private set; }

        public void EmitBurst(int count)
        {
            _burst = count;
            _go.Release();
            _done.Wait();
        }

        public void Stop()
        {
            _stop = true;
            _go.Release();
            _thread.Join();
        }

        private void Run()
        {
            while (true)
            {
                _go.Wait();
                if (_stop) return;
                for (int i = 0; i < _burst; i++) _emitter.Emit(TraceEventKind.Progress, Id, 1, 0, Emitted++);
                _done.Release();
            }
        }
    }
}
