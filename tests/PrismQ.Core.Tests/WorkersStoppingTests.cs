using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests;

/// <summary>Stopping: bounds, graceful stop, and waking up.</summary>
public sealed class WorkersStoppingTests
{
    [Fact]
    public async Task A_cancellation_token_stops_an_idle_worker()
    {
        using var db = new WorkersTestDb();
        using var cts = new CancellationTokenSource();
        var worker = new Worker(db.Store, new WorkerOptions { Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });
        Task<WorkerRunSummary> run = worker.RunAsync(cts.Token);
        await WorkersTestDb.Until(async () => (await db.Store.ListWorkersAsync()).Count == 1, "the worker registers");
        cts.Cancel();
        WorkerRunSummary summary = await run.Within();
        Assert.Equal(WorkerStopReason.Cancelled, summary.StopReason);
        Assert.Equal(0, summary.Processed);
        Assert.Empty(await db.Store.ListWorkersAsync());
    }

    [Fact]
    public async Task Max_run_time_stops_the_worker()
    {
        using var db = new WorkersTestDb();
        var worker = new Worker(db.Store, new WorkerOptions { MaxRunTime = TimeSpan.FromMilliseconds(200), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });
        WorkerRunSummary summary = await worker.RunAsync().Within();
        Assert.Equal(WorkerStopReason.MaxRunTime, summary.StopReason);
    }

    [Fact]
    public async Task Idle_timeout_stops_the_worker_after_the_work_is_done()
    {
        using var db = new WorkersTestDb();
        for (int i = 0; i < 3; i++) await db.EnqueueAsync("t");
        var worker = new Worker(db.Store, new WorkerOptions { IdleTimeout = TimeSpan.FromMilliseconds(200), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });
        WorkerRunSummary summary = await worker.RunAsync().Within();
        Assert.Equal(WorkerStopReason.IdleTimeout, summary.StopReason);
        Assert.Equal(3, summary.Succeeded);
    }

    [Fact]
    public async Task Max_tasks_lets_the_claimed_tasks_finish_and_claims_no_more()
    {
        using var db = new WorkersTestDb();
        for (int i = 0; i < 10; i++) await db.EnqueueAsync("t");
        var worker = new Worker(db.Store, new WorkerOptions { Concurrency = 4, MaxTasks = 6, Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });
        WorkerRunSummary summary = await worker.RunAsync().Within();
        Assert.Equal(WorkerStopReason.MaxTasks, summary.StopReason);
        Assert.Equal(6, summary.Succeeded);
        QueueStats stats = (await db.Store.GetQueueStatsAsync())[0];
        Assert.Equal(4, stats.Queued);
        Assert.Equal(0, stats.Running);
    }

    [Fact]
    public async Task A_graceful_stop_lets_a_handler_finish_within_the_grace_period()
    {
        using var db = new WorkersTestDb();
        long first = await db.EnqueueAsync("t");
        long second = await db.EnqueueAsync("t");
        using var started = new ManualResetEventSlim();
        var finish = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        bool cancelledSeen = false;
        using var cts = new CancellationTokenSource();
        var worker = new Worker(db.Store, new WorkerOptions
        {
            GracePeriod = TimeSpan.FromMinutes(5),
            Handlers = { ["t"] = async (ctx, ct) => { started.Set(); await finish.Task; cancelledSeen = ct.IsCancellationRequested; return "1"; } },
        });
        Task<WorkerRunSummary> run = worker.RunAsync(cts.Token);
        started.Within();
        cts.Cancel();
        finish.SetResult(true);
        WorkerRunSummary summary = await run.Within();

        Assert.False(cancelledSeen);
        Assert.Equal(1, summary.Succeeded);
        Assert.Equal(0, summary.Released);
        Assert.Equal(TaskStatus.Succeeded, (await db.GetAsync(first)).Status);
        TaskRecord untouched = await db.GetAsync(second);
        Assert.Equal(TaskStatus.Queued, untouched.Status);
        Assert.Equal(0, untouched.Attempts);
    }

    [Fact]
    public async Task After_the_grace_period_a_stop_cancels_handlers_and_releases_their_tasks_without_counting_the_attempt()
    {
        using var db = new WorkersTestDb();
        long id = await db.EnqueueAsync("t");
        using var started = new ManualResetEventSlim();
        using var cts = new CancellationTokenSource();
        var worker = new Worker(db.Store, new WorkerOptions
        {
            // The handler honours its token: 2 s lets its cancellation run before the abandon timer, even on a loaded machine.
            GracePeriod = TimeSpan.FromSeconds(2),
            Handlers = { ["t"] = async (ctx, ct) => { started.Set(); await Task.Delay(Timeout.Infinite, ct); return null; } },
        });
        Task<WorkerRunSummary> run = worker.RunAsync(cts.Token);
        started.Within();
        cts.Cancel();
        WorkerRunSummary summary = await run.Within();

        Assert.Equal(WorkerStopReason.Cancelled, summary.StopReason);
        Assert.Equal(1, summary.Released);
        Assert.Equal(0, summary.Abandoned);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Queued, task.Status);
        Assert.Equal(0, task.Attempts);
        Assert.Null(task.LeaseToken);
    }

    [Fact]
    public async Task A_handler_ignoring_a_stop_is_abandoned_and_its_task_released()
    {
        using var db = new WorkersTestDb();
        long id = await db.EnqueueAsync("t");
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var cts = new CancellationTokenSource();
        var worker = new Worker(db.Store, new WorkerOptions
        {
            GracePeriod = TimeSpan.FromMilliseconds(50),
            Handlers = { ["t"] = (ctx, ct) => { started.Set(); release.Wait(); return Task.FromResult<string?>(null); } },
        });
        try
        {
            Task<WorkerRunSummary> run = worker.RunAsync(cts.Token);
            started.Within();
            cts.Cancel();
            WorkerRunSummary summary = await run.Within();
            Assert.Equal(1, summary.Abandoned);
            Assert.Equal(1, summary.Released);
            Assert.Equal(TaskStatus.Queued, (await db.GetAsync(id)).Status);
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public async Task An_enqueue_in_the_same_process_wakes_an_idle_worker_at_once()
    {
        using var db = new WorkersTestDb();
        var ran = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();
        // Polls at most every 10 minutes: only the in-process signal can start the task within the test's patience.
        var worker = new Worker(db.Store, new WorkerOptions
        {
            PollMinInterval = TimeSpan.FromMinutes(1),
            PollMaxInterval = TimeSpan.FromMinutes(10),
            Handlers = { ["t"] = (ctx, ct) => { ran.TrySetResult(ctx.TaskId); return Task.FromResult<string?>(null); } },
        });
        Task<WorkerRunSummary> run = worker.RunAsync(cts.Token);
        await WorkersTestDb.Until(async () => (await db.Store.ListWorkersAsync()).Count == 1, "the worker registers");
        await Task.Delay(100); // let its first (empty) claim happen, so it is waiting on its long poll
        using SqliteTaskStore other = db.OpenAnother();
        long id = (await other.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        Assert.Equal(id, await ran.Task.Within());
        cts.Cancel();
        await run.Within();
    }
}
