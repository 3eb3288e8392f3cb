using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>
/// A new attempt starts clean (no worker, progress, result or last error of an earlier one) and every failed attempt
/// is kept in the task's error history, across restarts, until the task is deleted.
/// </summary>
public sealed class StorageErrorHistoryTests
{
    private static readonly RetryPolicy NoDelay = new() { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, Jitter = 0 };

    private static async Task<TaskRecord> ClaimOne(ITaskStore store, string worker = "w1") =>
        (await store.ClaimAsync(new ClaimRequest(worker))).Single();

    [Fact]
    public async Task Failed_attempts_are_kept_in_order_and_a_restart_starts_clean_keeping_the_history()
    {
        var clock = new WorkersManualClock();
        using var db = new WorkersTestDb(NoDelay, clock);
        ITaskStore store = db.Store;
        long id = (await store.EnqueueAsync(new EnqueueRequest("t") { MaxAttempts = 2 })).Task.Id;

        TaskRecord first = await ClaimOne(store);
        await store.ReportProgressAsync(id, first.LeaseToken!.Value, 40, "halfway");
        DateTimeOffset firstAt = clock.GetUtcNow();
        await store.FailAsync(id, first.LeaseToken!.Value, new TaskError("boom 1", "System.IO.IOException", "at line 1"), NoDelay);
        TaskRecord waiting = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Queued, waiting.Status);
        Assert.Equal("boom 1", waiting.LastError!.Message); // readable while the retry waits
        Assert.Null(waiting.LeaseOwner);
        Assert.Null(waiting.ProgressPercent);
        Assert.Null(waiting.ProgressMessage);

        clock.Advance(TimeSpan.FromSeconds(5));
        TaskRecord second = await ClaimOne(store, "w2");
        Assert.Null(second.LastError); // a new attempt starts clean
        Assert.Null((await db.GetAsync(id)).LastError);
        await store.FailAsync(id, second.LeaseToken!.Value, new TaskError("boom 2", "PrismQ.Timeout"), NoDelay);
        TaskRecord failed = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Failed, failed.Status);
        Assert.Equal("w2", failed.LeaseOwner); // who ran it last, while it is failed
        Assert.Equal("boom 2", failed.LastError!.Message);

        Assert.True(await store.RetryAsync(id));
        TaskRecord restarted = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Queued, restarted.Status);
        Assert.Equal(0, restarted.Attempts);
        Assert.Null(restarted.LeaseOwner);
        Assert.Null(restarted.LastError);
        Assert.Null(restarted.Result);
        Assert.Null(restarted.ProgressPercent);
        Assert.Null(restarted.ProgressMessage);

        IReadOnlyList<TaskAttemptError> errors = restarted.Errors;
        Assert.Equal(2, errors.Count);
        Assert.Equal(1, errors[0].Attempt);
        Assert.Equal(firstAt, errors[0].At);
        Assert.Equal("boom 1", errors[0].Message);
        Assert.Equal("System.IO.IOException", errors[0].Type);
        Assert.Equal("at line 1", errors[0].Detail);
        Assert.Equal(2, errors[1].Attempt);
        Assert.Equal(firstAt + TimeSpan.FromSeconds(5), errors[1].At);
        Assert.Equal("PrismQ.Timeout", errors[1].Type);
        Assert.Null(errors[1].Detail);

        // After the restart the numbering starts again; the history grows.
        TaskRecord third = await ClaimOne(store);
        Assert.Equal(1, third.Attempts);
        await store.FailAsync(id, third.LeaseToken!.Value, new TaskError("boom 3"), NoDelay);
        Assert.Equal(new[] { "boom 1", "boom 2", "boom 3" }, (await db.GetAsync(id)).Errors.Select(e => e.Message));
    }

    [Fact]
    public async Task A_released_task_is_queued_without_the_worker_or_progress_of_the_given_back_attempt()
    {
        using var db = new WorkersTestDb(NoDelay);
        long id = (await db.Store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        TaskRecord claimed = await ClaimOne(db.Store);
        await db.Store.ReportProgressAsync(id, claimed.LeaseToken!.Value, 70, "nearly");

        Assert.Equal(LeaseOutcome.Applied, await db.Store.ReleaseAsync(id, claimed.LeaseToken!.Value));

        TaskRecord released = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Queued, released.Status);
        Assert.Equal(0, released.Attempts);
        Assert.Null(released.LeaseOwner);
        Assert.Null(released.ProgressPercent);
        Assert.Null(released.ProgressMessage);
        Assert.Empty(released.Errors); // a release is not a failure
    }

    [Fact]
    public async Task A_lease_taken_over_is_a_failed_attempt_in_the_history_and_marks_its_worker()
    {
        var clock = new WorkersManualClock();
        using var db = new WorkersTestDb(NoDelay, clock);
        ITaskStore store = db.Store;
        await store.RegisterWorkerAsync(new WorkerRecord { Id = "far", Host = "another-host", ProcessId = 1, StartedAt = clock.GetUtcNow(), LastHeartbeatAt = clock.GetUtcNow() });
        long id = (await store.EnqueueAsync(new EnqueueRequest("t") { MaxAttempts = 3 })).Task.Id;
        TaskRecord claimed = (await store.ClaimAsync(new ClaimRequest("far") { LeaseDuration = TimeSpan.FromSeconds(10) })).Single();
        await store.ReportProgressAsync(id, claimed.LeaseToken!.Value, 10, null);
        Assert.Equal(WorkerState.Alive, (await WorkerRegistry.ListAsync(store, timeProvider: clock)).Single().State);

        clock.Advance(TimeSpan.FromSeconds(11)); // the heartbeat is still fresh (30 s threshold), the lease is not
        ReclaimResult reclaimed = await store.ReclaimExpiredAsync();
        Assert.Equal(1, reclaimed.Requeued);

        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Queued, task.Status);
        Assert.Null(task.LeaseOwner);
        Assert.Null(task.ProgressPercent);
        TaskAttemptError lost = Assert.Single(task.Errors);
        Assert.Equal(1, lost.Attempt);
        Assert.Equal("PrismQ.LeaseExpired", lost.Type);

        WorkerInfo far = (await WorkerRegistry.ListAsync(store, timeProvider: clock)).Single();
        Assert.Equal(clock.GetUtcNow(), far.Record.TakenOverAt);
        Assert.Equal(WorkerState.Dead, far.State);

        // A worker that heartbeats after the takeover is alive again.
        clock.Advance(TimeSpan.FromSeconds(1));
        await store.HeartbeatWorkerAsync("far", Array.Empty<long>());
        Assert.Equal(WorkerState.Alive, (await WorkerRegistry.ListAsync(store, timeProvider: clock)).Single().State);
    }

    [Fact]
    public async Task Queries_carry_each_task_its_own_history_and_a_delete_removes_it()
    {
        using var db = new WorkersTestDb(NoDelay);
        ITaskStore store = db.Store;
        var ids = new List<long>();
        for (int i = 0; i < 4; i++) ids.Add((await store.EnqueueAsync(new EnqueueRequest("t") { MaxAttempts = 1 })).Task.Id);
        for (int i = 0; i < 4; i++)
        {
            TaskRecord c = (await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 1 })).Single();
            if (i % 2 == 0) await store.FailAsync(c.Id, c.LeaseToken!.Value, new TaskError("failed " + c.Id), NoDelay);
            else await store.CompleteAsync(c.Id, c.LeaseToken!.Value);
        }

        IReadOnlyList<TaskRecord> all = await store.QueryAsync(new TaskQuery());
        Assert.Equal(new[] { "failed " + ids[0] }, all.Single(t => t.Id == ids[0]).Errors.Select(e => e.Message));
        Assert.Empty(all.Single(t => t.Id == ids[1]).Errors);
        Assert.Equal(new[] { "failed " + ids[2] }, all.Single(t => t.Id == ids[2]).Errors.Select(e => e.Message));

        Assert.True(await store.DeleteAsync(ids[0]));
        using var connection = RawDb.Open(db.DbPath);
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM task_errors";
        Assert.Equal(1L, (long)count.ExecuteScalar()!);
    }
}
