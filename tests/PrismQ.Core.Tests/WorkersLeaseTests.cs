using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests;

/// <summary>Heartbeats: lease extension, user cancel, lost leases, progress.</summary>
public abstract class WorkersLeaseTests : WorkersBackendTests
{
    [Fact]
    public async Task Heartbeats_keep_a_long_handler_s_lease_alive()
    {
        // One manual clock for the store and the worker: the handler runs for three lease durations of clock time,
        // and the expired-lease reclaim (which the worker itself runs) never finds the lease expired.
        var clock = new WorkersManualClock();
        using var db = NewDb(clock: clock);
        long id = await db.EnqueueAsync("long");
        var tracer = new CountingTraceEmitter();
        var finish = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var started = new ManualResetEventSlim();
        var worker = new Worker(db.Store, new WorkerOptions
        {
            MaxTasks = 1,
            LeaseDuration = TimeSpan.FromSeconds(10),
            HeartbeatFraction = 0.2,
            TimeProvider = clock,
            Tracer = tracer,
            Handlers = { ["long"] = async (ctx, ct) => { started.Set(); await finish.Task; return null; } },
        });
        Task<WorkerRunSummary> run = worker.RunAsync();
        started.Within();
        for (int beat = 1; beat <= 15; beat++)
        {
            clock.Advance(TimeSpan.FromSeconds(2));
            TimeSpan extra = TimeSpan.Zero;
            await WorkersTestDb.Until(() =>
            {
                if (tracer.Count(TraceEventKind.LeaseExtended) >= beat) return Task.FromResult(true);
                // The heartbeat loop may have armed its next timer just after the advance: nudge the clock (well inside the lease).
                if (extra < TimeSpan.FromSeconds(4))
                {
                    extra += TimeSpan.FromMilliseconds(100);
                    clock.Advance(TimeSpan.FromMilliseconds(100));
                }
                return Task.FromResult(false);
            }, "heartbeat " + beat);
            // The lease stays well ahead of the clock (10 s from the last heartbeat; nudges add at most 4 s).
            DateTimeOffset expiry = (await db.GetAsync(id)).LeaseExpiresAt!.Value;
            Assert.True(expiry > clock.GetUtcNow() + TimeSpan.FromSeconds(5), $"lease expires {expiry}, clock {clock.GetUtcNow()}");
        }
        finish.SetResult(true);
        WorkerRunSummary summary = await run.Within();

        Assert.Equal(1, summary.Succeeded);
        Assert.Equal(0, summary.LeasesLost);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Succeeded, task.Status);
        Assert.Equal(1, task.Attempts);
    }

    [Fact]
    public async Task A_user_cancel_reaches_the_running_handler_at_the_next_heartbeat()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        using var started = new ManualResetEventSlim();
        var worker = new Worker(db.Store, new WorkerOptions
        {
            MaxTasks = 1,
            LeaseDuration = TimeSpan.FromSeconds(30), // a lease that cannot expire under load;
            HeartbeatFraction = 0.01,                  // heartbeats every 300 ms all the same
            Handlers = { ["t"] = async (ctx, ct) => { started.Set(); await Task.Delay(Timeout.Infinite, ct); return null; } },
        });
        Task<WorkerRunSummary> run = worker.RunAsync();
        started.Within();
        Assert.Equal(CancelOutcome.CancelRequested, await db.Store.CancelAsync(id));
        WorkerRunSummary summary = await run.Within();
        Assert.Equal(1, summary.Cancelled);
        Assert.Equal(TaskStatus.Cancelled, (await db.GetAsync(id)).Status);
    }

    /// <summary>
    /// Within one heartbeat, counted on a manual clock: the lease heartbeat's first timer is armed when the worker starts
    /// (before the claim), so advancing the clock by one heartbeat interval after the cancel must fire the handler's token.
    /// </summary>
    [Fact]
    public async Task A_user_cancel_fires_the_handler_token_within_one_heartbeat_interval()
    {
        var clock = new WorkersManualClock();
        using var db = NewDb(clock: clock);
        long id = await db.EnqueueAsync("t");
        using var started = new ManualResetEventSlim();
        var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = new Worker(db.Store, new WorkerOptions
        {
            MaxTasks = 1,
            LeaseDuration = TimeSpan.FromSeconds(30),
            HeartbeatFraction = 1.0 / 3.0, // one heartbeat every 10 s of the manual clock
            TimeProvider = clock,
            Handlers =
            {
                ["t"] = async (ctx, ct) =>
                {
                    using CancellationTokenRegistration seen = ct.Register(() => cancelled.TrySetResult(true));
                    started.Set();
                    await Task.Delay(Timeout.Infinite, ct);
                    return null;
                },
            },
        });
        Task<WorkerRunSummary> run = worker.RunAsync();
        started.Within();
        Assert.Equal(CancelOutcome.CancelRequested, await db.Store.CancelAsync(id));
        Assert.False(cancelled.Task.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(10)); // exactly one heartbeat interval, never more
        await cancelled.Task.Within();

        WorkerRunSummary summary = await run.Within();
        Assert.Equal(1, summary.Cancelled);
        Assert.Equal(TaskStatus.Cancelled, (await db.GetAsync(id)).Status);
    }

    [Fact]
    public async Task A_lease_taken_over_is_noticed_the_handler_cancelled_and_nothing_written()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        using var started = new ManualResetEventSlim();
        bool cancelled = false;
        var worker = new Worker(db.Store, new WorkerOptions
        {
            MaxTasks = 1,
            LeaseDuration = TimeSpan.FromSeconds(30), // a lease that cannot expire under load;
            HeartbeatFraction = 0.01,                  // heartbeats every 300 ms all the same
            Handlers =
            {
                ["t"] = async (ctx, ct) =>
                {
                    ctx.WriteOutput(TaskOutputStream.Warning, "before the takeover");
                    started.Set();
                    try { await Task.Delay(Timeout.Infinite, ct); } catch (OperationCanceledException) { cancelled = true; }
                    ctx.WriteOutput(TaskOutputStream.Warning, "after the takeover");
                    return "\"stale\"";
                },
            },
        });
        Task<WorkerRunSummary> run = worker.RunAsync();
        started.Within();
        // Another party takes the task back (as a dead-worker sweep would).
        ReclaimResult reclaimed = await db.Store.ReclaimWorkerAsync(worker.WorkerId);
        Assert.Equal(1, reclaimed.Requeued);
        WorkerRunSummary summary = await run.Within();

        Assert.True(cancelled);
        Assert.Equal(1, summary.LeasesLost);
        Assert.Equal(0, summary.Succeeded);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Queued, task.Status);
        Assert.Null(task.Result);
        Assert.Empty(task.Output); // the attempt's output is written with its transition, and a lost lease has none
        Assert.Equal(1, task.Attempts);
    }

    [Fact]
    public async Task Progress_is_visible_while_running_and_the_final_value_is_written()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        var proceed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = new Worker(db.Store, new WorkerOptions
        {
            MaxTasks = 1,
            ProgressInterval = TimeSpan.FromHours(1),
            Handlers =
            {
                ["t"] = async (ctx, ct) =>
                {
                    ctx.ReportProgress(10, "first");
                    await proceed.Task;
                    ctx.ReportProgress(90, "almost");
                    ctx.ReportProgress(100, "done");
                    return null;
                },
            },
        });
        Task<WorkerRunSummary> run = worker.RunAsync();
        await WorkersTestDb.Until(async () => (await db.GetAsync(id)).ProgressPercent == 10, "the first progress report is written at once");
        Assert.Equal("first", (await db.GetAsync(id)).ProgressMessage);
        proceed.SetResult(true);
        await run.Within();
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(100, task.ProgressPercent);
        Assert.Equal("done", task.ProgressMessage);
    }

    [Fact]
    public async Task A_flood_of_progress_reports_is_coalesced()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        var tracer = new CountingTraceEmitter();
        var worker = new Worker(db.Store, new WorkerOptions
        {
            MaxTasks = 1,
            ProgressInterval = TimeSpan.FromHours(1),
            Tracer = tracer,
            Handlers =
            {
                ["t"] = (ctx, ct) =>
                {
                    for (int i = 0; i < 10_000; i++) ctx.ReportProgress(i / 100, "step " + i);
                    return Task.FromResult<string?>(null);
                },
            },
        });
        await worker.RunAsync().Within();
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(99, task.ProgressPercent);
        Assert.Equal("step 9999", task.ProgressMessage);
        // One write at once, then nothing more within the hour-long interval, then the final value.
        Assert.InRange(tracer.Count(TraceEventKind.Progress), 1, 2);
    }
}

public sealed class WorkersLeaseTestsOnSqlite : WorkersLeaseTests
{
    protected override TestBackend Backend => TestBackend.Sqlite;
}

[Trait("Backend", "PostgreSQL")]
public sealed class WorkersLeaseTestsOnPostgres : WorkersLeaseTests
{
    protected override TestBackend Backend => TestBackend.Postgres;
}

/// <summary>The context's checks of a progress report (no store).</summary>
public sealed class WorkersProgressArgumentTests
{
    [Fact]
    public void Progress_percent_out_of_range_is_refused()
    {
        var throttle = new Workers.ProgressThrottle(null!, 1, LeaseToken.NewToken(), TimeSpan.Zero, TimeProvider.System, (_, _) => { });
        var context = new TaskContext(new TaskRecord { Id = 1, Attempts = 1 }, LeaseToken.NewToken(), "w", CancellationToken.None, throttle, PrismQ.Tracing.NullTraceEmitter.Instance, 0, TimeProvider.System);
        var error = Assert.Throws<PrismQException>(() => context.ReportProgress(101));
        Assert.Equal(PrismQErrorCode.InvalidArgument, error.Code);
        Assert.Contains("101", error.Message);
    }
}
