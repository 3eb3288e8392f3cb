using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>
/// The store's side of attempts' output (<c>task_output</c>): written with a transition, in its transaction, only when
/// the transition applies; checked before anything is written; deleted with its task.
/// </summary>
public sealed class StorageOutputTests
{
    private static readonly DateTimeOffset At = new(2031, 2, 3, 4, 5, 6, TimeSpan.Zero);

    private static TaskOutputRecord[] Output(int attempt, params string[] texts) =>
        texts.Select(t => new TaskOutputRecord(attempt, At, TaskOutputStream.Information, t)).ToArray();

    private static async Task<TaskRecord> ClaimOne(ITaskStore store) => (await store.ClaimAsync(new ClaimRequest("w"))).Single();

    private static async Task<TransitionResult> Apply(ITaskStore store, LeaseTransition transition) =>
        (await store.ApplyTransitionsAsync(new[] { transition })).Single();

    private static long OutputRows(string db) => RawDb.Scalar(db, "SELECT COUNT(*) FROM task_output");

    [Fact]
    public async Task Output_is_written_only_when_its_transition_applies()
    {
        using var db = new WorkersTestDb();
        long id = await db.EnqueueAsync("t");
        TaskRecord claimed = await ClaimOne(db.Store);

        TransitionResult stale = await Apply(db.Store, LeaseTransition.Succeed(id, LeaseToken.NewToken(), null).WithOutput(Output(1, "stale")));
        Assert.Equal(LeaseOutcome.LeaseLost, stale.Outcome);
        Assert.Equal(0, OutputRows(db.DbPath));

        TransitionResult written = await Apply(db.Store, LeaseTransition.Succeed(id, claimed.LeaseToken!.Value, null).WithOutput(Output(1, "a", "b")));
        Assert.Equal(LeaseOutcome.Applied, written.Outcome);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(new[] { "a", "b" }, task.Output.Select(o => o.Text));
        Assert.All(task.Output, o => Assert.Equal(At, o.At));
        Assert.All(task.Output, o => Assert.Equal(TaskOutputStream.Information, o.Stream));
    }

    [Fact]
    public async Task A_released_attempt_keeps_its_output_and_a_won_cancel_writes_it_too()
    {
        using var db = new WorkersTestDb();
        long released = await db.EnqueueAsync("t");
        TaskRecord first = await ClaimOne(db.Store);
        Assert.Equal(TaskStatus.Queued, (await Apply(db.Store, LeaseTransition.Release(released, first.LeaseToken!.Value).WithOutput(Output(1, "given back")))).Status);
        TaskRecord back = await db.GetAsync(released);
        Assert.Equal(0, back.Attempts);
        Assert.Equal((1, "given back"), back.Output.Select(o => (o.Attempt, o.Text)).Single());

        TaskRecord again = await ClaimOne(db.Store);
        Assert.Equal(CancelOutcome.CancelRequested, await db.Store.CancelAsync(released));
        var retry = LeaseTransition.Retry(released, again.LeaseToken!.Value, new TaskError("no"), delay: null).WithOutput(Output(1, "cancelled"));
        Assert.Equal(TaskStatus.Cancelled, (await Apply(db.Store, retry)).Status);
        Assert.Equal(new[] { "given back", "cancelled" }, (await db.GetAsync(released)).Output.Select(o => o.Text));
    }

    [Fact]
    public async Task A_transition_and_its_output_are_one_transaction()
    {
        using var db = new WorkersTestDb();
        long id = await db.EnqueueAsync("t");
        TaskRecord claimed = await ClaimOne(db.Store);
        RawDb.Exec(db.DbPath, "CREATE TRIGGER refuse_output BEFORE INSERT ON task_output BEGIN SELECT RAISE(ABORT, 'refused'); END;");

        await Assert.ThrowsAsync<PrismQException>(() => Apply(db.Store, LeaseTransition.Succeed(id, claimed.LeaseToken!.Value, "1").WithOutput(Output(1, "x"))));

        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Running, task.Status);
        Assert.Equal(claimed.LeaseToken, task.LeaseToken);
        Assert.Null(task.Result);
    }

    public static TheoryData<string, TaskOutputRecord[]> InvalidOutputs => new()
    {
        { "holds 102 records", Enumerable.Range(0, TaskLimits.MaxOutputRecordsPerAttempt + 2).Select(i => new TaskOutputRecord(1, At, TaskOutputStream.Debug, "r")).ToArray() },
        { "4001 characters", new[] { new TaskOutputRecord(1, At, TaskOutputStream.Debug, new string('x', TaskLimits.MaxOutputRecordLength + 1)) } },
        { "Output[1].Stream is '9'", new[] { new TaskOutputRecord(1, At, TaskOutputStream.Debug, "ok"), new TaskOutputRecord(1, At, (TaskOutputStream)9, "bad") } },
        { "Output[0] is null", new TaskOutputRecord[] { null! } },
    };

    [Theory]
    [MemberData(nameof(InvalidOutputs))]
    public async Task Output_beyond_its_bounds_is_refused_before_anything_is_written(string expected, TaskOutputRecord[] output)
    {
        using var db = new WorkersTestDb();
        long id = await db.EnqueueAsync("t");
        TaskRecord claimed = await ClaimOne(db.Store);

        var error = await Assert.ThrowsAsync<PrismQException>(() => Apply(db.Store, LeaseTransition.Succeed(id, claimed.LeaseToken!.Value, null).WithOutput(output)));

        Assert.Equal(PrismQErrorCode.InvalidArgument, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(TaskStatus.Running, (await db.GetAsync(id)).Status);
        Assert.Equal(0, OutputRows(db.DbPath));
    }

    [Fact]
    public async Task Deleting_or_pruning_a_task_deletes_its_output_and_only_its_own()
    {
        using var db = new WorkersTestDb();
        var ids = new List<long>();
        for (int i = 0; i < 4; i++)
        {
            long id = await db.EnqueueAsync("t" + i);
            TaskRecord claimed = await ClaimOne(db.Store);
            await Apply(db.Store, LeaseTransition.Succeed(id, claimed.LeaseToken!.Value, null).WithOutput(Output(1, "of " + id, "more of " + id)));
            ids.Add(id);
        }
        Assert.Equal(8, OutputRows(db.DbPath));

        Assert.True(await db.Store.DeleteAsync(ids[0]));
        Assert.Equal(6, OutputRows(db.DbPath));
        Assert.Equal(1, await db.Store.DeleteManyAsync(new TaskFilter { Type = "t1" }));
        Assert.Equal(4, OutputRows(db.DbPath));
        using (DatabaseMaintenance maintenance = DatabaseMaintenance.Open(db.DbPath))
            Assert.Equal(1, maintenance.PruneFinished(keepNewest: 1));
        Assert.Equal(2, OutputRows(db.DbPath));
        Assert.Equal(new[] { "of " + ids[3], "more of " + ids[3] }, (await db.GetAsync(ids[3])).Output.Select(o => o.Text));
    }
}
