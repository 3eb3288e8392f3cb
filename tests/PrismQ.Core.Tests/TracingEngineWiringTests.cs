using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tests.Storage;
using Xunit;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Tests.Tracing;

/// <summary>The store starts, feeds and finally drains a trace session when <see cref="QueueOptions.Tracing"/> is set.</summary>
public sealed class TracingEngineWiringTests
{
    [Fact]
    public async Task A_traced_store_persists_its_enqueue_events_by_the_time_it_is_disposed()
    {
        using var folder = new TempFolder();
        string db = folder.File("queue.db");
        long[] ids;
        using (SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db, Tracing = new TraceOptions() }))
        {
            Assert.NotNull(store.Tracing);
            ids = new long[3];
            for (int i = 0; i < ids.Length; i++) ids[i] = (await store.EnqueueAsync(new EnqueueRequest("traced"))).Task.Id;
        }

        var events = TraceStore.ForQueue(db).Query(new TraceQuery { Kinds = new[] { TraceEventKind.Enqueue } });
        Assert.Equal(ids, events.Select(e => e.TaskId).OrderBy(id => id));
    }

    [Fact]
    public async Task An_untraced_store_creates_no_trace_database()
    {
        using var folder = new TempFolder();
        string db = folder.File("queue.db");
        using (SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db }))
        {
            Assert.Null(store.Tracing);
            await store.EnqueueAsync(new EnqueueRequest("untraced"));
        }

        Assert.False(File.Exists(TraceStore.PathForQueue(db)));
    }

    [Fact]
    public void Invalid_trace_options_are_refused_when_the_store_opens()
    {
        using var folder = new TempFolder();
        var ex = Assert.Throws<PrismQException>(() => SqliteTaskStore.Open(new QueueOptions
        {
            DatabasePath = folder.File("queue.db"),
            Tracing = new TraceOptions { IndexRingCapacity = 3 },
        }));
        Assert.Equal(PrismQErrorCode.InvalidOption, ex.Code);
        Assert.Contains("3", ex.Message);
    }
    [Fact]
    public async Task A_traced_worker_run_leaves_per_task_events_failed_detail_and_one_track_per_worker()
    {
        using var folder = new TempFolder();
        string db = folder.File("queue.db");
        var okIds = new List<long>();
        long badId;
        string[] workerIds = { "trace-worker-a", "trace-worker-b" };
        using (SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions
        {
            DatabasePath = db,
            RetryPolicy = new RetryPolicy { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, Jitter = 0 },
            Tracing = new TraceOptions { PostRoll = TimeSpan.Zero },
        }))
        {
            for (int i = 0; i < 4; i++) okIds.Add((await store.EnqueueAsync(new EnqueueRequest("ok"))).Task.Id);
            badId = (await store.EnqueueAsync(new EnqueueRequest("bad") { MaxAttempts = 1 })).Task.Id;

            // The first two attempts wait for each other: with concurrency 1 each, both workers then hold one.
            using var bothBusy = new CountdownEvent(2);
            Task<string?> Handler(TaskContext ctx, CancellationToken ct)
            {
                ctx.TraceEvent(ctx.Type + "-detail " + ctx.TaskId);
                if (ctx.TaskId == okIds[0]) ctx.RequestTraceDetail();
                lock (bothBusy)
                {
                    if (!bothBusy.IsSet) bothBusy.Signal();
                }
                if (!bothBusy.Wait(WorkersTestDb.Patience)) throw new TimeoutException("the second worker never started an attempt");
                if (ctx.Type == "bad") throw new InvalidOperationException("bad task failed on purpose");
                return Task.FromResult<string?>(null);
            }

            using var stop = new CancellationTokenSource();
            Task<WorkerRunSummary>[] runs = workerIds.Select(id => new Worker(store, new WorkerOptions
            {
                WorkerId = id,
                Concurrency = 1,
                Handlers = { ["ok"] = Handler, ["bad"] = Handler },
            }).RunAsync(stop.Token)).ToArray();

            await WorkersTestDb.Until(async () =>
                (await store.QueryAsync(new TaskQuery { Limit = 100 })).All(t => t.Status is TaskStatus.Succeeded or TaskStatus.Failed), "every task finished");
            stop.Cancel();
            await Task.WhenAll(runs).WaitAsync(WorkersTestDb.Patience);
        }

        var trace = TraceStore.ForQueue(db);
        IReadOnlyList<TraceEvent> events = trace.Query(new TraceQuery { IncludeDetail = true, Limit = TraceQuery.MaxLimit });
        foreach (long id in okIds.Append(badId))
        {
            foreach (TraceEventKind kind in new[] { TraceEventKind.Claim, TraceEventKind.Start, id == badId ? TraceEventKind.Fail : TraceEventKind.Complete })
            {
                TraceEvent e = Assert.Single(events, x => x.TaskId == id && x.Attempt == 1 && x.Kind == kind);
                Assert.Contains(e.WorkerId, workerIds);
            }
        }

        // The failed attempt: its window is marked and its detail (handler event and error text) persisted.
        Assert.Contains(events, e => e.TaskId == badId && e.Kind == TraceEventKind.WindowMarked && e.Value == (long)WindowMark.Failed);
        Assert.Equal("bad-detail " + badId, Assert.Single(events, e => e.TaskId == badId && e.Kind == TraceEventKind.User).Detail);
        Assert.Contains("bad task failed on purpose", Assert.Single(events, e => e.TaskId == badId && e.Kind == TraceEventKind.Fail).Detail);

        // A successful attempt whose handler asked for its detail keeps it.
        Assert.Contains(events, e => e.TaskId == okIds[0] && e.Kind == TraceEventKind.WindowMarked && e.Value == (long)WindowMark.Requested);
        Assert.Equal("ok-detail " + okIds[0], Assert.Single(events, e => e.TaskId == okIds[0] && e.Kind == TraceEventKind.User).Detail);

        // The other successful attempts: unmarked, yet a user event's message is always kept.
        foreach (long id in okIds.Skip(1))
        {
            TraceEvent user = Assert.Single(events, e => e.TaskId == id && e.Kind == TraceEventKind.User);
            Assert.Equal("ok-detail " + id, user.Detail);
            Assert.DoesNotContain(events, e => e.TaskId == id && e.Kind == TraceEventKind.WindowMarked);
        }

        // The Chrome export: a track per worker (named by its id) and one slice per attempt on a lane of its worker's.
        using var json = new MemoryStream();
        trace.ExportChromeTrace(json);
        using JsonDocument doc = JsonDocument.Parse(json.ToArray());
        var trackNames = new Dictionary<(long Pid, long Tid), string>();
        var slices = new List<(long Task, long Pid, long Tid)>();
        foreach (JsonElement e in doc.RootElement.GetProperty("traceEvents").EnumerateArray())
        {
            string ph = e.GetProperty("ph").GetString()!;
            (long, long) track = (e.GetProperty("pid").GetInt64(), e.GetProperty("tid").GetInt64());
            if (ph == "M" && e.GetProperty("name").GetString() == "thread_name") trackNames[track] = e.GetProperty("args").GetProperty("name").GetString()!;
            if (ph == "X") slices.Add((e.GetProperty("args").GetProperty("task").GetInt64(), track.Item1, track.Item2));
        }

        Assert.Equal(workerIds, trackNames.Values.Where(workerIds.Contains).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(okIds.Append(badId).OrderBy(id => id), slices.Select(s => s.Task).OrderBy(id => id));
        Assert.Equal(workerIds, slices.Select(s => trackNames[(s.Pid, s.Tid)].Split(" #")[0]).Distinct().OrderBy(n => n, StringComparer.Ordinal));
    }
}
