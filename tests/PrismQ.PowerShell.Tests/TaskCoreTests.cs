using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using PrismQ.PowerShell.Cores;
using Xunit;

namespace PrismQ.PowerShell.Tests;

public sealed class TaskCoreTests
{
    private static readonly AddTaskSettings Settings = new() { Type = "email", Queue = "mail", Priority = 3, MaxAttempts = 2, IdempotencyKey = null };

    [Fact]
    public void Add_batches_pipeline_items_one_store_call_per_batch()
    {
        var store = new FakeTaskStore();
        var core = new AddTaskCore(store, Settings, batchSize: 100);
        var written = new List<TaskRecord>();
        for (int i = 1; i <= 250; i++)
        {
            core.Add(i);
            if (core.IsBatchFull) written.AddRange(core.Flush(CancellationToken.None));
        }

        written.AddRange(core.Flush(CancellationToken.None));
        Assert.Equal(new[] { 100, 100, 50 }, store.EnqueueManySizes);
        Assert.Equal(250, core.Enqueued);
        Assert.Equal(Enumerable.Range(1, 250).Select(i => i.ToString()), written.Select(t => t.Payload));
        Assert.All(written, t =>
        {
            Assert.Equal("email", t.Type);
            Assert.Equal("mail", t.Queue);
            Assert.Equal(3, t.Priority);
            Assert.Equal(2, t.MaxAttempts);
        });
    }

    [Fact]
    public void Add_refuses_a_too_large_payload_alone_and_keeps_the_others()
    {
        var store = new FakeTaskStore();
        var core = new AddTaskCore(store, Settings, batchSize: 10, maxPayloadBytes: 20);
        core.Add("small");
        var ex = Assert.Throws<PrismQException>(() => core.Add(new string('x', 50)));
        Assert.Equal(PrismQErrorCode.PayloadTooLarge, ex.Code);
        Assert.Contains("52 bytes", ex.Message);
        core.Add("also small");
        IReadOnlyList<TaskRecord> records = core.Flush(CancellationToken.None);
        Assert.Equal(new[] { "\"small\"", "\"also small\"" }, records.Select(r => r.Payload));
    }

    [Fact]
    public void Add_with_an_idempotency_key_returns_the_existing_task()
    {
        var store = new FakeTaskStore();
        var core = new AddTaskCore(store, new AddTaskSettings { Type = "t", IdempotencyKey = "k1" });
        core.Add(1);
        core.Add(2);
        IReadOnlyList<TaskRecord> records = core.Flush(CancellationToken.None);
        Assert.Equal(2, records.Count);
        Assert.Equal(records[0].Id, records[1].Id);
        Assert.Equal("1", records[1].Payload);
    }

    [Fact]
    public void Add_rejects_a_batch_size_out_of_range()
    {
        var ex = Assert.Throws<PrismQException>(() => new AddTaskCore(new FakeTaskStore(), Settings, batchSize: 0));
        Assert.Equal(PrismQErrorCode.InvalidBatchSize, ex.Code);
    }

    [Fact]
    public void Get_streams_pages_filters_and_honours_First()
    {
        var store = new FakeTaskStore();
        var core = new AddTaskCore(store, new AddTaskSettings { Type = "a" }, batchSize: 5000);
        for (int i = 0; i < 2500; i++) core.Add(i);
        core.Flush(CancellationToken.None);
        var other = new AddTaskCore(store, new AddTaskSettings { Type = "b", Queue = "q2" });
        other.Add("x");
        other.Flush(CancellationToken.None);

        List<TaskRecord> all = GetTaskCore.Query(store, GetTaskCore.Filter(null, null, null), null, CancellationToken.None).ToList();
        Assert.Equal(2501, all.Count);
        Assert.Equal(all.Select(t => t.Id).OrderBy(i => i), all.Select(t => t.Id));

        Assert.Equal(1500, GetTaskCore.Query(store, GetTaskCore.Filter(null, null, null), 1500, CancellationToken.None).Count());
        TaskRecord b = Assert.Single(GetTaskCore.Query(store, GetTaskCore.Filter("q2", null, null), null, CancellationToken.None));
        Assert.Equal("b", b.Type);
        Assert.Single(GetTaskCore.Query(store, GetTaskCore.Filter(null, "b", new[] { TaskStatus.Queued }), null, CancellationToken.None));
        Assert.Empty(GetTaskCore.Query(store, GetTaskCore.Filter(null, "b", new[] { TaskStatus.Failed }), null, CancellationToken.None));
    }

    [Fact]
    public void Missing_task_is_TaskNotFound_naming_the_id()
    {
        var ex = Assert.Throws<PrismQException>(() => TaskLookup.Require(new FakeTaskStore(), 77, CancellationToken.None));
        Assert.Equal(PrismQErrorCode.TaskNotFound, ex.Code);
        Assert.Contains("77", ex.Message);
    }

    [Fact]
    public void Wait_reports_each_task_when_another_thread_finishes_it()
    {
        var store = new FakeTaskStore();
        store.Put(new TaskRecord { Id = 1, Type = "t", Status = TaskStatus.Queued });
        store.Put(new TaskRecord { Id = 2, Type = "t", Status = TaskStatus.Succeeded });
        var finished = new List<long>();
        var missing = new List<long>();
        using var firstPollDone = new ManualResetEventSlim();
        var finisher = new Thread(() =>
        {
            firstPollDone.Wait();
            store.Put(new TaskRecord { Id = 1, Type = "t", Status = TaskStatus.Failed });
        });
        finisher.Start();
        IReadOnlyList<long> left = WaitTaskCore.Wait(store, new long[] { 1, 2, 99 }, null,
            r => finished.Add(r.Id), missing.Add, (done, total) => firstPollDone.Set(), CancellationToken.None);
        finisher.Join();
        Assert.Empty(left);
        Assert.Equal(new long[] { 2, 1 }, finished);
        Assert.Equal(new long[] { 99 }, missing);
    }

    [Fact]
    public void Wait_returns_the_unfinished_ids_when_the_timeout_passes()
    {
        var store = new FakeTaskStore();
        store.Put(new TaskRecord { Id = 5, Type = "t", Status = TaskStatus.Running });
        IReadOnlyList<long> left = WaitTaskCore.Wait(store, new long[] { 5 }, TimeSpan.Zero, _ => Assert.Fail("not finished"), _ => { }, (_, _) => { }, CancellationToken.None);
        Assert.Equal(new long[] { 5 }, left);
    }

    [Fact]
    public void Wait_stops_when_cancelled()
    {
        var store = new FakeTaskStore();
        store.Put(new TaskRecord { Id = 5, Type = "t", Status = TaskStatus.Running });
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            WaitTaskCore.Wait(store, new long[] { 5 }, null, _ => { }, _ => { }, (_, _) => cts.Cancel(), cts.Token));
    }

    [Fact]
    public void Stop_restart_and_remove_report_unknown_ids_and_wrong_states()
    {
        var store = new FakeTaskStore();
        store.Put(new TaskRecord { Id = 1, Type = "t", Status = TaskStatus.Queued });
        store.Put(new TaskRecord { Id = 2, Type = "t", Status = TaskStatus.Running });
        store.Put(new TaskRecord { Id = 3, Type = "t", Status = TaskStatus.Failed });

        Assert.Equal(CancelOutcome.Cancelled, TaskStateCore.Stop(store, 1, CancellationToken.None));
        Assert.Equal(TaskStatus.Cancelled, store.Snapshot(1).Status);
        Assert.Equal(CancelOutcome.CancelRequested, TaskStateCore.Stop(store, 2, CancellationToken.None));
        Assert.Equal(CancelOutcome.AlreadyFinished, TaskStateCore.Stop(store, 3, CancellationToken.None));
        Assert.Equal(PrismQErrorCode.TaskNotFound, Assert.Throws<PrismQException>(() => TaskStateCore.Stop(store, 9, CancellationToken.None)).Code);

        TaskStateCore.Restart(store, 3, CancellationToken.None);
        Assert.Equal(TaskStatus.Queued, store.Snapshot(3).Status);
        var state = Assert.Throws<PrismQException>(() => TaskStateCore.Restart(store, 2, CancellationToken.None));
        Assert.Equal(PrismQErrorCode.InvalidTaskState, state.Code);
        Assert.Contains("Running", state.Message);
        Assert.Equal(PrismQErrorCode.TaskNotFound, Assert.Throws<PrismQException>(() => TaskStateCore.Restart(store, 9, CancellationToken.None)).Code);

        TaskStateCore.Remove(store, 1, CancellationToken.None);
        Assert.Null(store.Find(1));
        Assert.Equal(PrismQErrorCode.InvalidTaskState, Assert.Throws<PrismQException>(() => TaskStateCore.Remove(store, 2, CancellationToken.None)).Code);
        Assert.Equal(PrismQErrorCode.TaskNotFound, Assert.Throws<PrismQException>(() => TaskStateCore.Remove(store, 9, CancellationToken.None)).Code);
    }

    [Fact]
    public void Remove_matching_uses_finish_time_for_final_states_and_creation_time_for_queued()
    {
        var store = new FakeTaskStore();
        DateTimeOffset now = store.Now;
        store.Put(new TaskRecord { Id = 1, Type = "t", Status = TaskStatus.Succeeded, FinishedAt = now.AddDays(-3), CreatedAt = now.AddDays(-4) });
        store.Put(new TaskRecord { Id = 2, Type = "t", Status = TaskStatus.Succeeded, FinishedAt = now.AddHours(-1), CreatedAt = now.AddDays(-4) });
        store.Put(new TaskRecord { Id = 3, Type = "t", Status = TaskStatus.Queued, CreatedAt = now.AddDays(-3) });
        store.Put(new TaskRecord { Id = 4, Type = "t", Status = TaskStatus.Failed, FinishedAt = now.AddDays(-3), Queue = "other" });

        int removed = TaskStateCore.RemoveMatching(store, new[] { TaskStatus.Succeeded, TaskStatus.Queued, TaskStatus.Failed }, TimeSpan.FromDays(1), "default", now, CancellationToken.None);
        Assert.Equal(2, removed);
        Assert.Null(store.Find(1));
        Assert.NotNull(store.Find(2));
        Assert.Null(store.Find(3));
        Assert.NotNull(store.Find(4));

        var ex = Assert.Throws<PrismQException>(() => TaskStateCore.RemoveMatching(store, new[] { TaskStatus.Running }, TimeSpan.Zero, null, now, CancellationToken.None));
        Assert.Equal(PrismQErrorCode.InvalidArgument, ex.Code);
    }

    [Fact]
    public void Queues_report_missing_names_and_pause_resume()
    {
        var store = new FakeTaskStore();
        store.Put(new TaskRecord { Id = 1, Type = "t", Queue = "a", Status = TaskStatus.Queued });
        var missing = new List<string>();
        IReadOnlyList<QueueStats> stats = QueueCore.Get(store, new[] { "a", "zz" }, missing.Add, CancellationToken.None);
        Assert.Equal("a", Assert.Single(stats).Name);
        Assert.Equal(new[] { "zz" }, missing);
        Assert.Equal(PrismQErrorCode.QueueNotFound, QueueCore.NotFound("zz").Code);

        Assert.True(QueueCore.SetPaused(store, "a", true, createIfMissing: false, CancellationToken.None).Paused);
        Assert.False(QueueCore.SetPaused(store, "a", false, createIfMissing: false, CancellationToken.None).Paused);
        Assert.Equal(2, QueueCore.Get(store, null, missing.Add, CancellationToken.None).Count + 1);
    }

    [Fact]
    public void Mapper_builds_TaskInfo_with_the_stored_json_and_local_times()
    {
        var created = new DateTimeOffset(2026, 5, 1, 10, 0, 0, TimeSpan.Zero);
        TaskInfo info = TaskInfoMapper.ToTaskInfo(new TaskRecord
        {
            Id = 7, Type = "t", Queue = "q", Payload = "{\"a\":[1,2]}", Result = "\"done\"", Status = TaskStatus.Failed,
            LastError = new TaskError("boom", "System.Exception"), CreatedAt = created, LeaseOwner = "w1", ProgressPercent = 40,
        });
        Assert.Equal(7, info.Id);
        Assert.Equal("{\"a\":[1,2]}", info.PayloadJson); // Payload and Result are read from the JSON on first use (PowerShell objects: see tests/PrismQ.Tests.ps1)
        Assert.Equal("\"done\"", info.ResultJson);
        Assert.Equal("boom", info.Error);
        Assert.Equal("System.Exception", info.ErrorType);
        Assert.Equal("w1", info.WorkerId);
        Assert.Equal(40, info.Progress);
        Assert.Equal(created.LocalDateTime, info.CreatedAt);
        Assert.Null(info.FinishedAt);
    }
}
