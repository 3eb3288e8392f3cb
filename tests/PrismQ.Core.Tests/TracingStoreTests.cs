using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PrismQ.Tracing;
using Xunit;

namespace PrismQ.Tests;

public sealed class TracingStoreTests
{
    [Fact]
    public void The_sink_writes_multi_row_chunks_and_the_rest_once_each_and_a_retried_batch_is_not_doubled()
    {
        using var folder = new TraceTempFolder();
        string path = TraceStore.PathForQueue(folder.QueueDb);
        int count = 2 * SqliteTraceSink.RowsPerStatement + 5; // two full multi-row steps, then five single rows
        var batch = new TraceBatch();
        for (int i = 0; i < count; i++)
        {
            batch.Events.Add(new TraceRow
            {
                UtcTicks = 630_000_000_000_000_000 + i, Sequence = i, TaskId = 9, Value = i * 3, Lane = 1, Attempt = 2,
                Kind = (ushort)TraceEventKind.Progress, WorkerSlot = 0, DetailDropped = i == 7,
            });
        }

        batch.Details.Add(new TraceDetailRow(1, 3, 630_000_000_000_000_003, 9, 2, "détail ✓ of event 3"));
        batch.Details.Add(new TraceDetailRow(1, 4, 630_000_000_000_000_004, 9, 2, string.Empty)); // a user event may say nothing
        using (var sink = new SqliteTraceSink(path, new TraceOptions()))
        {
            sink.Open();
            sink.Write(batch);
            sink.Write(batch); // the drain retries a batch whose commit it did not see: OR IGNORE keeps one copy
        }

        IReadOnlyList<TraceEvent> events = TraceStore.ForQueue(folder.QueueDb).Query(new TraceQuery { TaskId = 9, IncludeDetail = true, Limit = 1000 });
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i * 3), events.Select(e => e.Value));
        Assert.All(events, e => Assert.Equal(2, e.Attempt));
        Assert.Equal(new[] { 7L }, events.Where(e => e.DetailDropped).Select(e => e.Value / 3));
        Assert.Equal(new[] { "détail ✓ of event 3", "" }, events.Where(e => e.Detail is not null).Select(e => e.Detail));
    }

    [Fact]
    public void Dispose_drains_everything_emitted_before_it_into_the_store()
    {
        using var folder = new TraceTempFolder();
        // A long drain interval: only the final drain at dispose can have written these events.
        var session = TraceSession.Start(folder.QueueDb, new TraceOptions { DrainInterval = TimeSpan.FromSeconds(10), IndexRingCapacity = 32 * 1024 });
        TraceThreads.Run(3, p =>
        {
            for (int i = 0; i < 10_000; i++) session.Emitter.Emit(TraceEventKind.Progress, p + 1, 1, 0, i);
        });
        session.Dispose();

        var store = TraceStore.ForQueue(folder.QueueDb);
        for (int p = 1; p <= 3; p++)
        {
            IReadOnlyList<TraceEvent> events = store.Query(new TraceQuery { TaskId = p, Limit = 20_000 });
            Assert.Equal(Enumerable.Range(0, 10_000).Select(i => (long)i), events.Select(e => e.Value)); // once each, in order
        }

        TraceStats stats = session.GetStats();
        Assert.Equal(30_000, stats.EventsPersisted);
        Assert.Equal(0, stats.EventsDropped);
        Assert.Equal(TraceDrainState.Stopped, stats.DrainState);
    }

    [Fact]
    public void Two_sessions_writing_one_trace_database_merge_in_timestamp_order()
    {
        using var folder = new TraceTempFolder();
        var a = TraceSession.Start(folder.QueueDb, new TraceOptions { DrainInterval = TimeSpan.FromMilliseconds(5) });
        var b = TraceSession.Start(folder.QueueDb, new TraceOptions { DrainInterval = TimeSpan.FromMilliseconds(5) });
        short slotA = a.Emitter.RegisterWorker("A");
        short slotB = b.Emitter.RegisterWorker("B");
        long spacing = Stopwatch.Frequency / 1000; // 1 ms between events: far above the clocks' resolution
        for (int i = 0; i < 40; i++)
        {
            long last = Stopwatch.GetTimestamp();
            (i % 2 == 0 ? a : b).Emitter.Emit(TraceEventKind.Progress, 1, 1, i % 2 == 0 ? slotA : slotB, i);
            while (Stopwatch.GetTimestamp() - last < spacing)
            {
            }
        }

        a.Dispose();
        b.Dispose();

        IReadOnlyList<TraceEvent> merged = TraceStore.ForQueue(folder.QueueDb).Query(new TraceQuery { TaskId = 1 });
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), merged.Select(e => e.Value));
        Assert.Equal(2, merged.Select(e => e.SourceId).Distinct().Count());
        Assert.All(merged, e => Assert.Equal(e.Value % 2 == 0 ? "A" : "B", e.WorkerId));
        Assert.All(merged, e => Assert.Equal(Environment.ProcessId, e.ProcessId));
        Assert.True(merged.Zip(merged.Skip(1), (x, y) => x.Timestamp <= y.Timestamp).All(ok => ok));
    }

    [Fact]
    public void Queries_filter_by_task_worker_kind_and_time_and_page()
    {
        using var folder = new TraceTempFolder();
        var session = TraceSession.Start(folder.QueueDb, new TraceOptions { PostRoll = TimeSpan.Zero });
        ITraceEmitter t = session.Emitter;
        short w1 = t.RegisterWorker("w1");
        short w2 = t.RegisterWorker("w2");
        DateTimeOffset before = DateTimeOffset.UtcNow;
        for (int task = 1; task <= 10; task++)
        {
            short slot = task % 2 == 0 ? w2 : w1;
            t.OpenWindow(task, 1, slot);
            t.Emit(TraceEventKind.Start, task, 1, slot, 0);
            t.EmitDetail(TraceEventKind.SqlStatement, task, 1, slot, 50, "complete " + task);
            if (task == 3) t.EmitDetail(TraceEventKind.Fail, task, 1, slot, 10, "boom");
            else t.Emit(TraceEventKind.Complete, task, 1, slot, 10);
            t.CloseWindow(task, 1);
        }

        session.EmitUser("hello", 3, 1, 42);
        Assert.True(session.Flush(TimeSpan.FromMinutes(1)));
        var store = new TraceStore(session.TraceDatabasePath!);

        IReadOnlyList<TraceEvent> task3 = store.Query(new TraceQuery { TaskId = 3, IncludeDetail = true });
        // Window open and close records are consumed by the drain, not stored.
        Assert.Equal(new[] { TraceEventKind.Start, TraceEventKind.SqlStatement, TraceEventKind.Fail, TraceEventKind.User },
            task3.Select(e => e.Kind));
        Assert.Equal("complete 3", task3[1].Detail);
        Assert.Equal("boom", task3[2].Detail);
        Assert.Null(store.Query(new TraceQuery { TaskId = 4, IncludeDetail = true }).Single(e => e.Kind == TraceEventKind.SqlStatement).Detail);
        Assert.Null(store.Query(new TraceQuery { TaskId = 3 })[2].Detail); // without detail

        Assert.Equal(5, store.Query(new TraceQuery { WorkerId = "w2", Kinds = new[] { TraceEventKind.Start } }).Count);
        Assert.All(store.Query(new TraceQuery { WorkerId = "w1" }), e => Assert.Equal("w1", e.WorkerId));
        Assert.Equal(new long[] { 3 }, store.Query(new TraceQuery { Kinds = new[] { TraceEventKind.Fail } }).Select(e => e.TaskId));
        IReadOnlyList<TraceEvent> all = store.Query();
        Assert.Equal(31, all.Count); // 10 tasks x (start, statement, outcome) + the user event
        DateTimeOffset middle = all[10].Timestamp;
        Assert.Equal(all.Count(e => e.Timestamp >= middle), store.Query(new TraceQuery { From = middle }).Count);
        Assert.Equal(all.Count(e => e.Timestamp < middle), store.Query(new TraceQuery { To = middle }).Count);
        Assert.Equal(all.Count(e => e.Timestamp >= middle && e.Timestamp < all[25].Timestamp), store.Query(new TraceQuery { From = middle, To = all[25].Timestamp }).Count);
        Assert.Empty(store.Query(new TraceQuery { To = before.AddMinutes(-1) }));

        IReadOnlyList<TraceEvent> page2 = store.Query(new TraceQuery { Offset = 10, Limit = 10 });
        Assert.Equal(all.Skip(10).Take(10).Select(e => e.Sequence), page2.Select(e => e.Sequence));
        session.Dispose();
    }

    [Fact]
    public void Export_is_chrome_trace_json_with_a_track_per_worker_slices_instants_and_a_counter()
    {
        using var folder = new TraceTempFolder();
        var session = TraceSession.Start(folder.QueueDb);
        ITraceEmitter t = session.Emitter;
        short slot = t.RegisterWorker("worker-A");
        t.Emit(TraceEventKind.QueueDepth, 0, 0, slot, 12);
        t.Emit(TraceEventKind.Claim, 0, 0, slot, 2);
        t.OpenWindow(1, 1, slot);
        t.Emit(TraceEventKind.Start, 1, 1, slot, 0);
        t.Emit(TraceEventKind.Complete, 1, 1, slot, 100);
        t.CloseWindow(1, 1);
        t.OpenWindow(2, 1, slot);
        t.Emit(TraceEventKind.Start, 2, 1, slot, 0);
        t.Emit(TraceEventKind.LeaseLost, 2, 1, slot, 0);
        t.Emit(TraceEventKind.Fail, 2, 1, slot, 100);
        t.CloseWindow(2, 1);
        session.Dispose();

        using var stream = new MemoryStream();
        TraceStore.ForQueue(folder.QueueDb).ExportChromeTrace(stream);
        using JsonDocument json = JsonDocument.Parse(stream.ToArray());
        JsonElement[] events = json.RootElement.GetProperty("traceEvents").EnumerateArray().ToArray();

        JsonElement process = events.Single(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "process_name");
        Assert.Equal($"{Environment.MachineName}/{Environment.ProcessId}", process.GetProperty("args").GetProperty("name").GetString());
        JsonElement track = events.Single(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "thread_name"
                                               && e.GetProperty("args").GetProperty("name").GetString() == "worker-A");
        int tid = track.GetProperty("tid").GetInt32();
        Assert.Equal(slot, tid);

        JsonElement[] slices = events.Where(e => e.GetProperty("ph").GetString() == "X").ToArray();
        Assert.Equal(new[] { "task 1", "task 2" }, slices.Select(e => e.GetProperty("name").GetString()));
        // Task 2 started after task 1 ended: both on the worker's first attempt lane.
        JsonElement lane = events.Single(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "thread_name"
                                              && e.GetProperty("args").GetProperty("name").GetString() == "worker-A #1");
        Assert.All(slices, s => Assert.Equal(lane.GetProperty("tid").GetInt32(), s.GetProperty("tid").GetInt32()));
        Assert.All(slices, s => Assert.True(s.GetProperty("dur").GetDouble() >= 0));
        Assert.Equal("Complete", slices[0].GetProperty("args").GetProperty("outcome").GetString());
        Assert.Equal("LeaseLost", slices[1].GetProperty("args").GetProperty("outcome").GetString());

        string[] instants = events.Where(e => e.GetProperty("ph").GetString() == "i").Select(e => e.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(new[] { "Claim", "LeaseLost", "Fail" }, instants);
        JsonElement counter = events.Single(e => e.GetProperty("ph").GetString() == "C");
        Assert.Equal(12, counter.GetProperty("args").GetProperty("ready").GetInt64());
        Assert.All(events.Where(e => e.GetProperty("ph").GetString() != "M"), e => Assert.True(e.GetProperty("ts").GetDouble() > 1.5e15));
    }

    [Fact]
    public void Retention_by_age_prunes_old_events()
    {
        using var folder = new TraceTempFolder();
        var clock = new ManualTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var old = TraceSession.Start(folder.QueueDb, new TraceOptions { TimeProvider = clock });
        for (int i = 0; i < 100; i++) old.Emitter.Emit(TraceEventKind.Enqueue, 1, 0, 0, i);
        old.Dispose();

        clock.Now = clock.Now.AddDays(8);
        var current = TraceSession.Start(folder.QueueDb, new TraceOptions { TimeProvider = clock, RetentionAge = TimeSpan.FromDays(7) });
        current.Emitter.Emit(TraceEventKind.Enqueue, 2, 0, 0, 0);
        Assert.True(current.Flush(TimeSpan.FromMinutes(1))); // the first pass prunes before it completes a flush
        Assert.Equal(100, current.GetStats().EventsPruned);
        Assert.Equal(new long[] { 2 }, TraceStore.ForQueue(folder.QueueDb).Query().Select(e => e.TaskId));
        current.Dispose();
    }

    [Fact]
    public void Retention_by_size_prunes_the_oldest_events()
    {
        using var folder = new TraceTempFolder();
        var big = TraceSession.Start(folder.QueueDb, new TraceOptions { IndexRingCapacity = 64 * 1024 });
        for (int i = 0; i < 40_000; i++) big.Emitter.Emit(TraceEventKind.Enqueue, 1, 0, 0, i);
        big.Dispose();
        string path = TraceStore.PathForQueue(folder.QueueDb);
        Assert.True(UsedBytes(path) > 1024 * 1024, "the test needs a database above the limit");

        var limited = TraceSession.Start(folder.QueueDb, new TraceOptions { RetentionMaxBytes = 1024 * 1024 });
        Assert.True(limited.Flush(TimeSpan.FromMinutes(1)));
        limited.Dispose();

        Assert.True(UsedBytes(path) <= 1024 * 1024);
        long[] kept = TraceStore.ForQueue(folder.QueueDb).Query(new TraceQuery { Limit = 100_000 }).Select(e => e.Value).ToArray();
        Assert.NotEmpty(kept);
        Assert.True(kept.Length < 40_000);
        Assert.Equal(Enumerable.Range(40_000 - kept.Length, kept.Length).Select(i => (long)i), kept); // the newest survive
    }

    [Fact]
    public void Invalid_options_and_queries_throw_prismq_exceptions_naming_the_value()
    {
        var e1 = Assert.Throws<PrismQException>(() => new TraceOptions { IndexRingCapacity = 1000 }.Validate());
        Assert.Equal(PrismQErrorCode.InvalidOption, e1.Code);
        Assert.Equal(nameof(TraceOptions.IndexRingCapacity), e1.ParameterName);
        Assert.Contains("1000", e1.Message);
        Assert.Contains("power of two", e1.Message);
        Assert.Equal(nameof(TraceOptions.HighWaterFraction), Assert.Throws<PrismQException>(() => new TraceOptions { HighWaterFraction = 0 }.Validate()).ParameterName);
        Assert.Equal(nameof(TraceOptions.PostRoll), Assert.Throws<PrismQException>(() => new TraceOptions { PostRoll = TimeSpan.FromSeconds(-1) }.Validate()).ParameterName);
        Assert.Equal(nameof(TraceOptions.RetentionMaxBytes), Assert.Throws<PrismQException>(() => new TraceOptions { RetentionMaxBytes = 10 }.Validate()).ParameterName);
        Assert.Equal(nameof(TraceOptions.SlowThreshold), Assert.Throws<PrismQException>(() => TraceSession.Start("q.db", new TraceOptions { SlowThreshold = TimeSpan.Zero })).ParameterName);

        var q = Assert.Throws<PrismQException>(() => new TraceQuery { Limit = 0 }.Validate());
        Assert.Equal(PrismQErrorCode.InvalidArgument, q.Code);
        Assert.Equal(nameof(TraceQuery.Limit), q.ParameterName);
        Assert.Equal(PrismQErrorCode.InvalidDatabasePath, Assert.Throws<PrismQException>(() => TraceStore.PathForQueue(" ")).Code);

        using var folder = new TraceTempFolder();
        Assert.Equal(PrismQErrorCode.InvalidDatabasePath, Assert.Throws<PrismQException>(() => TraceStore.ForQueue(folder.QueueDb).Query()).Code);
        using TraceSession session = TraceSession.Start(folder.QueueDb);
        Assert.Equal(PrismQErrorCode.InvalidArgument, Assert.Throws<PrismQException>(() => session.EmitUser(null!)).Code);
        Assert.Equal(PrismQErrorCode.InvalidArgument, Assert.Throws<PrismQException>(() => session.RequestDetail(0, 1)).Code);
    }

    [Fact]
    public void A_requested_window_keeps_user_detail_in_the_store()
    {
        using var folder = new TraceTempFolder();
        var session = TraceSession.Start(folder.QueueDb, new TraceOptions { PostRoll = TimeSpan.Zero });
        session.Emitter.OpenWindow(5, 2, 0);
        session.EmitUser("step one", 5, 2);
        session.RequestDetail(5, 2);
        session.EmitUser("step two", 5, 2);
        session.Emitter.CloseWindow(5, 2);
        session.Dispose();

        IReadOnlyList<TraceEvent> events = TraceStore.ForQueue(folder.QueueDb).Query(new TraceQuery { TaskId = 5, Kinds = new[] { TraceEventKind.User }, IncludeDetail = true });
        Assert.Equal(new[] { "step one", "step two" }, events.Select(e => e.Detail));
    }

    private static long UsedBytes(string path)
    {
        using SqliteConnection connection = TraceSchema.Open(path, readOnly: true);
        return SqliteTraceSink.UsedBytes(connection);
    }
}
