using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests;

/// <summary>
/// The output a handler writes (<see cref="TaskContext.WriteOutput"/>) is kept with its attempt: written with the
/// attempt's transition and read back on <see cref="TaskRecord.Output"/>, bounded (a lost lease writes none: see
/// <see cref="WorkersLeaseTests"/>).
/// </summary>
public abstract class WorkersOutputTests : WorkersBackendTests
{
    private static readonly DateTimeOffset WorkerNow = new(2031, 5, 6, 7, 8, 9, TimeSpan.Zero);

    private static WorkerOptions Options(string type, Func<TaskContext, CancellationToken, Task<string?>> handler, int? maxTasks) =>
        new() { MaxTasks = maxTasks, TimeProvider = new ManualTimeProvider(WorkerNow), Handlers = { [type] = handler } };

    [Fact]
    public async Task Output_of_every_stream_is_kept_with_the_succeeded_task_in_order_with_the_worker_clock_s_time()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        var worker = new Worker(db.Store, Options("t", (ctx, ct) =>
        {
            ctx.WriteOutput(TaskOutputStream.Warning, "careful");
            ctx.WriteOutput(TaskOutputStream.Verbose, "step 1");
            ctx.WriteOutput(TaskOutputStream.Information, "hello");
            ctx.WriteOutput(TaskOutputStream.Debug, null!);
            return Task.FromResult<string?>("1");
        }, maxTasks: 1));

        WorkerRunSummary summary = await worker.RunAsync().Within();

        Assert.Equal(1, summary.Succeeded);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Succeeded, task.Status);
        Assert.Equal(
            new[] { (TaskOutputStream.Warning, "careful"), (TaskOutputStream.Verbose, "step 1"), (TaskOutputStream.Information, "hello"), (TaskOutputStream.Debug, "") },
            task.Output.Select(o => (o.Stream, o.Text)));
        Assert.All(task.Output, o => Assert.Equal(1, o.Attempt));
        Assert.All(task.Output, o => Assert.Equal(WorkerNow, o.At));
        Assert.Equal(task.Output.Select(o => o.Text), (await db.Store.QueryAsync(new TaskQuery())).Single().Output.Select(o => o.Text));
    }

    [Fact]
    public async Task Each_attempt_s_output_is_kept_with_its_number_through_a_retry_the_dead_letter_and_a_restart()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("boom", maxAttempts: 3);
        Func<TaskContext, CancellationToken, Task<string?>> handler = (ctx, ct) =>
        {
            ctx.WriteOutput(TaskOutputStream.Information, "start " + ctx.Attempt);
            ctx.WriteOutput(TaskOutputStream.Warning, "failing " + ctx.Attempt);
            throw new InvalidOperationException("broken " + ctx.Attempt);
        };

        Assert.Equal(1, (await new Worker(db.Store, Options("boom", handler, maxTasks: 1)).RunAsync().Within()).Retried);
        TaskRecord retrying = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Queued, retrying.Status);
        Assert.Equal(new[] { (1, "start 1"), (1, "failing 1") }, retrying.Output.Select(o => (o.Attempt, o.Text)));

        WorkerRunSummary rest = await new Worker(db.Store, Options("boom", handler, maxTasks: 2)).RunAsync().Within();
        Assert.Equal(1, rest.Retried);
        Assert.Equal(1, rest.Failed);
        TaskRecord failed = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Failed, failed.Status);
        var expected = new[] { (1, "start 1"), (1, "failing 1"), (2, "start 2"), (2, "failing 2"), (3, "start 3"), (3, "failing 3") };
        Assert.Equal(expected, failed.Output.Select(o => (o.Attempt, o.Text)));

        // A restart keeps the output, as it keeps the error history.
        Assert.True(await db.Store.RetryAsync(id));
        Assert.Equal(expected, (await db.GetAsync(id)).Output.Select(o => (o.Attempt, o.Text)));
    }

    [Fact]
    public async Task Attempts_without_output_hand_the_store_no_output_and_write_no_rows()
    {
        using var db = NewDb();
        await db.Store.EnqueueManyAsync(Enumerable.Range(0, 20).Select(_ => new EnqueueRequest("t")));
        var store = new CountingStore(db.Store);
        int calls = 0;
        var worker = new Worker(store, new WorkerOptions
        {
            MaxTasks = 20,
            Concurrency = 4,
            Handlers =
            {
                ["t"] = (ctx, ct) =>
                {
                    // Every fifth task fails once: failed attempts without output hand none over either.
                    if (Interlocked.Increment(ref calls) % 5 == 0) throw new InvalidOperationException("once");
                    return Task.FromResult<string?>(null);
                },
            },
        });

        WorkerRunSummary summary = await worker.RunAsync().Within();

        Assert.Equal(20, summary.Processed);
        Assert.True(store.TransitionItems >= 20);
        Assert.Equal(0, store.TransitionsWithOutput);
        Assert.Equal(0, db.CountRows("task_output"));
    }

    [Fact]
    public async Task Output_written_from_many_threads_at_once_is_all_kept()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        var worker = new Worker(db.Store, Options("t", async (ctx, ct) =>
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(thread => Task.Run(() =>
            {
                for (int i = 0; i < 25; i++) ctx.WriteOutput(TaskOutputStream.Verbose, $"{thread}:{i}");
            })));
            return null;
        }, maxTasks: 1));

        await worker.RunAsync().Within();

        IReadOnlyList<TaskOutputRecord> output = (await db.GetAsync(id)).Output;
        Assert.Equal(TaskLimits.MaxOutputRecordsPerAttempt, output.Count);
        Assert.Equal(100, output.Select(o => o.Text).Distinct().Count());
    }

    [Fact]
    public async Task Past_the_limit_records_are_counted_and_one_last_record_on_the_most_severe_dropped_stream_says_how_many()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        var worker = new Worker(db.Store, Options("t", (ctx, ct) =>
        {
            for (int i = 0; i < 100; i++) ctx.WriteOutput(TaskOutputStream.Warning, "kept " + i);
            for (int i = 0; i < 49; i++) ctx.WriteOutput(TaskOutputStream.Debug, "dropped " + i);
            ctx.WriteOutput(TaskOutputStream.Information, "dropped too");
            ctx.WriteOutput(TaskOutputStream.Verbose, "dropped last");
            return Task.FromResult<string?>(null);
        }, maxTasks: 1));

        await worker.RunAsync().Within();

        IReadOnlyList<TaskOutputRecord> output = (await db.GetAsync(id)).Output;
        Assert.Equal(TaskLimits.MaxOutputRecordsPerAttempt + 1, output.Count);
        Assert.Equal("kept 99", output[99].Text);
        TaskOutputRecord last = output[100];
        Assert.Equal("51 more output records were dropped (the limit is 100 per attempt)", last.Text);
        Assert.Equal(TaskOutputStream.Information, last.Stream);
        Assert.Equal(1, last.Attempt);
    }
}

/// <summary>The bounds of one attempt's output buffer (<see cref="Workers.AttemptOutput"/>) and the context's checks.</summary>
public sealed class WorkersAttemptOutputTests
{
    private static readonly DateTimeOffset At = new(2031, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Text_longer_than_the_limit_is_cut_to_the_limit_ending_with_how_many_characters_were_cut()
    {
        string text = new string('x', 3990) + new string('y', 6010);
        string cut = Workers.AttemptOutput.Cut(text);

        Assert.Equal(TaskLimits.MaxOutputRecordLength, cut.Length);
        int markerAt = cut.IndexOf('…');
        Assert.Equal(text.Substring(0, markerAt), cut.Substring(0, markerAt));
        Assert.Equal($"… ({text.Length - markerAt} more characters)", cut.Substring(markerAt));
        string fits = new string('z', TaskLimits.MaxOutputRecordLength);
        Assert.Same(fits, Workers.AttemptOutput.Cut(fits));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    public void A_cut_never_splits_a_surrogate_pair(string prefix)
    {
        string text = prefix + string.Concat(Enumerable.Repeat("\U0001F600", 3000));
        string cut = Workers.AttemptOutput.Cut(text);

        Assert.True(cut.Length <= TaskLimits.MaxOutputRecordLength);
        string kept = cut.Substring(0, cut.IndexOf('…'));
        Assert.False(char.IsHighSurrogate(kept[kept.Length - 1]), "the kept text ends inside a surrogate pair");
        Assert.EndsWith($"({text.Length - kept.Length} more characters)", cut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { TaskOutputStream.Debug }, TaskOutputStream.Debug)]
    [InlineData(new[] { TaskOutputStream.Debug, TaskOutputStream.Verbose }, TaskOutputStream.Verbose)]
    [InlineData(new[] { TaskOutputStream.Verbose, TaskOutputStream.Information, TaskOutputStream.Debug }, TaskOutputStream.Information)]
    [InlineData(new[] { TaskOutputStream.Information, TaskOutputStream.Warning, TaskOutputStream.Verbose }, TaskOutputStream.Warning)]
    public void The_dropped_record_is_on_the_most_severe_stream_of_the_dropped_ones(TaskOutputStream[] dropped, TaskOutputStream expected)
    {
        var output = new Workers.AttemptOutput(attempt: 2);
        for (int i = 0; i < TaskLimits.MaxOutputRecordsPerAttempt; i++) output.Add(At, TaskOutputStream.Warning, "kept");
        for (int i = 0; i < dropped.Length; i++) output.Add(At.AddSeconds(i + 1), dropped[i], "dropped");

        TaskOutputRecord last = output.Take().Last();

        Assert.Equal(expected, last.Stream);
        Assert.Equal(2, last.Attempt);
        Assert.Equal(At.AddSeconds(dropped.Length), last.At);
        Assert.StartsWith($"{dropped.Length} more output record", last.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void One_dropped_record_is_named_in_the_singular_and_writes_after_the_take_are_ignored()
    {
        var output = new Workers.AttemptOutput(attempt: 1);
        for (int i = 0; i <= TaskLimits.MaxOutputRecordsPerAttempt; i++) output.Add(At, TaskOutputStream.Verbose, "r" + i);
        IReadOnlyList<TaskOutputRecord> taken = output.Take();
        output.Add(At, TaskOutputStream.Warning, "too late");

        Assert.Equal("1 more output record was dropped (the limit is 100 per attempt)", taken.Last().Text);
        Assert.Equal(taken.Select(r => r.Text), output.Take().Select(r => r.Text));
    }

    [Fact]
    public void A_context_refuses_an_unknown_stream_and_hands_over_null_when_nothing_was_written()
    {
        var throttle = new Workers.ProgressThrottle(null!, 1, LeaseToken.NewToken(), TimeSpan.Zero, TimeProvider.System, (_, _) => { });
        var context = new TaskContext(new TaskRecord { Id = 1, Attempts = 1 }, LeaseToken.NewToken(), "w", CancellationToken.None, throttle,
            PrismQ.Tracing.NullTraceEmitter.Instance, 0, TimeProvider.System);

        Assert.Null(context.TakeOutput());
        var error = Assert.Throws<PrismQException>(() => context.WriteOutput((TaskOutputStream)2, "x"));
        Assert.Equal(PrismQErrorCode.InvalidArgument, error.Code);
        Assert.Null(context.TakeOutput());
    }
}

public sealed class WorkersOutputTestsOnSqlite : WorkersOutputTests
{
    protected override TestBackend Backend => TestBackend.Sqlite;
}

[Trait("Backend", "PostgreSQL")]
public sealed class WorkersOutputTestsOnPostgres : WorkersOutputTests
{
    protected override TestBackend Backend => TestBackend.Postgres;
}
