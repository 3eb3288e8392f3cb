using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests;

/// <summary>The worker engine: running handlers, results, failures, timeouts, batching.</summary>
public abstract class WorkersTests : WorkersBackendTests
{
    private static WorkerOptions Options(string type, Func<TaskContext, CancellationToken, Task<string?>> handler, int concurrency = 1, int? maxTasks = null) =>
        new() { Concurrency = concurrency, MaxTasks = maxTasks, Handlers = { [type] = handler } };

    [Fact]
    public async Task Processes_every_task_once_with_its_result()
    {
        using var db = NewDb();
        var ids = new List<long>();
        for (int i = 0; i < 200; i++) ids.Add(await db.EnqueueAsync("echo", "{\"n\":" + i + "}"));
        var seen = new ConcurrentDictionary<long, int>();
        var worker = new Worker(db.Store, Options("echo", (ctx, ct) =>
        {
            seen.AddOrUpdate(ctx.TaskId, 1, (_, n) => n + 1);
            return Task.FromResult<string?>(ctx.Payload);
        }, concurrency: 4, maxTasks: 200));

        WorkerRunSummary summary = await worker.RunAsync().Within();

        Assert.Equal(WorkerStopReason.MaxTasks, summary.StopReason);
        Assert.Equal(200, summary.Succeeded);
        Assert.Equal(200, summary.Processed);
        Assert.All(seen.Values, n => Assert.Equal(1, n));
        for (int i = 0; i < ids.Count; i++)
        {
            TaskRecord task = await db.GetAsync(ids[i]);
            Assert.Equal(TaskStatus.Succeeded, task.Status);
            Assert.Equal("{\"n\":" + i + "}", task.Result);
            Assert.Equal(1, task.Attempts);
        }
    }

    [Fact]
    public async Task Runs_up_to_its_concurrency_and_never_more()
    {
        using var db = NewDb();
        for (int i = 0; i < 12; i++) await db.EnqueueAsync("t");
        int running = 0, peak = 0;
        using var allThree = new CountdownEvent(3);
        var worker = new Worker(db.Store, Options("t", async (ctx, ct) =>
        {
            int now = Interlocked.Increment(ref running);
            int seenPeak;
            while ((seenPeak = Volatile.Read(ref peak)) < now && Interlocked.CompareExchange(ref peak, now, seenPeak) != seenPeak) { }
            if (!allThree.IsSet) allThree.Signal();
            // The first three wait until three run at once: proves the worker reaches its concurrency.
            await Task.Run(() => allThree.Wait(WorkersTestDb.Patience));
            Interlocked.Decrement(ref running);
            return null;
        }, concurrency: 3, maxTasks: 12));

        WorkerRunSummary summary = await worker.RunAsync().Within();

        Assert.Equal(12, summary.Succeeded);
        Assert.Equal(3, peak);
    }

    [Fact]
    public async Task A_throwing_handler_is_retried_then_dead_lettered_with_its_error()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("boom", maxAttempts: 3);
        var attempts = new ConcurrentBag<int>();
        var worker = new Worker(db.Store, Options("boom", (ctx, ct) =>
        {
            attempts.Add(ctx.Attempt);
            throw new InvalidOperationException("broken on attempt " + ctx.Attempt);
        }, maxTasks: 3));

        WorkerRunSummary summary = await worker.RunAsync().Within();

        Assert.Equal(2, summary.Retried);
        Assert.Equal(1, summary.Failed);
        Assert.Equal(new[] { 1, 2, 3 }, attempts.OrderBy(a => a));
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Failed, task.Status);
        Assert.Equal(3, task.Attempts);
        Assert.Equal("broken on attempt 3", task.LastError!.Message);
        Assert.Equal(typeof(InvalidOperationException).FullName, task.LastError.Type);
        Assert.Contains("InvalidOperationException", task.LastError.Detail);
    }

    [Fact]
    public async Task A_type_without_handler_fails_with_NoHandler_and_is_not_claimed_in_a_loop()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("nobody-handles-this", maxAttempts: 2);
        var worker = new Worker(db.Store, new WorkerOptions { Handlers = { ["other"] = (c, t) => Task.FromResult<string?>(null) }, IdleTimeout = TimeSpan.FromMilliseconds(300) });

        WorkerRunSummary summary = await worker.RunAsync().Within();

        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Failed, task.Status);
        Assert.Equal(2, task.Attempts);
        Assert.Equal("PrismQ.NoHandler", task.LastError!.Type);
        Assert.Contains("'nobody-handles-this'", task.LastError.Message);
        Assert.Equal(2, summary.Processed);
        Assert.Equal(WorkerStopReason.IdleTimeout, summary.StopReason);
    }

    [Fact]
    public async Task The_fallback_handler_runs_types_without_their_own()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("anything");
        var worker = new Worker(db.Store, new WorkerOptions { MaxTasks = 1, FallbackHandler = (ctx, ct) => Task.FromResult<string?>("\"fallback:" + ctx.Type + "\"") });
        await worker.RunAsync().Within();
        Assert.Equal("\"fallback:anything\"", (await db.GetAsync(id)).Result);
    }

    [Fact]
    public async Task A_result_that_is_not_JSON_fails_the_attempt()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t", maxAttempts: 1);
        var worker = new Worker(db.Store, Options("t", (c, t) => Task.FromResult<string?>("not json {"), maxTasks: 1));
        WorkerRunSummary summary = await worker.RunAsync().Within();
        Assert.Equal(1, summary.Failed);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Failed, task.Status);
        Assert.Equal("PrismQ.InvalidPayload", task.LastError!.Type);
    }

    [Fact]
    public async Task A_result_the_store_accepts_is_accepted_by_the_worker_too()
    {
        // 100 levels of nesting: valid by the store's JSON rules (depth up to 256), beyond JsonDocument's default of 64.
        string deep = new string('[', 100) + new string(']', 100);
        using var db = NewDb();
        long id = await db.EnqueueAsync("t", maxAttempts: 1);
        var worker = new Worker(db.Store, Options("t", (c, t) => Task.FromResult<string?>(deep), maxTasks: 1));
        WorkerRunSummary summary = await worker.RunAsync().Within();
        Assert.Equal(1, summary.Succeeded);
        Assert.Equal(deep, (await db.GetAsync(id)).Result);
    }

    [Fact]
    public async Task A_handler_past_its_timeout_is_cancelled_and_the_attempt_fails_with_a_timeout()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("slow", maxAttempts: 1, timeout: TimeSpan.FromMilliseconds(200));
        bool sawCancel = false;
        var worker = new Worker(db.Store, Options("slow", async (ctx, ct) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                sawCancel = true;
                throw;
            }
            return null;
        }, maxTasks: 1));

        WorkerRunSummary summary = await worker.RunAsync().Within();

        Assert.True(sawCancel);
        Assert.Equal(1, summary.Failed);
        Assert.Equal(1, summary.TimedOut);
        Assert.Equal(0, summary.Abandoned);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Failed, task.Status);
        Assert.Equal("PrismQ.Timeout", task.LastError!.Type);
    }

    [Fact]
    public async Task A_handler_ignoring_cancellation_is_abandoned_after_the_grace_period()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("stuck", maxAttempts: 1, timeout: TimeSpan.FromMilliseconds(100));
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var worker = new Worker(db.Store, new WorkerOptions
        {
            MaxTasks = 1,
            GracePeriod = TimeSpan.FromMilliseconds(100),
            Handlers = { ["stuck"] = (ctx, ct) => { started.Set(); release.Wait(); return Task.FromResult<string?>("\"late\""); } },
        });

        try
        {
            WorkerRunSummary summary = await worker.RunAsync().Within();

            Assert.True(started.IsSet);
            Assert.False(release.IsSet); // the handler is still blocked: the worker stopped without it
            Assert.Equal(1, summary.Abandoned);
            Assert.Equal(1, summary.TimedOut);
            TaskRecord task = await db.GetAsync(id);
            Assert.Equal(TaskStatus.Failed, task.Status);
            Assert.Contains("abandoned", task.LastError!.Message);
            Assert.Null(task.Result);
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public async Task The_first_claim_is_sized_to_free_slots_and_completions_are_batched()
    {
        using var db = NewDb();
        for (int i = 0; i < 64; i++) await db.EnqueueAsync("t");
        var counting = new CountingStore(db.Store);
        using var firstWave = new CountdownEvent(16);
        var worker = new Worker(counting, Options("t", async (ctx, ct) =>
        {
            if (!firstWave.IsSet) firstWave.Signal();
            await Task.Run(() => firstWave.Wait(WorkersTestDb.Patience));
            return null;
        }, concurrency: 16, maxTasks: 64));

        WorkerRunSummary summary = await worker.RunAsync().Within();

        Assert.Equal(64, summary.Succeeded);
        Assert.Equal(16, counting.FirstClaimSize);
        Assert.True(counting.Claims < 64, $"{counting.Claims} claims for 64 tasks");
        Assert.True(counting.TransitionWrites < 64, $"{counting.TransitionWrites} transactions for 64 completions");
        Assert.Equal(64, counting.TransitionItems);
    }

    [Fact]
    public async Task Trace_events_mark_claim_start_complete_and_user_events()
    {
        using var db = NewDb();
        await db.EnqueueAsync("t");
        var tracer = new CountingTraceEmitter();
        var worker = new Worker(db.Store, new WorkerOptions
        {
            MaxTasks = 1,
            Tracer = tracer,
            Handlers = { ["t"] = (ctx, ct) => { ctx.TraceEvent("hello from the handler", 7); return Task.FromResult<string?>(null); } },
        });
        await worker.RunAsync().Within();
        Assert.Equal(1, tracer.Count(TraceEventKind.Claim));
        Assert.Equal(1, tracer.Count(TraceEventKind.Start));
        Assert.Equal(1, tracer.Count(TraceEventKind.Complete));
        Assert.Equal(1, tracer.Count(TraceEventKind.User));
        Assert.Equal(1, tracer.Opened);
        Assert.Equal(1, tracer.Closed);
        Assert.Contains("hello from the handler", tracer.UserMessages);
    }

    [Fact]
    public async Task The_context_carries_the_task()
    {
        using var db = NewDb();
        EnqueueResult enqueued = await db.Store.EnqueueAsync(new EnqueueRequest("ctx", "{\"a\":1}") { Queue = "q1", Priority = 5, MaxAttempts = 4 });
        TaskContext? seen = null;
        var worker = new Worker(db.Store, new WorkerOptions
        {
            Queues = new[] { "q1" },
            MaxTasks = 1,
            WorkerId = "ctx-worker",
            Handlers = { ["ctx"] = (ctx, ct) => { seen = ctx; return Task.FromResult<string?>(null); } },
        });
        await worker.RunAsync().Within();
        Assert.NotNull(seen);
        Assert.Equal(enqueued.Task.Id, seen!.TaskId);
        Assert.Equal("q1", seen.Queue);
        Assert.Equal("ctx", seen.Type);
        Assert.Equal("{\"a\":1}", seen.Payload);
        Assert.Equal(5, seen.Priority);
        Assert.Equal(1, seen.Attempt);
        Assert.Equal(4, seen.MaxAttempts);
        Assert.Equal("ctx-worker", seen.WorkerId);
        Assert.Equal("ctx-worker", (await db.GetAsync(enqueued.Task.Id)).LeaseOwner);
    }
}

public sealed class WorkersTestsOnSqlite : WorkersTests
{
    protected override TestBackend Backend => TestBackend.Sqlite;
}

[Trait("Backend", "PostgreSQL")]
public sealed class WorkersTestsOnPostgres : WorkersTests
{
    protected override TestBackend Backend => TestBackend.Postgres;
}
