using System;
using System.Collections.Generic;
using System.Linq;
using PrismQ.Tracing;
using Xunit;

namespace PrismQ.Tests;

public sealed class TracingWindowTests
{
    private static readonly long S = TimeSpan.TicksPerSecond;

    private static WindowTracker Tracker(bool detailForAll = false) =>
        new(preRoll: TimeSpan.FromSeconds(10), postRoll: TimeSpan.FromSeconds(2), slowThreshold: TimeSpan.FromSeconds(30),
            windowTimeout: TimeSpan.FromHours(1), detailForAll);

    private static TraceDetailRow Detail(long task, int attempt, long seconds, string text, long sequence = 0) =>
        new(0, sequence, 1000 * S + seconds * S, task, attempt, text);

    private static long At(long seconds) => 1000 * S + seconds * S;

    [Fact]
    public void A_marked_window_keeps_its_pre_roll_and_later_detail()
    {
        var tracker = Tracker();
        var output = new List<TraceDetailRow>();
        var key = new WindowKey(1, 1);
        tracker.Open(key, At(0), output);
        tracker.AddDetail(Detail(1, 1, 0, "too early"), output);
        tracker.AddDetail(Detail(1, 1, 15, "within pre-roll"), output);
        Assert.Empty(output);

        tracker.Mark(key, WindowMark.Failed, At(20), create: true, output);
        Assert.Equal(new[] { "within pre-roll" }, output.Select(d => d.Text));

        tracker.AddDetail(Detail(1, 1, 21, "after the mark"), output);
        tracker.Close(key, At(22), output);
        tracker.Expire(At(23)); // inside the post-roll: still open for late detail
        tracker.AddDetail(Detail(1, 1, 23, "post-roll"), output);
        tracker.Expire(At(24));
        Assert.Equal(new[] { "within pre-roll", "after the mark", "post-roll" }, output.Select(d => d.Text));
        Assert.Equal(1, tracker.DetailsDiscarded); // "too early"
        Assert.Equal(1, tracker.WindowsMarked);
        Assert.Equal(0, tracker.WindowsDiscarded);
        Assert.Equal(0, tracker.OpenWindows);
    }

    [Fact]
    public void An_unmarked_window_is_discarded_and_counted_after_its_post_roll()
    {
        var tracker = Tracker();
        var output = new List<TraceDetailRow>();
        var key = new WindowKey(2, 1);
        tracker.Open(key, At(0), output);
        tracker.AddDetail(Detail(2, 1, 1, "a"), output);
        tracker.AddDetail(Detail(2, 1, 2, "b"), output);
        tracker.Close(key, At(3), output);
        tracker.Expire(At(4));
        Assert.Equal(1, tracker.OpenWindows);
        tracker.Expire(At(5));
        Assert.Empty(output);
        Assert.Equal(0, tracker.OpenWindows);
        Assert.Equal(1, tracker.WindowsDiscarded);
        Assert.Equal(2, tracker.DetailsDiscarded);
    }

    [Fact]
    public void A_mark_during_the_post_roll_still_keeps_the_detail()
    {
        var tracker = Tracker();
        var output = new List<TraceDetailRow>();
        var key = new WindowKey(3, 2);
        tracker.Open(key, At(0), output);
        tracker.AddDetail(Detail(3, 2, 1, "x"), output);
        tracker.Close(key, At(2), output);
        tracker.Mark(key, WindowMark.LeaseLost, At(3), create: true, output); // e.g. found by the heartbeat thread
        tracker.Expire(At(10));
        Assert.Equal(new[] { "x" }, output.Select(d => d.Text));
    }

    [Fact]
    public void A_slow_attempt_is_marked_at_close()
    {
        var tracker = Tracker();
        var output = new List<TraceDetailRow>();
        var key = new WindowKey(4, 1);
        tracker.Open(key, At(0), output);
        tracker.AddDetail(Detail(4, 1, 35, "late step"), output);
        tracker.Close(key, At(40), output);
        Assert.Equal(1, tracker.WindowsMarked);
        Assert.Equal(new[] { "late step" }, output.Select(d => d.Text));

        var fast = new WindowKey(5, 1);
        tracker.Open(fast, At(0), output);
        tracker.Close(fast, At(29), output);
        Assert.Equal(1, tracker.WindowsMarked);
    }

    [Fact]
    public void Detail_drained_before_its_window_opens_is_adopted()
    {
        var tracker = Tracker();
        var output = new List<TraceDetailRow>();
        tracker.AddDetail(Detail(6, 1, 0, "from another thread"), output); // no window yet: an orphan
        tracker.Open(new WindowKey(6, 1), At(1), output);
        tracker.Mark(new WindowKey(6, 1), WindowMark.Failed, At(2), create: true, output);
        Assert.Equal(new[] { "from another thread" }, output.Select(d => d.Text));

        tracker.AddDetail(Detail(7, 1, 0, "never claimed"), output);
        tracker.Expire(At(100)); // older than pre-roll + post-roll: evicted
        Assert.Single(output);
        Assert.Equal(1, tracker.DetailsDiscarded);
    }

    [Fact]
    public void Marks_inferred_from_kinds_do_not_create_windows_and_detail_for_all_keeps_everything()
    {
        var tracker = Tracker();
        var output = new List<TraceDetailRow>();
        tracker.Mark(new WindowKey(8, 1), WindowMark.BusyRetries, At(0), create: false, output);
        Assert.Equal(0, tracker.OpenWindows);

        var all = Tracker(detailForAll: true);
        all.AddDetail(Detail(0, 0, 0, "no task"), output);
        all.AddDetail(Detail(9, 1, 0, "unmarked"), output);
        Assert.Equal(2, output.Count);
    }

    [Fact]
    public void FinishAll_discards_unmarked_windows_and_orphans()
    {
        var tracker = Tracker();
        var output = new List<TraceDetailRow>();
        tracker.Open(new WindowKey(10, 1), At(0), output);
        tracker.AddDetail(Detail(10, 1, 0, "held"), output);
        tracker.AddDetail(Detail(11, 1, 0, "orphan"), output);
        tracker.FinishAll();
        Assert.Empty(output);
        Assert.Equal(2, tracker.DetailsDiscarded);
        Assert.Equal(1, tracker.WindowsDiscarded);
        Assert.Equal(0, tracker.OpenWindows);
    }

    [Fact]
    public void A_restarted_attempt_number_gets_a_window_of_its_own_even_within_the_post_roll_of_the_first()
    {
        var tracker = Tracker(); // post-roll 2 s
        var output = new List<TraceDetailRow>();
        var key = new WindowKey(5, 1);
        tracker.Open(key, At(0), output);
        tracker.AddDetail(Detail(5, 1, 0, "first run"), output);
        tracker.Close(key, At(1), output);

        tracker.Open(key, At(2), output); // Restart-PrismQTask: attempt 1 again, inside the first run's post-roll
        Assert.Equal(1, tracker.WindowsDiscarded); // the first run is decided at once, unmarked
        tracker.AddDetail(Detail(5, 1, 2, "second run"), output);
        tracker.Expire(At(3)); // the first run's post-roll ends: the second run stays open
        Assert.Equal(1, tracker.OpenWindows);
        tracker.Mark(key, WindowMark.Failed, At(4), create: false, output);
        Assert.Equal(new[] { "second run" }, output.Select(d => d.Text));
        tracker.Close(key, At(5), output);
        tracker.Expire(At(8));
        Assert.Equal(0, tracker.OpenWindows);
        Assert.Equal(2, tracker.WindowsOpened);
        Assert.Equal(1, tracker.WindowsMarked);
    }

    [Fact]
    public void Through_the_session_a_failed_attempt_keeps_its_detail_and_a_successful_one_does_not()
    {
        var sink = new VerifyingTraceSink();
        var session = TraceSession.StartWithSink(new TraceOptions { PostRoll = TimeSpan.Zero }, sink);
        ITraceEmitter tracer = session.Emitter;
        short slot = tracer.RegisterWorker("worker-1");

        tracer.OpenWindow(1, 1, slot);
        tracer.EmitDetail(TraceEventKind.SqlStatement, 1, 1, slot, 120, "claim 120us");
        tracer.EmitDetail(TraceEventKind.User, 1, 1, slot, 0, "step 1 of 2");
        tracer.EmitDetail(TraceEventKind.Fail, 1, 1, slot, 5000, "System.IO.IOException: disk full");
        tracer.CloseWindow(1, 1);

        tracer.OpenWindow(2, 1, slot);
        tracer.EmitDetail(TraceEventKind.SqlStatement, 2, 1, slot, 90, "claim 90us");
        tracer.EmitDetail(TraceEventKind.Progress, 2, 1, slot, 50, "half done");
        tracer.Emit(TraceEventKind.Complete, 2, 1, slot, 4000);
        tracer.CloseWindow(2, 1);

        Assert.True(session.Flush(TimeSpan.FromMinutes(1))); // post-roll 0: both windows are decided in that pass
        TraceStats stats = session.GetStats();
        // The user event's text is persisted at once, the rest when the failure marks the window: compare in emission order.
        Assert.Equal(new[] { "claim 120us", "step 1 of 2", "System.IO.IOException: disk full" }, sink.Details.OrderBy(d => d.Sequence).Select(d => d.Text));
        Assert.All(sink.Details, d => Assert.Equal(1, d.TaskId));
        Assert.Equal(2, stats.WindowsOpened);
        Assert.Equal(1, stats.WindowsMarked);
        Assert.Equal(1, stats.WindowsDiscarded);
        Assert.Equal(2, stats.DetailsDiscarded);
        Assert.Equal(3, stats.DetailsPersisted);
        Assert.Contains(sink.Workers, w => w.WorkerId == "worker-1" && w.Slot == slot);
        session.Dispose();
    }

    [Fact]
    public void Through_the_session_user_messages_are_kept_inside_a_successful_attempt_and_outside_any_task()
    {
        var sink = new VerifyingTraceSink();
        var session = TraceSession.StartWithSink(new TraceOptions { PostRoll = TimeSpan.Zero }, sink);
        ITraceEmitter tracer = session.Emitter;
        short slot = tracer.RegisterWorker("worker-1");

        session.EmitUser("deploy 1.4.2 started");                          // no task
        tracer.OpenWindow(3, 1, slot);
        tracer.EmitDetail(TraceEventKind.SqlStatement, 3, 1, slot, 80, "claim 80us");
        tracer.EmitDetail(TraceEventKind.User, 3, 1, slot, 0, "downloading");   // what TaskContext.TraceEvent emits
        tracer.Emit(TraceEventKind.Complete, 3, 1, slot, 4000);
        tracer.CloseWindow(3, 1);
        session.EmitUser("rows read: 1200", taskId: 3, attempt: 1);      // after the attempt's end: an orphan would expire
        tracer.EmitDetail(TraceEventKind.SqlStatement, 0, 0, 0, 70, "complete 70us"); // no task: discarded without a copy

        Assert.True(session.Flush(TimeSpan.FromMinutes(1)));
        session.Dispose();
        Assert.Equal(new[] { "deploy 1.4.2 started", "downloading", "rows read: 1200" }, sink.Details.OrderBy(d => d.Sequence).Select(d => d.Text));
        Assert.All(sink.Details, d => Assert.True(d.AlwaysKept));
        TraceStats stats = session.GetStats();
        Assert.Equal(0, stats.WindowsMarked);    // the attempt itself stays unmarked: its other detail is discarded
        Assert.Equal(1, stats.WindowsDiscarded);
        Assert.Equal(2, stats.DetailsDiscarded); // "claim 80us" with the window, "complete 70us" at once
        Assert.Equal(3, stats.DetailsPersisted);
    }

    [Fact]
    public void Detail_longer_than_a_quarter_ring_is_cut_and_a_full_detail_ring_drops_only_the_message()
    {
        var sink = new VerifyingTraceSink();
        var session = TraceSession.StartWithSink(new TraceOptions { DetailRingCapacity = 256, DetailForAll = true, DrainInterval = TimeSpan.FromSeconds(10) }, sink);
        session.EmitUser(new string('x', 500), 1, 1);
        for (int i = 0; i < 10; i++) session.EmitUser(new string('y', 60), 1, 1, i + 1); // 64-char cap: the ring holds 4
        session.Dispose();

        Assert.Equal(64, sink.Details[0].Text.Length);
        Assert.Equal(11, sink.Events);                              // every index event is kept
        Assert.True(session.GetStats().DetailsDropped > 0);         // some messages were not
        Assert.Equal(11 - session.GetStats().DetailsDropped, sink.Details.Count);
        Assert.Empty(sink.Violations);
    }
}
