using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using PrismQ.Tests.Storage;
using PrismQ.Tracing;
using Xunit;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Tests;

/// <summary>Busy retries of a lease operation mark the window of the attempt they delay.</summary>
public sealed class TracingBusyRetryTests
{
    private static readonly long S = TimeSpan.TicksPerSecond;

    private static long At(long seconds) => 1000 * S + seconds * S;

    private static WindowTracker Tracker() =>
        new(preRoll: TimeSpan.FromSeconds(10), postRoll: TimeSpan.FromSeconds(2), slowThreshold: TimeSpan.FromSeconds(30),
            windowTimeout: TimeSpan.FromHours(1), detailForAll: false);

    private static TraceDetailRow Detail(long task, int attempt, long seconds, string text) => new(0, 0, At(seconds), task, attempt, text);

    [Fact]
    public void A_task_level_mark_marks_the_window_open_at_that_instant()
    {
        var tracker = Tracker();
        var output = new List<TraceDetailRow>();
        tracker.Open(new WindowKey(5, 3), At(0), output);
        tracker.AddDetail(Detail(5, 3, 1, "held"), output);
        tracker.MarkTask(5, WindowMark.BusyRetries, At(2), output);
        Assert.Equal(new[] { "held" }, output.Select(d => d.Text));
        tracker.AddDetail(Detail(5, 3, 3, "after"), output);
        Assert.Equal(new[] { "held", "after" }, output.Select(d => d.Text));
        Assert.Equal(1, tracker.WindowsMarked);
    }

    [Fact]
    public void A_task_level_mark_drained_before_its_window_opens_waits_for_it()
    {
        var tracker = Tracker();
        var output = new List<TraceDetailRow>();
        tracker.MarkTask(6, WindowMark.BusyRetries, At(2), output); // another thread's lane was drained first
        Assert.Equal(0, tracker.WindowsMarked);
        tracker.AddDetail(Detail(6, 1, 1, "orphan"), output);
        tracker.Open(new WindowKey(6, 1), At(0), output);
        Assert.Equal(1, tracker.WindowsMarked);
        Assert.Equal(new[] { "orphan" }, output.Select(d => d.Text));
    }

    [Fact]
    public void A_task_level_mark_never_reaches_a_later_attempt_or_outlives_its_wait()
    {
        var tracker = Tracker();
        var output = new List<TraceDetailRow>();
        var first = new WindowKey(7, 1);
        tracker.Open(first, At(0), output);
        tracker.Close(first, At(2), output);
        tracker.Expire(At(5)); // decided, unmarked
        tracker.MarkTask(7, WindowMark.BusyRetries, At(1), output); // late: its window is gone, so it waits
        tracker.Open(new WindowKey(7, 2), At(3), output);           // opened after the retry: not the delayed attempt
        tracker.AddDetail(Detail(7, 2, 4, "second attempt"), output);
        Assert.Equal(0, tracker.WindowsMarked);

        tracker.MarkTask(8, WindowMark.BusyRetries, At(10), output);
        tracker.Expire(At(10 + 12 + 1)); // past pre-roll + post-roll: the waiting mark is dropped
        tracker.Open(new WindowKey(8, 1), At(9), output);
        Assert.Equal(0, tracker.WindowsMarked);
        Assert.Empty(output);
    }

    [Fact]
    public void Detail_without_a_task_is_not_wanted_unless_detail_for_all_or_a_user_event()
    {
        Assert.False(Tracker().WantsDetail(0, TraceEventKind.SqlStatement));
        Assert.True(Tracker().WantsDetail(1, TraceEventKind.SqlStatement));
        Assert.True(Tracker().WantsDetail(0, TraceEventKind.User)); // a user event's message is always kept
        Assert.True(new WindowTracker(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), detailForAll: true).WantsDetail(0, TraceEventKind.SqlStatement));
    }

    [Fact]
    public async Task A_busy_retry_in_a_lease_operation_keeps_the_detail_of_the_attempt_it_delayed()
    {
        using var folder = new TraceTempFolder();
        string db = folder.QueueDb;
        using (SqliteTaskStore.Open(db))
        {
        }

        using TraceSession session = TraceSession.Start(db, new TraceOptions { PostRoll = TimeSpan.Zero });
        var emitter = new BusyWatch(session.Emitter);
        long kept, discarded;
        using (SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db, BusyTimeout = TimeSpan.FromMinutes(2), Tracer = emitter }))
        {
            kept = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
            discarded = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
            IReadOnlyList<TaskRecord> claimed = await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 2, LeaseDuration = TimeSpan.FromMinutes(5) });
            Assert.Equal(2, claimed.Count);
            foreach (TaskRecord task in claimed)
            {
                emitter.OpenWindow(task.Id, task.Attempts, 0);
                emitter.EmitDetail(TraceEventKind.Progress, task.Id, task.Attempts, 0, 50, "detail of " + task.Id); // a user event's text would be kept anyway
            }

            TaskRecord slow = claimed.Single(t => t.Id == kept);
            TaskRecord quick = claimed.Single(t => t.Id == discarded);
            Assert.Equal(LeaseOutcome.Applied, await store.CompleteAsync(quick.Id, quick.LeaseToken!.Value));

            // Another connection holds the write lock: the completion of the other task meets busy retries.
            SqliteConnection holder = RawDb.Open(db);
            using (SqliteCommand begin = holder.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }

            Task<LeaseOutcome> pending = Task.Run(() => store.CompleteAsync(slow.Id, slow.LeaseToken!.Value));
            Assert.True(emitter.Retried.Wait(TimeSpan.FromMinutes(1)), "no busy retry was reported");
            holder.Dispose();
            Assert.Equal(LeaseOutcome.Applied, await pending);
            Assert.Equal(slow.Id, emitter.RetriedTask);
            foreach (TaskRecord task in claimed) emitter.CloseWindow(task.Id, task.Attempts);
        }

        session.Dispose();
        IReadOnlyList<TraceEvent> events = TraceStore.ForQueue(db).Query(new TraceQuery { IncludeDetail = true, Kinds = new[] { TraceEventKind.Progress, TraceEventKind.BusyRetry } });
        Assert.Contains(events, e => e.Kind == TraceEventKind.BusyRetry && e.TaskId == kept);
        Assert.Equal("detail of " + kept, Assert.Single(events, e => e.Kind == TraceEventKind.Progress && e.TaskId == kept).Detail);
        Assert.Null(Assert.Single(events, e => e.Kind == TraceEventKind.Progress && e.TaskId == discarded).Detail);
        TraceStats stats = session.GetStats();
        Assert.Equal(1, stats.WindowsMarked);
        Assert.Equal(1, stats.WindowsDiscarded);
    }

    /// <summary>Forwards to the session's emitter and signals the first busy retry that names a task.</summary>
    private sealed class BusyWatch : ITraceEmitter
    {
        private readonly ITraceEmitter _inner;
        private long _retriedTask;

        public BusyWatch(ITraceEmitter inner) => _inner = inner;

        public ManualResetEventSlim Retried { get; } = new(false);

        public long RetriedTask => Volatile.Read(ref _retriedTask);

        public bool IsEnabled => true;

        public short RegisterWorker(string workerId) => _inner.RegisterWorker(workerId);

        public void Emit(TraceEventKind kind, long taskId, int attempt, short workerSlot, long value)
        {
            _inner.Emit(kind, taskId, attempt, workerSlot, value);
            if (kind == TraceEventKind.BusyRetry && taskId != 0)
            {
                Volatile.Write(ref _retriedTask, taskId);
                Retried.Set();
            }
        }

        public void EmitDetail(TraceEventKind kind, long taskId, int attempt, short workerSlot, long value, string message) =>
            _inner.EmitDetail(kind, taskId, attempt, workerSlot, value, message);

        public void OpenWindow(long taskId, int attempt, short workerSlot) => _inner.OpenWindow(taskId, attempt, workerSlot);

        public void MarkWindow(long taskId, int attempt, WindowMark mark) => _inner.MarkWindow(taskId, attempt, mark);

        public void CloseWindow(long taskId, int attempt) => _inner.CloseWindow(taskId, attempt);
    }
}
