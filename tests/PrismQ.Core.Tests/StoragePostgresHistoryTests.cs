using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PrismQ.Postgres;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>
/// The error history and the attempts' output on PostgreSQL (the SQLite suites of these read the SQLite file): written
/// with a transition, in its transaction, only when it applies; deleted with the task.
/// </summary>
[Trait("Backend", "PostgreSQL")]
public sealed class StoragePostgresHistoryTests : IDisposable
{
    private static readonly RetryPolicy NoDelay = new() { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, Jitter = 0 };
    private static readonly DateTimeOffset At = new(2031, 2, 3, 4, 5, 6, TimeSpan.Zero);
    private readonly PostgresStoreFactory _factory = new();
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _factory.Dispose();

    private long Rows(string table) => PostgresTestServer.Scalar($"SELECT count(*) FROM \"{_factory.Schema}\".{table}");

    [Fact]
    public async Task A_mixed_batch_of_transitions_applies_each_on_its_own_lease_in_input_order()
    {
        PostgresTaskStore store = _factory.OpenPostgres(new StoreSettings { Clock = _clock, RetryPolicy = NoDelay });
        await store.EnqueueManyAsync(Enumerable.Range(0, 5).Select(_ => new EnqueueRequest("t") { MaxAttempts = 3 }));
        TaskRecord[] held = (await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 5 })).OrderBy(t => t.Id).ToArray();
        Assert.Equal(5, held.Length);
        Assert.Equal(CancelOutcome.CancelRequested, await store.CancelAsync(held[3].Id));
        TaskOutputRecord[] output = { new(1, At, TaskOutputStream.Information, "one"), new(1, At, TaskOutputStream.Warning, "two") };

        // Ids out of order, a stale token, a cancel that wins, and a task named twice (its second transition finds the lease gone).
        IReadOnlyList<TransitionResult> results = await store.ApplyTransitionsAsync(new[]
        {
            LeaseTransition.Succeed(held[4].Id, held[4].LeaseToken!.Value, "{\"ok\":4}").WithOutput(output),
            LeaseTransition.Retry(held[0].Id, held[0].LeaseToken!.Value, new TaskError("boom 0", "T0", "d0"), TimeSpan.FromSeconds(30)),
            LeaseTransition.Succeed(held[1].Id, new LeaseToken(Guid.NewGuid()), "1"),
            LeaseTransition.Retry(held[3].Id, held[3].LeaseToken!.Value, new TaskError("boom 3"), TimeSpan.Zero).WithOutput(output),
            LeaseTransition.DeadLetter(held[2].Id, held[2].LeaseToken!.Value, new TaskError("boom 2")),
            LeaseTransition.Succeed(held[2].Id, held[2].LeaseToken!.Value, "2"),
        });

        Assert.Equal(new[] { LeaseOutcome.Applied, LeaseOutcome.Applied, LeaseOutcome.LeaseLost, LeaseOutcome.Applied, LeaseOutcome.Applied, LeaseOutcome.LeaseLost },
            results.Select(r => r.Outcome));
        Assert.Equal(TaskStatus.Succeeded, results[0].Status);
        Assert.Equal(TaskStatus.Queued, results[1].Status);
        Assert.Equal(_clock.GetUtcNow().AddSeconds(30), results[1].NotBefore);
        Assert.Equal(TaskStatus.Cancelled, results[3].Status);
        Assert.Equal(TaskStatus.Failed, results[4].Status);

        TaskRecord t0 = (await store.GetAsync(held[0].Id))!, t1 = (await store.GetAsync(held[1].Id))!, t2 = (await store.GetAsync(held[2].Id))!;
        TaskRecord t3 = (await store.GetAsync(held[3].Id))!, t4 = (await store.GetAsync(held[4].Id))!;
        Assert.Equal((TaskStatus.Queued, 1, "boom 0"), (t0.Status, t0.Attempts, t0.LastError!.Message));
        Assert.Equal(new[] { (1, "boom 0", "T0", "d0") }, t0.Errors.Select(e => (e.Attempt, e.Message, e.Type!, e.Detail!)));
        Assert.Null(t0.LeaseOwner);
        Assert.Equal(TaskStatus.Running, t1.Status);
        Assert.Empty(t1.Errors);
        Assert.Equal((TaskStatus.Failed, (string?)null), (t2.Status, t2.Result));
        Assert.Equal(new[] { "boom 2" }, t2.Errors.Select(e => e.Message));
        Assert.Equal((TaskStatus.Cancelled, (string?)null), (t3.Status, t3.Result));
        Assert.Equal(new[] { "boom 3" }, t3.Errors.Select(e => e.Message));
        Assert.Equal(new[] { "one", "two" }, t3.Output.Select(o => o.Text));
        Assert.Equal((TaskStatus.Succeeded, "{\"ok\":4}", (string?)null), (t4.Status, t4.Result, t4.LastError?.Message));
        Assert.Equal(new[] { "one", "two" }, t4.Output.Select(o => o.Text));
        Assert.Empty(t4.Errors);
        Assert.Equal(3, Rows("task_errors"));
        Assert.Equal(4, Rows("task_output"));
    }

    [Fact]
    public async Task Failed_attempts_and_output_are_kept_in_order_and_go_with_the_task()
    {
        PostgresTaskStore store = _factory.OpenPostgres(new StoreSettings { Clock = _clock, RetryPolicy = NoDelay });
        long id = (await store.EnqueueAsync(new EnqueueRequest("t") { MaxAttempts = 2 })).Task.Id;

        TaskRecord first = (await store.ClaimAsync(new ClaimRequest("w"))).Single();
        await store.ReportProgressAsync(id, first.LeaseToken!.Value, 40, "halfway");
        TaskOutputRecord[] output = { new(1, At, TaskOutputStream.Warning, "careful"), new(1, At, TaskOutputStream.Information, "note") };
        TransitionResult r = (await store.ApplyTransitionsAsync(new[]
        {
            LeaseTransition.Retry(id, first.LeaseToken!.Value, new TaskError("boom 1", "System.IO.IOException", "at line 1"), TimeSpan.Zero).WithOutput(output),
        })).Single();
        Assert.Equal(LeaseOutcome.Applied, r.Outcome);
        Assert.Equal(TaskStatus.Queued, r.Status);

        TaskRecord waiting = (await store.GetAsync(id))!;
        Assert.Equal("boom 1", waiting.LastError!.Message);
        Assert.Null(waiting.ProgressPercent);
        Assert.Equal(new[] { "careful", "note" }, waiting.Output.Select(o => o.Text));
        Assert.Equal(TaskOutputStream.Warning, waiting.Output[0].Stream);
        Assert.Equal(At, waiting.Output[0].At);

        _clock.Advance(TimeSpan.FromSeconds(5));
        TaskRecord second = (await store.ClaimAsync(new ClaimRequest("w2"))).Single();
        Assert.Null(second.LastError); // a new attempt starts clean
        FailResult fail = await store.FailAsync(id, second.LeaseToken!.Value, new TaskError("boom 2"), NoDelay);
        Assert.Equal(FailOutcome.Failed, fail.Outcome);

        TaskRecord done = (await store.GetAsync(id))!;
        Assert.Equal(TaskStatus.Failed, done.Status);
        Assert.Equal(new[] { (1, "boom 1"), (2, "boom 2") }, done.Errors.Select(e => (e.Attempt, e.Message)));
        Assert.Equal("System.IO.IOException", done.Errors[0].Type);
        Assert.Single((await store.QueryAsync(new TaskQuery())).Single().Errors, e => e.Attempt == 2);

        Assert.True(await store.RetryAsync(id));
        Assert.Equal(2, (await store.GetAsync(id))!.Errors.Count); // a restart keeps the history
        Assert.True(await store.DeleteAsync(id));
        Assert.Equal(0, Rows("task_errors"));
        Assert.Equal(0, Rows("task_output"));
    }

    [Fact]
    public async Task A_transition_on_a_lost_lease_writes_no_error_and_no_output()
    {
        PostgresTaskStore store = _factory.OpenPostgres(new StoreSettings { Clock = _clock });
        long id = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        TaskRecord claimed = (await store.ClaimAsync(new ClaimRequest("w"))).Single();
        TransitionResult r = (await store.ApplyTransitionsAsync(new[]
        {
            LeaseTransition.DeadLetter(id, new LeaseToken(Guid.NewGuid()), new TaskError("e")).WithOutput(new[] { new TaskOutputRecord(1, At, TaskOutputStream.Verbose, "v") }),
        })).Single();
        Assert.Equal(LeaseOutcome.LeaseLost, r.Outcome);
        Assert.Equal(0, Rows("task_errors"));
        Assert.Equal(0, Rows("task_output"));
        Assert.Equal(TaskStatus.Running, (await store.GetAsync(id))!.Status);

        // A success has no CancelWins: it applies despite the pending cancel, with its output.
        await store.CancelAsync(id);
        r = (await store.ApplyTransitionsAsync(new[]
        {
            LeaseTransition.Succeed(id, claimed.LeaseToken!.Value, "{}").WithOutput(new[] { new TaskOutputRecord(1, At, TaskOutputStream.Verbose, "v") }),
        })).Single();
        Assert.Equal(LeaseOutcome.Applied, r.Outcome);
        Assert.Equal(TaskStatus.Succeeded, r.Status);
        Assert.Equal(1, Rows("task_output"));
    }
}
