using System;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Tests;

/// <summary>Stopping: bounds, graceful stop, and waking up.</summary>
public abstract class WorkersStoppingTests : WorkersBackendTests
{
    [Fact]
    public async Task A_cancellation_token_stops_an_idle_worker()
    {
        using var db = NewDb();
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
        using var db = NewDb();
        var worker = new Worker(db.Store, new WorkerOptions { MaxRunTime = TimeSpan.FromMilliseconds(200), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });
        WorkerRunSummary summary = await worker.RunAsync().Within();
        Assert.Equal(WorkerStopReason.MaxRunTime, summary.StopReason);
    }

    [Fact]
    public async Task Idle_timeout_stops_the_worker_after_the_work_is_done()
    {
        using var db = NewDb();
        for (int i = 0; i < 3; i++) await db.EnqueueAsync("t");
        var worker = new Worker(db.Store, new WorkerOptions { IdleTimeout = TimeSpan.FromMilliseconds(200), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });
        WorkerRunSummary summary = await worker.RunAsync().Within();
        Assert.Equal(WorkerStopReason.IdleTimeout, summary.StopReason);
        Assert.Equal(3, summary.Succeeded);
    }

    [Fact]
    public async Task Max_tasks_lets_the_claimed_tasks_finish_and_claims_no_more()
    {
        using var db = NewDb();
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
        using var db = NewDb();
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
        using var db = NewDb();
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

    /// <summary>
    /// The race of a graceful stop, made deterministic: the handler ends on the stop itself (as a PowerShell handler
    /// stopped at Ctrl+C does) and the worker finishes that attempt before its own stop token has even fired. The
    /// test's callback on the caller's token runs before the worker's (callbacks run newest first) and holds the
    /// caller's Cancel() until the attempt has ended. The attempt was cancelled by the stop: it is given back uncounted.
    /// </summary>
    [Fact]
    public async Task A_handler_that_ends_on_the_stop_before_the_worker_sees_it_is_released_not_failed()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        using var started = new ManualResetEventSlim();
        using var cts = new CancellationTokenSource();
        var handlerStop = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = new Worker(db.Store, new WorkerOptions
        {
            GracePeriod = TimeSpan.FromMinutes(5), // the worker's own cancel after the grace period never comes first
            AttemptEnded = _ => ended.TrySetResult(true),
            Handlers =
            {
                ["t"] = async (ctx, ct) =>
                {
                    started.Set();
                    await handlerStop.Task;
                    throw new OperationCanceledException("stopped by the host");
                },
            },
        });
        Task<WorkerRunSummary> run = worker.RunAsync(cts.Token);
        started.Within();
        using CancellationTokenRegistration hold = cts.Token.Register(() =>
        {
            handlerStop.TrySetResult(true);
            ended.Task.Wait(WorkersTestDb.Patience); // the attempt ends while the worker's stop token has not fired yet
        });
        cts.Cancel();
        WorkerRunSummary summary = await run.Within();

        Assert.True(ended.Task.IsCompleted);
        Assert.Equal(WorkerStopReason.Cancelled, summary.StopReason);
        Assert.Equal(0, summary.Retried);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(0, summary.LeasesLost);
        Assert.Equal(1, summary.Released);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Queued, task.Status);
        Assert.Equal(0, task.Attempts);
        Assert.Null(task.LastError);
        Assert.Null(task.LeaseToken);
    }

    /// <summary>A handler that watches the caller's token and ends cancelled at the stop, long before the grace period ends, is released.</summary>
    [Fact]
    public async Task A_handler_that_ends_on_its_own_at_a_stop_with_a_cancellation_is_released()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        using var started = new ManualResetEventSlim();
        using var cts = new CancellationTokenSource();
        var worker = new Worker(db.Store, new WorkerOptions
        {
            GracePeriod = TimeSpan.FromMinutes(5),
            // The handler watches the caller's token (not its own): it ends cancelled as soon as the stop is asked.
            Handlers = { ["t"] = async (ctx, ct) => { started.Set(); await Task.Delay(Timeout.Infinite, cts.Token); return null; } },
        });
        Task<WorkerRunSummary> run = worker.RunAsync(cts.Token);
        started.Within();
        cts.Cancel();
        WorkerRunSummary summary = await run.Within();

        Assert.Equal(1, summary.Released);
        Assert.Equal(0, summary.Retried + summary.Failed + summary.LeasesLost);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Queued, task.Status);
        Assert.Equal(0, task.Attempts);
    }

    [Fact]
    public async Task A_handler_ignoring_a_stop_is_abandoned_and_its_task_released()
    {
        using var db = NewDb();
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
        using var db = NewDb();
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
        using ITaskStore other = db.OpenAnother();
        long id = (await other.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        Assert.Equal(id, await ran.Task.Within());
        cts.Cancel();
        await run.Within();
    }
}

public sealed class WorkersStoppingTestsOnSqlite : WorkersStoppingTests
{
    protected override TestBackend Backend => TestBackend.Sqlite;
}

[Trait("Backend", "PostgreSQL")]
public sealed class WorkersStoppingTestsOnPostgres : WorkersStoppingTests
{
    protected override TestBackend Backend => TestBackend.Postgres;
}
