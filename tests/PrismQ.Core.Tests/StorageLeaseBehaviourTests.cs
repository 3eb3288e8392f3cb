using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>Enqueue, get, claim, extend, complete, fail, release, reclaim, cancel, retry, delete: any store.</summary>
public abstract class StorageLeaseBehaviourTests : StoreTestBase
{
    private static ClaimRequest Claim(string worker = "w1", int max = 1, params string[] queues) =>
        new(worker) { MaxCount = max, Queues = queues.Length == 0 ? new[] { QueueNames.Default } : queues };

    [Fact]
    public async Task Enqueue_then_get_returns_the_stored_task()
    {
        ITaskStore store = Open();
        EnqueueResult r = await store.EnqueueAsync(new EnqueueRequest("email", "{\"to\":\"a@b\"}") { Priority = 3, MaxAttempts = 2, Timeout = TimeSpan.FromMinutes(1) });
        Assert.True(r.Created);
        TaskRecord? t = await store.GetAsync(r.Task.Id);
        Assert.NotNull(t);
        Assert.Equal("email", t!.Type);
        Assert.Equal("{\"to\":\"a@b\"}", t.Payload);
        Assert.Equal(QueueNames.Default, t.Queue);
        Assert.Equal(3, t.Priority);
        Assert.Equal(2, t.MaxAttempts);
        Assert.Equal(TimeSpan.FromMinutes(1), t.Timeout);
        Assert.Equal(TaskStatus.Queued, t.Status);
        Assert.Equal(0, t.Attempts);
        Assert.Equal(Clock.GetUtcNow(), t.CreatedAt);
        Assert.Equal(Clock.GetUtcNow(), t.NotBefore);
        Assert.Null(t.LeaseToken);
        Assert.Equal(r.Task.Id, t.Id);
        Assert.Null(await store.GetAsync(r.Task.Id + 1000));
    }

    [Fact]
    public async Task Null_payload_is_stored_as_json_null()
    {
        ITaskStore store = Open();
        EnqueueResult r = await store.EnqueueAsync(new EnqueueRequest("t"));
        Assert.Equal("null", (await store.GetAsync(r.Task.Id))!.Payload);
    }

    [Fact]
    public async Task Claim_leases_the_task_and_complete_finishes_it()
    {
        ITaskStore store = Open();
        long id = (await store.EnqueueAsync(new EnqueueRequest("t", "1"))).Task.Id;
        IReadOnlyList<TaskRecord> claimed = await store.ClaimAsync(Claim());
        TaskRecord c = Assert.Single(claimed);
        Assert.Equal(id, c.Id);
        Assert.Equal(TaskStatus.Running, c.Status);
        Assert.Equal(1, c.Attempts);
        Assert.Equal("w1", c.LeaseOwner);
        Assert.NotNull(c.LeaseToken);
        Assert.Equal(Clock.GetUtcNow() + TimeSpan.FromSeconds(30), c.LeaseExpiresAt);
        Assert.Empty(await store.ClaimAsync(Claim("w2")));

        Assert.Equal(LeaseOutcome.Applied, await store.CompleteAsync(id, c.LeaseToken!.Value, "{\"ok\":true}"));
        TaskRecord done = (await store.GetAsync(id))!;
        Assert.Equal(TaskStatus.Succeeded, done.Status);
        Assert.Equal("{\"ok\":true}", done.Result);
        Assert.Equal(Clock.GetUtcNow(), done.FinishedAt);
        Assert.Null(done.LeaseToken);
        Assert.Equal(LeaseOutcome.LeaseLost, await store.CompleteAsync(id, c.LeaseToken!.Value));
    }

    [Fact]
    public async Task Each_claim_issues_a_different_token_and_a_stale_token_changes_nothing()
    {
        ITaskStore store = Open();
        long id = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        TaskRecord first = (await store.ClaimAsync(Claim())).Single();
        Assert.Equal(LeaseOutcome.Applied, await store.ReleaseAsync(id, first.LeaseToken!.Value));
        TaskRecord second = (await store.ClaimAsync(Claim("w2"))).Single();
        Assert.NotEqual(first.LeaseToken, second.LeaseToken);

        LeaseToken stale = first.LeaseToken!.Value;
        Assert.Equal(LeaseOutcome.LeaseLost, await store.CompleteAsync(id, stale));
        Assert.Equal(FailOutcome.LeaseLost, (await store.FailAsync(id, stale, new TaskError("x"))).Outcome);
        Assert.Equal(LeaseOutcome.LeaseLost, (await store.ExtendLeaseAsync(id, stale, TimeSpan.FromSeconds(10))).Outcome);
        Assert.Equal(LeaseOutcome.LeaseLost, await store.ReleaseAsync(id, stale));
        Assert.Equal(LeaseOutcome.LeaseLost, await store.ReportProgressAsync(id, stale, 50, "half"));
        Assert.Equal(LeaseOutcome.LeaseLost, await store.CompleteAsync(id, LeaseToken.NewToken()));

        TaskRecord now = (await store.GetAsync(id))!;
        Assert.Equal(TaskStatus.Running, now.Status);
        Assert.Equal(second.LeaseToken, now.LeaseToken);
        Assert.Equal("w2", now.LeaseOwner);
        Assert.Null(now.ProgressPercent);
        Assert.Equal(second.LeaseExpiresAt, now.LeaseExpiresAt);
    }

    [Fact]
    public async Task Extend_moves_the_expiry_and_reports_a_cancel_request()
    {
        ITaskStore store = Open();
        long id = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        TaskRecord c = (await store.ClaimAsync(Claim())).Single();
        Clock.Advance(TimeSpan.FromSeconds(20));
        ExtendResult e = await store.ExtendLeaseAsync(id, c.LeaseToken!.Value, TimeSpan.FromMinutes(2));
        Assert.Equal(LeaseOutcome.Applied, e.Outcome);
        Assert.False(e.CancelRequested);
        Assert.Equal(Clock.GetUtcNow() + TimeSpan.FromMinutes(2), e.ExpiresAt);
        Assert.Equal(e.ExpiresAt, (await store.GetAsync(id))!.LeaseExpiresAt);

        Assert.Equal(CancelOutcome.CancelRequested, await store.CancelAsync(id));
        ExtendResult e2 = await store.ExtendLeaseAsync(id, c.LeaseToken!.Value, TimeSpan.FromMinutes(2));
        Assert.True(e2.CancelRequested);
        Assert.Equal(TaskStatus.Running, (await store.GetAsync(id))!.Status);
    }

    [Fact]
    public async Task Progress_is_stored_under_the_current_lease()
    {
        ITaskStore store = Open();
        long id = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        TaskRecord c = (await store.ClaimAsync(Claim())).Single();
        Assert.Equal(LeaseOutcome.Applied, await store.ReportProgressAsync(id, c.LeaseToken!.Value, 40, "reading"));
        Assert.Equal(LeaseOutcome.Applied, await store.ReportProgressAsync(id, c.LeaseToken!.Value, 60, null));
        TaskRecord t = (await store.GetAsync(id))!;
        Assert.Equal(60, t.ProgressPercent);
        Assert.Equal("reading", t.ProgressMessage);
    }

    [Fact]
    public async Task Fail_requeues_with_backoff_until_attempts_are_used_up()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(10), Factor = 3, MaxDelay = TimeSpan.FromHours(1), Jitter = 0 };
        ITaskStore store = Open(new StoreSettings { Clock = Clock, RetryPolicy = policy });
        long id = (await store.EnqueueAsync(new EnqueueRequest("t") { MaxAttempts = 3 })).Task.Id;

        TaskRecord c1 = (await store.ClaimAsync(Claim())).Single();
        FailResult f1 = await store.FailAsync(id, c1.LeaseToken!.Value, new TaskError("boom", "System.Exception", "at x"));
        Assert.Equal(FailOutcome.RetryScheduled, f1.Outcome);
        Assert.Equal(Clock.GetUtcNow() + TimeSpan.FromSeconds(10), f1.RetryAt);
        TaskRecord t = (await store.GetAsync(id))!;
        Assert.Equal(TaskStatus.Queued, t.Status);
        Assert.Equal(1, t.Attempts);
        Assert.Equal("boom", t.LastError!.Message);
        Assert.Equal("System.Exception", t.LastError.Type);
        Assert.Equal("at x", t.LastError.Detail);
        Assert.Null(t.LeaseToken);

        Assert.Empty(await store.ClaimAsync(Claim()));
        Clock.Advance(TimeSpan.FromSeconds(10));
        TaskRecord c2 = (await store.ClaimAsync(Claim())).Single();
        Assert.Equal(2, c2.Attempts);
        FailResult f2 = await store.FailAsync(id, c2.LeaseToken!.Value, new TaskError("boom2"));
        Assert.Equal(Clock.GetUtcNow() + TimeSpan.FromSeconds(30), f2.RetryAt);

        Clock.Advance(TimeSpan.FromSeconds(30));
        TaskRecord c3 = (await store.ClaimAsync(Claim())).Single();
        FailResult f3 = await store.FailAsync(id, c3.LeaseToken!.Value, new TaskError("boom3"));
        Assert.Equal(FailOutcome.Failed, f3.Outcome);
        Assert.Null(f3.RetryAt);
        TaskRecord dead = (await store.GetAsync(id))!;
        Assert.Equal(TaskStatus.Failed, dead.Status);
        Assert.Equal(3, dead.Attempts);
        Assert.Equal("boom3", dead.LastError!.Message);
        Assert.NotNull(dead.FinishedAt);
        Clock.Advance(TimeSpan.FromHours(2));
        Assert.Empty(await store.ClaimAsync(Claim()));
    }

    [Fact]
    public async Task Fail_of_a_cancel_requested_task_cancels_it()
    {
        ITaskStore store = Open();
        long id = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        TaskRecord c = (await store.ClaimAsync(Claim())).Single();
        await store.CancelAsync(id);
        Assert.Equal(FailOutcome.Cancelled, (await store.FailAsync(id, c.LeaseToken!.Value, new TaskError("stopped"))).Outcome);
        Assert.Equal(TaskStatus.Cancelled, (await store.GetAsync(id))!.Status);
    }

    [Fact]
    public async Task Release_gives_the_task_back_without_counting_the_attempt()
    {
        ITaskStore store = Open();
        long id = (await store.EnqueueAsync(new EnqueueRequest("t") { MaxAttempts = 1 })).Task.Id;
        for (int i = 0; i < 3; i++)
        {
            TaskRecord c = (await store.ClaimAsync(Claim())).Single();
            Assert.Equal(1, c.Attempts);
            Assert.Equal(LeaseOutcome.Applied, await store.ReleaseAsync(id, c.LeaseToken!.Value));
            TaskRecord t = (await store.GetAsync(id))!;
            Assert.Equal(TaskStatus.Queued, t.Status);
            Assert.Equal(0, t.Attempts);
        }
    }

    [Fact]
    public async Task Release_of_a_cancel_requested_task_cancels_it()
    {
        ITaskStore store = Open();
        long id = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        TaskRecord c = (await store.ClaimAsync(Claim())).Single();
        await store.CancelAsync(id);
        Assert.Equal(LeaseOutcome.Applied, await store.ReleaseAsync(id, c.LeaseToken!.Value));
        Assert.Equal(TaskStatus.Cancelled, (await store.GetAsync(id))!.Status);
    }

    [Fact]
    public async Task Reclaim_takes_back_expired_leases_counting_the_attempt()
    {
        ITaskStore store = Open();
        long a = (await store.EnqueueAsync(new EnqueueRequest("t") { MaxAttempts = 2 })).Task.Id;
        long b = (await store.EnqueueAsync(new EnqueueRequest("t") { MaxAttempts = 1 })).Task.Id;
        IReadOnlyList<TaskRecord> claimed = await store.ClaimAsync(Claim(max: 2));
        Assert.Equal(2, claimed.Count);

        Clock.Advance(TimeSpan.FromSeconds(30));
        ReclaimResult none = await store.ReclaimExpiredAsync();
        Assert.Equal(0, none.Requeued + none.Failed);

        Clock.Advance(TimeSpan.FromMilliseconds(1));
        ReclaimResult r = await store.ReclaimExpiredAsync();
        Assert.Equal(1, r.Requeued);
        Assert.Equal(1, r.Failed);
        TaskRecord ta = (await store.GetAsync(a))!;
        Assert.Equal(TaskStatus.Queued, ta.Status);
        Assert.Equal(1, ta.Attempts);
        Assert.NotNull(ta.LastError);
        Assert.Equal(TaskStatus.Failed, (await store.GetAsync(b))!.Status);

        Assert.Equal(LeaseOutcome.LeaseLost, await store.CompleteAsync(a, claimed.Single(t => t.Id == a).LeaseToken!.Value));
        TaskRecord again = (await store.ClaimAsync(Claim())).Single();
        Assert.Equal(a, again.Id);
        Assert.Equal(2, again.Attempts);
    }

    [Fact]
    public async Task A_rescue_leaves_a_lease_its_holder_renewed_between_the_rescue_s_read_and_its_write()
    {
        ITaskStore store = Open();
        long id = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        LeaseToken token = (await store.ClaimAsync(Claim())).Single().LeaseToken!.Value;
        Clock.Advance(TimeSpan.FromSeconds(31));
        HeldLease expired = Assert.Single(await store.GetLeasesAsync(expiredOnly: true));
        Assert.Equal(id, expired.Id);

        // The holder's heartbeat lands between the rescue's read and its write.
        Assert.Equal(LeaseOutcome.Applied, (await store.ExtendLeaseAsync(id, token, TimeSpan.FromSeconds(30))).Outcome);
        LeaseTransition rescue = Workers.AttemptRules.Rescued(expired, "expired").IfExpired();
        TransitionResult written = Assert.Single(await store.ApplyTransitionsAsync(new[] { rescue }));

        Assert.Equal(LeaseOutcome.LeaseLost, written.Outcome);
        Assert.Equal(TaskStatus.Running, (await store.GetAsync(id))!.Status);
        Assert.Equal(LeaseOutcome.Applied, await store.CompleteAsync(id, token));
    }

    [Fact]
    public async Task A_pending_cancel_wins_over_a_retry_and_a_release_but_not_over_a_success()
    {
        ITaskStore store = Open();
        for (int i = 0; i < 3; i++) await store.EnqueueAsync(new EnqueueRequest("t"));
        IReadOnlyList<TaskRecord> claimed = await store.ClaimAsync(Claim(max: 3));
        foreach (TaskRecord t in claimed) Assert.Equal(CancelOutcome.CancelRequested, await store.CancelAsync(t.Id));

        IReadOnlyList<TransitionResult> written = await store.ApplyTransitionsAsync(new[]
        {
            LeaseTransition.Retry(claimed[0].Id, claimed[0].LeaseToken!.Value, new TaskError("boom"), TimeSpan.FromSeconds(5)),
            LeaseTransition.Release(claimed[1].Id, claimed[1].LeaseToken!.Value),
            LeaseTransition.Succeed(claimed[2].Id, claimed[2].LeaseToken!.Value, "1"),
        });

        Assert.Equal(new[] { TaskStatus.Cancelled, TaskStatus.Cancelled, TaskStatus.Succeeded }, written.Select(w => w.Status));
        Assert.All(written, w => Assert.Equal(LeaseOutcome.Applied, w.Outcome));
        Assert.Equal("boom", Assert.Single((await store.GetAsync(claimed[0].Id))!.Errors).Message);
        Assert.Equal(TaskStatus.Succeeded, (await store.GetAsync(claimed[2].Id))!.Status);
    }

    [Fact]
    public async Task Reclaim_worker_takes_back_only_that_workers_leases_whatever_the_expiry()
    {
        ITaskStore store = Open();
        long a = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        long b = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        await store.ClaimAsync(Claim("dead"));
        await store.ClaimAsync(Claim("alive"));
        ReclaimResult r = await store.ReclaimWorkerAsync("dead");
        Assert.Equal(1, r.Requeued);
        Assert.Equal(TaskStatus.Queued, (await store.GetAsync(a))!.Status);
        Assert.Equal(TaskStatus.Running, (await store.GetAsync(b))!.Status);
    }

    [Fact]
    public async Task Complete_many_applies_each_and_reports_lost_leases_in_order()
    {
        ITaskStore store = Open();
        for (int i = 0; i < 5; i++) await store.EnqueueAsync(new EnqueueRequest("t"));
        IReadOnlyList<TaskRecord> claimed = await store.ClaimAsync(Claim(max: 5));
        Assert.Equal(5, claimed.Count);
        var items = claimed.Select(t => new TaskCompletion(t.Id, t.LeaseToken!.Value, "1")).ToList();
        items[2] = new TaskCompletion(claimed[2].Id, LeaseToken.NewToken());
        IReadOnlyList<LeaseOutcome> outcomes = await store.CompleteManyAsync(items);
        Assert.Equal(new[] { LeaseOutcome.Applied, LeaseOutcome.Applied, LeaseOutcome.LeaseLost, LeaseOutcome.Applied, LeaseOutcome.Applied }, outcomes);
        Assert.Equal(TaskStatus.Running, (await store.GetAsync(claimed[2].Id))!.Status);
        Assert.Equal(TaskStatus.Succeeded, (await store.GetAsync(claimed[4].Id))!.Status);
    }

    [Fact]
    public async Task Cancel_a_queued_task_at_once_and_report_finished_and_missing()
    {
        ITaskStore store = Open();
        long id = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        Assert.Equal(CancelOutcome.Cancelled, await store.CancelAsync(id));
        Assert.Equal(TaskStatus.Cancelled, (await store.GetAsync(id))!.Status);
        Assert.Empty(await store.ClaimAsync(Claim()));
        Assert.Equal(CancelOutcome.AlreadyFinished, await store.CancelAsync(id));
        Assert.Equal(CancelOutcome.NotFound, await store.CancelAsync(id + 99));
    }

    [Fact]
    public async Task Retry_puts_failed_and_cancelled_tasks_back_with_fresh_attempts()
    {
        ITaskStore store = Open();
        long failed = (await store.EnqueueAsync(new EnqueueRequest("t") { MaxAttempts = 1 })).Task.Id;
        long cancelled = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        long queued = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        TaskRecord c = (await store.ClaimAsync(Claim())).Single();
        Assert.Equal(failed, c.Id);
        await store.FailAsync(failed, c.LeaseToken!.Value, new TaskError("e"));
        await store.CancelAsync(cancelled);

        Assert.False(await store.RetryAsync(queued));
        Assert.True(await store.RetryAsync(failed));
        TaskRecord t = (await store.GetAsync(failed))!;
        Assert.Equal(TaskStatus.Queued, t.Status);
        Assert.Equal(0, t.Attempts);
        Assert.Null(t.LastError); // a restart starts clean (issue 9); the history keeps the error
        Assert.Equal("e", Assert.Single(t.Errors).Message);
        Assert.Null(t.FinishedAt);
        Assert.False(await store.RetryAsync(failed));

        Assert.Equal(1, await store.RetryManyAsync(new TaskFilter { Statuses = new[] { TaskStatus.Cancelled } }));
        Assert.Equal(TaskStatus.Queued, (await store.GetAsync(cancelled))!.Status);
    }

    [Fact]
    public async Task Delete_removes_tasks_that_are_not_running()
    {
        ITaskStore store = Open();
        long running = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        long queued = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        await store.ClaimAsync(Claim());
        Assert.False(await store.DeleteAsync(running));
        Assert.True(await store.DeleteAsync(queued));
        Assert.Null(await store.GetAsync(queued));
        Assert.False(await store.DeleteAsync(queued));
        Assert.NotNull(await store.GetAsync(running));
    }

    [Fact]
    public async Task Delete_many_removes_finished_tasks_before_an_instant_and_never_running_ones()
    {
        ITaskStore store = Open();
        var ids = new List<long>();
        for (int i = 0; i < 4; i++) ids.Add((await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id);
        foreach (TaskRecord c in await store.ClaimAsync(Claim(max: 2))) await store.CompleteAsync(c.Id, c.LeaseToken!.Value);
        Clock.Advance(TimeSpan.FromHours(1));
        TaskRecord running = (await store.ClaimAsync(Claim())).Single();

        Assert.Equal(0, await store.DeleteManyAsync(new TaskFilter { FinishedBefore = Clock.GetUtcNow() - TimeSpan.FromHours(2) }));
        Assert.Equal(2, await store.DeleteManyAsync(new TaskFilter { FinishedBefore = Clock.GetUtcNow() }));
        Assert.Equal(1, await store.DeleteManyAsync(new TaskFilter()));
        Assert.NotNull(await store.GetAsync(running.Id));
    }

    [Fact]
    public async Task Idempotency_key_returns_the_existing_task()
    {
        ITaskStore store = Open();
        EnqueueResult first = await store.EnqueueAsync(new EnqueueRequest("t", "1") { IdempotencyKey = "k1" });
        EnqueueResult second = await store.EnqueueAsync(new EnqueueRequest("t", "2") { IdempotencyKey = "k1" });
        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(first.Task.Id, second.Task.Id);
        Assert.Equal("1", second.Task.Payload);
        Assert.Equal("k1", second.Task.IdempotencyKey);
        IReadOnlyList<long> many = await store.EnqueueManyAsync(new[]
        {
            new EnqueueRequest("t") { IdempotencyKey = "k1" },
            new EnqueueRequest("t") { IdempotencyKey = "k2" },
            new EnqueueRequest("t") { IdempotencyKey = "k2" },
        });
        Assert.Equal(first.Task.Id, many[0]);
        Assert.Equal(many[1], many[2]);
        Assert.Equal(2, (await store.QueryAsync(new TaskQuery())).Count);
    }

    [Fact]
    public async Task EnqueueManyWithResults_returns_each_task_as_stored_in_request_order()
    {
        ITaskStore store = Open();
        EnqueueResult existing = await store.EnqueueAsync(new EnqueueRequest("t", "0") { IdempotencyKey = "k1" });
        Clock.Advance(TimeSpan.FromSeconds(5));
        IReadOnlyList<EnqueueResult> results = await store.EnqueueManyWithResultsAsync(new[]
        {
            new EnqueueRequest("a", "{\"n\":1}") { Queue = "q1", Priority = 3, Delay = TimeSpan.FromMinutes(1), MaxAttempts = 2, Timeout = TimeSpan.FromSeconds(30) },
            new EnqueueRequest("b", "2") { IdempotencyKey = "k1" },
            new EnqueueRequest("c") { IdempotencyKey = "k2" },
            new EnqueueRequest("d") { IdempotencyKey = "k2" },
            new EnqueueRequest("e", "[true,null]"),
        }, batchSize: 2);

        Assert.Equal(new[] { true, false, true, false, true }, results.Select(r => r.Created));
        Assert.Equal(existing.Task.Id, results[1].Task.Id);
        Assert.Equal("0", results[1].Task.Payload);
        Assert.Equal(results[2].Task.Id, results[3].Task.Id);
        Assert.Equal("c", results[3].Task.Type);
        Assert.Equal(Clock.GetUtcNow().AddMinutes(1), results[0].Task.NotBefore);
        foreach (EnqueueResult result in results)
        {
            TaskRecord stored = (await store.GetAsync(result.Task.Id))!;
            foreach (System.Reflection.PropertyInfo property in typeof(TaskRecord).GetProperties())
            {
                object? expected = property.GetValue(stored), actual = property.GetValue(result.Task);
                if (expected is System.Collections.IEnumerable list && expected is not string)
                    Assert.Equal(list.Cast<object>(), ((System.Collections.IEnumerable)actual!).Cast<object>());
                else
                    Assert.True(Equals(expected, actual), $"{property.Name}: stored {expected}, returned {actual}");
            }
        }
    }

    [Fact]
    public async Task EnqueueManyWithResults_rolls_back_the_batch_of_a_bad_request()
    {
        ITaskStore store = Open();
        var requests = new[] { new EnqueueRequest("a"), new EnqueueRequest("b"), new EnqueueRequest("c"), new EnqueueRequest("d", "{bad") };
        PrismQException ex = await Assert.ThrowsAsync<PrismQException>(() => store.EnqueueManyWithResultsAsync(requests, batchSize: 2));
        Assert.Equal(PrismQErrorCode.InvalidPayload, ex.Code);
        Assert.Contains("Request 3", ex.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "a", "b" }, (await store.QueryAsync(new TaskQuery())).Select(t => t.Type));
    }
}
