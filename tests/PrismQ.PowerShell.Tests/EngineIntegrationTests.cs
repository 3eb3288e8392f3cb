using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.PowerShell.Cores;
using PrismQ.PowerShell.Handlers;
using Xunit;

namespace PrismQ.PowerShell.Tests;

/// <summary>The cmdlet cores against the real engine: SQLite store with tracing, worker, maintenance.</summary>
[Collection(StoreCacheCollection.Name)]
public sealed class EngineIntegrationTests
{
    [Fact]
    public void A_queue_name_that_does_not_exist_is_QueueNotFound_and_is_not_created_unless_paused_on_purpose()
    {
        using var db = new TempDatabase();
        var add = new AddTaskCore(db.Store, new AddTaskSettings { Type = "t", Queue = "real" }, batchSize: 1);
        add.Add("x");
        add.Flush(CancellationToken.None);

        var missing = new List<string>();
        QueueStats found = Assert.Single(QueueCore.Get(db.Store, new[] { "typo", "real" }, missing.Add, CancellationToken.None));
        Assert.Equal("real", found.Name);
        Assert.Equal(new[] { "typo" }, missing);

        Assert.Equal(PrismQErrorCode.QueueNotFound, Assert.Throws<PrismQException>(() => QueueCore.SetPaused(db.Store, "typo", true, createIfMissing: false, CancellationToken.None)).Code);
        Assert.Equal(PrismQErrorCode.QueueNotFound, Assert.Throws<PrismQException>(() => QueueCore.SetPaused(db.Store, "typo", false, createIfMissing: false, CancellationToken.None)).Code);
        Assert.Equal(new[] { "real" }, QueueCore.Get(db.Store, null, missing.Add, CancellationToken.None).Select(q => q.Name));
        Assert.False(Assert.Single(QueueCore.Get(db.Store, new[] { "real" }, missing.Add, CancellationToken.None)).Paused);

        // Pausing before the first task, on purpose: the queue then exists, and its first tasks wait.
        Assert.True(QueueCore.SetPaused(db.Store, "later", true, createIfMissing: true, CancellationToken.None).Paused);
        Assert.True(Assert.Single(QueueCore.Get(db.Store, new[] { "later" }, missing.Add, CancellationToken.None)).Paused);
        Assert.False(QueueCore.SetPaused(db.Store, "later", false, createIfMissing: false, CancellationToken.None).Paused);
    }

    [Fact]
    public void Add_get_restart_and_remove_through_the_sqlite_store()
    {
        using var db = new TempDatabase();
        var add = new AddTaskCore(db.Store, new AddTaskSettings { Type = "t", Queue = "q" }, batchSize: 100);
        for (int i = 0; i < 250; i++)
        {
            add.Add(new Dictionary<string, object?> { ["n"] = i });
            if (add.IsBatchFull) add.Flush(CancellationToken.None);
        }

        add.Flush(CancellationToken.None);
        List<TaskRecord> all = GetTaskCore.Query(db.Store, GetTaskCore.Filter("q", null, null), null, CancellationToken.None).ToList();
        Assert.Equal(250, all.Count);
        Assert.Equal("{\"n\":249}", all[^1].Payload);

        QueueStats stats = Assert.Single(QueueCore.Get(db.Store, new[] { "q" }, _ => Assert.Fail("missing"), CancellationToken.None));
        Assert.Equal(250, stats.Queued);
        Assert.True(QueueCore.SetPaused(db.Store, "q", true, createIfMissing: false, CancellationToken.None).Paused);

        Assert.Equal(CancelOutcome.Cancelled, TaskStateCore.Stop(db.Store, all[0].Id, CancellationToken.None));
        TaskStateCore.Restart(db.Store, all[0].Id, CancellationToken.None);
        Assert.Equal(TaskStatus.Queued, TaskLookup.Require(db.Store, all[0].Id, CancellationToken.None).Status);
        TaskStateCore.Remove(db.Store, all[1].Id, CancellationToken.None);
        Assert.Equal(PrismQErrorCode.TaskNotFound, Assert.Throws<PrismQException>(() => TaskLookup.Require(db.Store, all[1].Id, CancellationToken.None)).Code);
        DatabaseInfo info = DatabaseCore.Describe(db.Path_, false, Durability.Normal, 1);
        Assert.True(info.SizeBytes > 0 || info.WalSizeBytes > 0);
    }

    [Fact]
    public void A_bad_database_file_is_a_terminating_NotADatabase_error()
    {
        using var db = new TempDatabase();
        File.WriteAllText(db.Path_, "this is not a database, just some text long enough to be read as a header...........");
        var ex = Assert.Throws<PrismQException>(() => StoreCache.Get(db.Path_));
        Assert.True(ErrorMapping.IsTerminating(ex.Code), ex.Code.ToString());
    }

    [Fact]
    public void Worker_at_concurrency_one_runs_every_handler_on_the_thread_that_takes_the_calls()
    {
        using var db = new TempDatabase();
        Enqueue(db, "echo", 20);
        var threads = new ConcurrentBag<int>();
        var calls = new CallQueue();
        var waiter = new CallQueue.Waiter();
        using var host = new WorkerHostCore(db.Store, new WorkerSettings { MaxTasks = 20, IdleTimeout = TimeSpan.FromSeconds(30) }, call =>
        {
            calls.Add(call);
            return Task.CompletedTask;
        });
        Task<global::PrismQ.WorkerRunSummary> run = host.Start(CancellationToken.None);
        var finished = new List<long>();
        while (!run.IsCompleted)
        {
            if (calls.Take(waiter, 100) is { } call)
            {
                threads.Add(Environment.CurrentManagedThreadId);
                call.Context.ReportProgress(50, "half");
                call.Succeed(PayloadJson.Serialize(new Dictionary<string, object?> { ["echo"] = PayloadJson.Deserialize(call.Context.Payload) }));
            }

            while (host.TryTakeFinished(out long id)) finished.Add(id);
        }

        while (host.TryTakeFinished(out long id)) finished.Add(id);
        WorkerRunSummary summary = WorkerHostCore.ToInfo(run.GetAwaiter().GetResult());
        Assert.Equal(20, summary.Succeeded);
        Assert.Equal(WorkerStopReason.MaxTasks, summary.StopReason);
        Assert.Equal(new[] { Environment.CurrentManagedThreadId }, threads.Distinct());
        Assert.Equal(20, finished.Distinct().Count());
        TaskRecord done = TaskLookup.Require(db.Store, finished[0], CancellationToken.None);
        Assert.Equal(TaskStatus.Succeeded, done.Status);
        Assert.StartsWith("{\"echo\":", done.Result);
        Assert.Equal(50, done.ProgressPercent);
    }

    [Fact]
    public async Task Worker_with_an_off_thread_invoker_runs_handlers_in_parallel_and_fails_on_errors()
    {
        using var db = new TempDatabase();
        Enqueue(db, "ok", 12);
        Enqueue(db, "bad", 2, maxAttempts: 1);
        Enqueue(db, "unknown", 1, maxAttempts: 1);
        int running = 0, peak = 0;
        using var bothRunning = new CountdownEvent(2);
        Func<HandlerCall, Task> invoker = call => Task.Run(() =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            if (bothRunning.CurrentCount > 0) bothRunning.Signal();
            bothRunning.Wait(TimeSpan.FromSeconds(10));
            Interlocked.Decrement(ref running);
            if (call.Context.Type == "bad") call.Fail(new InvalidOperationException("boom " + call.Context.TaskId));
            else call.Succeed("true");
        });
        using var host = new WorkerHostCore(db.Store, new WorkerSettings { Concurrency = 4, MaxTasks = 15, HandledTypes = new[] { "ok", "bad" } }, invoker);
        global::PrismQ.WorkerRunSummary summary = await host.Start(CancellationToken.None);
        Assert.Equal(12, summary.Succeeded);
        Assert.Equal(3, summary.Failed);
        Assert.True(peak >= 2, $"peak concurrency {peak}");
        TaskRecord bad = GetTaskCore.Query(db.Store, GetTaskCore.Filter(null, "bad", null), 1, CancellationToken.None).Single();
        Assert.Equal(TaskStatus.Failed, bad.Status);
        Assert.StartsWith("boom", bad.LastError!.Message);
        TaskRecord unknown = GetTaskCore.Query(db.Store, GetTaskCore.Filter(null, "unknown", null), 1, CancellationToken.None).Single();
        Assert.Equal(TaskStatus.Failed, unknown.Status);
        Assert.Contains("No handler for type 'unknown'", unknown.LastError!.Message);
    }

    [Fact]
    public void Stopping_a_worker_gives_in_flight_leases_back_without_counting_the_attempt()
    {
        using var db = new TempDatabase();
        Enqueue(db, "slow", 3);
        using var stop = new CancellationTokenSource();
        // Handlers never finish on their own; the engine's graceful stop cancels them after its grace period and gives
        // their tasks back. The host only signals the stop (Ctrl+C): it never releases a lease itself.
        var settings = new WorkerSettings { Concurrency = 3, GracePeriod = TimeSpan.FromMilliseconds(200) };
        using var host = new WorkerHostCore(db.Store, settings, call => Task.CompletedTask);
        Task<global::PrismQ.WorkerRunSummary> run = host.Start(stop.Token);
        SpinWait.SpinUntil(() => host.InFlight == 3 || run.IsCompleted, TimeSpan.FromSeconds(30));
        Assert.Equal(3, host.InFlight);
        stop.Cancel();
        host.StopHandlers();
        global::PrismQ.WorkerRunSummary summary = run.GetAwaiter().GetResult();
        Assert.Equal(WorkerStopReason.Cancelled, summary.StopReason);
        Assert.Equal(3, summary.Released);
        List<TaskRecord> tasks = GetTaskCore.Query(db.Store, GetTaskCore.Filter(null, "slow", null), null, CancellationToken.None).ToList();
        Assert.All(tasks, t =>
        {
            Assert.Equal(TaskStatus.Queued, t.Status);
            Assert.Equal(0, t.Attempts);
        });
    }

    [Fact]
    public void Trace_query_and_chrome_export_see_the_workers_events_and_user_events()
    {
        using var db = new TempDatabase();
        Enqueue(db, "traced", 3);
        // The module's store traces: Write-PrismQTrace finds the session of the open store.
        Assert.NotNull(StoreCache.TraceSessionOf(db.Path_));
        using (var host = new WorkerHostCore(db.Store, new WorkerSettings { MaxTasks = 3 }, call =>
        {
            call.Context.TraceEvent(TraceCore.UserMessage("hello", new Dictionary<string, object?> { ["k"] = 1 }));
            call.Succeed(null);
            return Task.CompletedTask;
        }))
        {
            host.Start(CancellationToken.None).GetAwaiter().GetResult();
        }

        IReadOnlyList<global::PrismQ.TraceEvent> events = TraceCore.Get(db.Path_, null, ids => TraceCore.Query(ids, null, null, null, null, true, null));
        Assert.Contains(events, e => e.Kind == TraceEventKind.Complete);
        Assert.Contains(events, e => e.Kind == TraceEventKind.Enqueue);
        long someTask = events.First(e => e.Kind == TraceEventKind.Complete).TaskId;
        IReadOnlyList<global::PrismQ.TraceEvent> forTask = TraceCore.Get(db.Path_, new[] { someTask }, ids => TraceCore.Query(ids, null, new[] { "complete", "Start" }, null, null, false, null));
        Assert.NotEmpty(forTask);
        Assert.All(forTask, e => Assert.True(e.TaskId == someTask && e.Kind is TraceEventKind.Complete or TraceEventKind.Start));
        TraceEvent info = TraceCore.ToInfo(forTask[0]);
        Assert.Equal(forTask[0].Timestamp.LocalDateTime, info.Timestamp);

        string file = Path.Combine(db.Folder, "out", "trace.json");
        FileInfo written = TraceCore.Export(db.Path_, file, null, null, null);
        Assert.True(written.Exists);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(file));
        Assert.True(json.RootElement.GetProperty("traceEvents").GetArrayLength() > 0);

        var ex = Assert.Throws<PrismQException>(() => TraceCore.Query(null, null, new[] { "NoSuchKind" }, null, null, false, null));
        Assert.Equal(PrismQErrorCode.InvalidArgument, ex.Code);
        Assert.Contains("NoSuchKind", ex.Message);
    }

    [Fact]
    public void Maintenance_prunes_checkpoints_optimizes_checks_and_backs_up()
    {
        using var db = new TempDatabase();
        Enqueue(db, "m", 5, maxAttempts: 1);
        using (var host = new WorkerHostCore(db.Store, new WorkerSettings { MaxTasks = 5 }, call => { call.Succeed(null); return Task.CompletedTask; }))
            host.Start(CancellationToken.None).GetAwaiter().GetResult();
        var steps = new List<string>();
        MaintenanceReport report = MaintenanceCore.Run(db.Path_, new MaintenanceSettings { PruneFinishedOlderThan = TimeSpan.Zero, Checkpoint = true, IntegrityCheck = true, Optimize = true },
            DateTimeOffset.UtcNow.AddMinutes(1), steps.Add);
        Assert.Equal(5, report.Pruned);
        Assert.Equal(CheckpointMode.Truncate, report.Checkpoint);
        Assert.True(report.Optimized);
        Assert.True(report.IntegrityOk);
        Assert.Equal(4, steps.Count);

        MaintenanceReport defaults = MaintenanceCore.Run(db.Path_, new MaintenanceSettings(), DateTimeOffset.UtcNow, steps.Add);
        Assert.Null(defaults.IntegrityOk);
        Assert.True(defaults.Optimized);
        Assert.Equal(0, defaults.Pruned);

        string backup = Path.Combine(db.Folder, "backup.db");
        Assert.True(MaintenanceCore.Backup(db.Path_, backup, overwrite: false).Length > 0);
        Assert.Throws<PrismQException>(() => MaintenanceCore.Backup(db.Path_, backup, overwrite: false));
        Assert.True(MaintenanceCore.Backup(db.Path_, backup, overwrite: true).Exists);
    }

    private static void Enqueue(TempDatabase db, string type, int count, int? maxAttempts = null)
    {
        var add = new AddTaskCore(db.Store, new AddTaskSettings { Type = type, MaxAttempts = maxAttempts });
        for (int i = 0; i < count; i++) add.Add(i);
        add.Flush(CancellationToken.None);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
