using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tests.Storage;
using Xunit;

namespace PrismQ.Tests;

/// <summary>An idle worker is woken by new work from another process, not by its poll.</summary>
public abstract class WorkersWakeTests : WorkersBackendTests
{
    [Fact]
    public async Task An_idle_worker_starts_a_task_another_process_enqueued_without_waiting_for_its_poll()
    {
        using var db = NewDb();
        var started = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var options = new WorkerOptions
        {
            // The worker's clock never moves, so its poll never comes: only a wake-up can start the task.
            TimeProvider = new WorkersManualClock(),
            FallbackHandler = (ctx, _) =>
            {
                started.TrySetResult(ctx.TaskId);
                return Task.FromResult<string?>(null);
            },
        };
        Task<WorkerRunSummary> run = new Worker(db.Store, options).RunAsync(stop.Token);
        // Let the worker make its first (empty) claim and settle into its wait.
        await WorkersTestDb.Until(async () => (await db.Store.ListWorkersAsync()).Count == 1, "the worker registered");
        await Task.Delay(200);

        using Process child = StorageTestHost.Start("enqueue-keys", db.Location, "other-process-", "1");
        (int exit, string _, string error) = await StorageTestHost.WaitAsync(child, WorkersTestDb.Patience);
        Assert.True(exit == 0, error);

        long id = await started.Task.Within();
        stop.Cancel();
        WorkerRunSummary summary = await run.Within();
        Assert.Equal(1, summary.Succeeded);
        Assert.Equal(TaskStatus.Succeeded, (await db.GetAsync(id)).Status);
    }
}

public sealed class WorkersWakeTestsOnSqlite : WorkersWakeTests
{
    protected override TestBackend Backend => TestBackend.Sqlite;
}

[Trait("Backend", "PostgreSQL")]
public sealed class WorkersWakeTestsOnPostgres : WorkersWakeTests
{
    protected override TestBackend Backend => TestBackend.Postgres;
}
