using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Workers;
using Xunit;

namespace PrismQ.Tests;

/// <summary>Prefetch (claims ahead of free slots) and group commit (many outcomes per transaction), and their stops.</summary>
public abstract class WorkersPrefetchTests : WorkersBackendTests
{
    private const int FastCalls = 100;

    private static readonly Task<string?> NoResult = Task.FromResult<string?>(null);

    /// <summary>
    /// A handler that records each task it runs; the first <see cref="FastCalls"/> calls return at once (so the worker
    /// learns to prefetch: enough of them that a slow first call, on a loaded machine, no longer weighs in its average
    /// handler time), the next one sets <paramref name="blocked"/> and holds its slot until its token fires.
    /// </summary>
    private static Func<TaskContext, CancellationToken, Task<string?>> FastThenBlocking(ConcurrentDictionary<long, bool> ran, ManualResetEventSlim blocked)
    {
        int calls = 0;
        return async (ctx, ct) =>
        {
            ran[ctx.TaskId] = true;
            if (Interlocked.Increment(ref calls) == FastCalls + 1)
            {
                blocked.Set();
                await Task.Delay(Timeout.Infinite, ct);
            }
            return null;
        };
    }

    /// <summary>
    /// Waits until the worker holds tasks it has claimed but not started (its one slot blocked, it claims ahead once its
    /// claim in flight, if any, has come back), and returns them.
    /// </summary>
    private static async Task<TaskRecord[]> PrefetchedAsync(WorkersTestDb db, ConcurrentDictionary<long, bool> ran)
    {
        TaskRecord[] prefetched = Array.Empty<TaskRecord>();
        await WorkersTestDb.Until(async () =>
        {
            prefetched = (await db.Store.QueryAsync(new TaskQuery { Filter = new TaskFilter { Statuses = new[] { TaskStatus.Running } }, Limit = 1000 }))
                .Where(t => !ran.ContainsKey(t.Id)).ToArray();
            return prefetched.Length > 0;
        }, "the worker prefetches at concurrency 1");
        return prefetched;
    }

    [Fact]
    public async Task At_concurrency_1_fast_handlers_are_claimed_and_completed_in_batches()
    {
        using var db = NewDb();
        await db.Store.EnqueueManyAsync(Enumerable.Range(0, 400).Select(_ => new EnqueueRequest("t")));
        var counting = new CountingStore(db.Store);
        var options = new WorkerOptions { Concurrency = 1, MaxTasks = 400, Handlers = { ["t"] = (_, _) => NoResult } };

        WorkerRunSummary summary = await new Worker(counting, options).RunAsync().Within();

        Assert.Equal(400, summary.Succeeded);
        // Without prefetch a worker at concurrency 1 claims one task at a time: 400 claims and 400 writes.
        Assert.True(counting.Claims <= 40, $"{counting.Claims} claims for 400 tasks at concurrency 1");
        Assert.True(counting.TransitionWrites <= 200, $"{counting.TransitionWrites} transactions for 400 completions");
        Assert.Equal(400, counting.TransitionItems);
    }

    [Fact]
    public async Task Without_prefetch_a_worker_at_concurrency_1_claims_one_task_at_a_time()
    {
        using var db = NewDb();
        await db.Store.EnqueueManyAsync(Enumerable.Range(0, 30).Select(_ => new EnqueueRequest("t")));
        var counting = new CountingStore(db.Store);
        var options = new WorkerOptions { Concurrency = 1, MaxTasks = 30, Prefetch = 0, Handlers = { ["t"] = (_, _) => NoResult } };

        WorkerRunSummary summary = await new Worker(counting, options).RunAsync().Within();

        Assert.Equal(30, summary.Succeeded);
        Assert.Equal(30, counting.Claims);
    }

    [Fact]
    public async Task Slow_handlers_are_not_prefetched()
    {
        using var db = NewDb();
        await db.Store.EnqueueManyAsync(Enumerable.Range(0, 8).Select(_ => new EnqueueRequest("t")));
        var counting = new CountingStore(db.Store);
        // Each handler takes at least 20 ms: more than Concurrency x 5 ms, so nothing is worth holding ahead.
        var options = new WorkerOptions { Concurrency = 1, MaxTasks = 8, Handlers = { ["t"] = async (_, ct) => { await Task.Delay(20, ct); return null; } } };

        WorkerRunSummary summary = await new Worker(counting, options).RunAsync().Within();

        Assert.Equal(8, summary.Succeeded);
        Assert.Equal(8, counting.Claims);
        Assert.Equal(1, counting.FirstClaimSize);
    }

    [Fact]
    public async Task A_stop_gives_prefetched_tasks_back_uncounted_and_their_handlers_never_run()
    {
        using var db = NewDb();
        await db.Store.EnqueueManyAsync(Enumerable.Range(0, 300).Select(_ => new EnqueueRequest("t")));
        using var blocked = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        var ran = new ConcurrentDictionary<long, bool>();
        var options = new WorkerOptions
        {
            Concurrency = 1,
            GracePeriod = TimeSpan.FromSeconds(1),
            Handlers = { ["t"] = FastThenBlocking(ran, blocked) },
        };
        var worker = new Worker(db.Store, options);
        Task<WorkerRunSummary> run = worker.RunAsync(stop.Token);
        blocked.Within();
        // The worker now holds tasks it has claimed but not started (and claims no more while it holds them).
        int prefetched = (await PrefetchedAsync(db, ran)).Length;

        stop.Cancel();
        WorkerRunSummary summary = await run.Within();

        Assert.Equal(WorkerStopReason.Cancelled, summary.StopReason);
        Assert.True(summary.Succeeded == FastCalls && summary.Released == prefetched + 1, $"{summary}; {prefetched} prefetched at the stop");
        QueueStats stats = (await db.Store.GetQueueStatsAsync()).Single();
        Assert.Equal(0, stats.Running);
        Assert.Equal(300 - FastCalls, stats.Queued);
        foreach (TaskRecord t in await db.Store.QueryAsync(new TaskQuery { Filter = new TaskFilter { Statuses = new[] { TaskStatus.Queued } }, Limit = 1000 }))
        {
            Assert.Equal(0, t.Attempts); // released attempts are not counted
            Assert.Null(t.LeaseOwner);
        }
        Assert.Equal(FastCalls + 1, ran.Count);
    }

    [Fact]
    public async Task A_user_cancel_of_a_prefetched_task_cancels_it_without_running_its_handler()
    {
        using var db = NewDb();
        await db.Store.EnqueueManyAsync(Enumerable.Range(0, 300).Select(_ => new EnqueueRequest("t")));
        using var blocked = new ManualResetEventSlim();
        using var stop = new CancellationTokenSource();
        var ran = new ConcurrentDictionary<long, bool>();
        var cancelled = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new WorkerOptions
        {
            Concurrency = 1,
            LeaseDuration = TimeSpan.FromSeconds(30), // a lease that cannot expire under load;
            HeartbeatFraction = 0.01,                  // a heartbeat every 300 ms reads the cancel all the same
            Handlers = { ["t"] = FastThenBlocking(ran, blocked) },
            AttemptEnded = end =>
            {
                if (end.Outcome == AttemptOutcome.Cancelled) cancelled.TrySetResult(end.TaskId);
            },
        };
        Task<WorkerRunSummary> run = new Worker(db.Store, options).RunAsync(stop.Token);
        blocked.Within();
        TaskRecord held = (await PrefetchedAsync(db, ran))[0];

        Assert.Equal(CancelOutcome.CancelRequested, await db.Store.CancelAsync(held.Id));
        Assert.Equal(held.Id, await cancelled.Task.Within());
        stop.Cancel();
        await run.Within();

        Assert.Equal(TaskStatus.Cancelled, (await db.GetAsync(held.Id)).Status);
        Assert.False(ran.ContainsKey(held.Id));
    }

    [Fact]
    public async Task Prefetch_and_completion_window_are_validated()
    {
        using var db = NewDb();
        var bad = new[]
        {
            new WorkerOptions { Prefetch = -1, Handlers = { ["t"] = (_, _) => NoResult } },
            new WorkerOptions { Prefetch = 1001, Handlers = { ["t"] = (_, _) => NoResult } },
            new WorkerOptions { CompletionWindow = TimeSpan.FromSeconds(2), Handlers = { ["t"] = (_, _) => NoResult } },
            new WorkerOptions { CompletionWindow = TimeSpan.FromMilliseconds(-1), Handlers = { ["t"] = (_, _) => NoResult } },
        };
        foreach (WorkerOptions options in bad)
        {
            var e = Assert.Throws<PrismQException>(() => new Worker(db.Store, options));
            Assert.Equal(PrismQErrorCode.InvalidOption, e.Code);
        }
        await Task.CompletedTask;
    }
}

public sealed class WorkersPrefetchTestsOnSqlite : WorkersPrefetchTests
{
    protected override TestBackend Backend => TestBackend.Sqlite;
}

[Trait("Backend", "PostgreSQL")]
public sealed class WorkersPrefetchTestsOnPostgres : WorkersPrefetchTests
{
    protected override TestBackend Backend => TestBackend.Postgres;
}
