using System;
using System.Collections.Generic;

namespace PrismQ.Tracing;

/// <summary>
/// Decides the windows, on the drain thread only (never on the hot path). A window is one task attempt: opened at the
/// claim, closed at the attempt's end, decided <see cref="TraceOptions.PostRoll"/> later. Detail records of the
/// attempt are held here while the window is unmarked; when it is marked (failed, timed out, lease lost, slow, busy
/// retries, requested) the held detail from within <see cref="TraceOptions.PreRoll"/> before the mark is persisted,
/// and later detail is persisted as it arrives. An unmarked window's detail is discarded and counted when it is decided.
/// <para>
/// Detail that arrives for a task attempt with no window yet (another thread's lane drained first) waits as an orphan
/// for pre-roll + post-roll; a window that opens or is marked adopts its orphans. All times are UTC ticks.
/// </para>
/// </summary>
internal sealed class WindowTracker
{
    /// <summary>The most detail records held for one unmarked window; older ones are discarded first.</summary>
    public const int MaxHeldPerWindow = 4096;

    /// <summary>The most orphan detail records held; older ones are discarded first.</summary>
    public const int MaxOrphans = 65536;

    /// <summary>The most task-level marks waiting for their window; older ones are dropped first.</summary>
    public const int MaxPendingTaskMarks = 4096;

    /// <summary>Decided windows kept for reuse (no allocation per window in steady state).</summary>
    private const int MaxPooledWindows = 1024;

    private readonly long _preRoll;
    private readonly long _postRoll;
    private readonly long _slow;
    private readonly long _timeout;
    private readonly bool _detailForAll;
    private readonly Dictionary<WindowKey, Window> _windows = new();
    private readonly Queue<KeyValuePair<WindowKey, long>> _closing = new();
    private readonly Dictionary<WindowKey, List<TraceDetailRow>> _orphans = new();
    private readonly Queue<KeyValuePair<List<TraceDetailRow>, WindowKey>> _orphanOrder = new();
    private readonly Dictionary<long, int> _openAttempt = new();             // task id → attempt of its latest window
    private readonly Dictionary<long, TaskMark> _taskMarks = new();          // task-level marks whose window is not seen yet
    private readonly Queue<KeyValuePair<long, long>> _taskMarkOrder = new(); // (task id, mark time), oldest first
    private readonly Stack<Window> _pool = new();
    private int _orphanCount;
    private long _lastTimeoutSweep;

    public WindowTracker(TimeSpan preRoll, TimeSpan postRoll, TimeSpan slowThreshold, TimeSpan windowTimeout, bool detailForAll)
    {
        _preRoll = preRoll.Ticks;
        _postRoll = postRoll.Ticks;
        _slow = slowThreshold.Ticks;
        _timeout = windowTimeout.Ticks;
        _detailForAll = detailForAll;
    }

    public long WindowsOpened { get; private set; }
    public long WindowsMarked { get; private set; }
    public long WindowsDiscarded { get; private set; }
    public long DetailsPersisted { get; private set; }
    public long DetailsDiscarded { get; private set; }
    public int OpenWindows => _windows.Count;

    /// <summary>
    /// Opens the window of one attempt. A window of the same key that opened and closed before this instant is an
    /// earlier run of the same attempt number (<c>Restart-PrismQTask</c> numbers attempts from 1 again): it is decided
    /// now, and the new run gets a window of its own.
    /// </summary>
    public void Open(WindowKey key, long utc, List<TraceDetailRow> output)
    {
        if (_windows.TryGetValue(key, out Window? earlier) && earlier.OpenedUtc != 0 && earlier.ClosedUtc != 0 && earlier.ClosedUtc <= utc)
            Finish(key, earlier);
        Window window = GetOrCreate(key, utc);
        if (window.OpenedUtc == 0) window.OpenedUtc = utc;
        Adopt(key, window, output);
        if (_taskMarks.TryGetValue(key.TaskId, out TaskMark pending) && pending.Utc >= window.OpenedUtc &&
            (window.ClosedUtc == 0 || pending.Utc <= window.ClosedUtc))
        {
            _taskMarks.Remove(key.TaskId);
            Mark(key, pending.Mark, pending.Utc, create: false, output);
        }
    }

    /// <summary>
    /// Marks the window of <paramref name="taskId"/> that was open at <paramref name="utc"/>, whatever its attempt: for
    /// events that know the task but not the attempt (the store's busy retries in a lease operation). At most one
    /// attempt of a task runs at a time, so that window is the one opened at or before the instant and not closed
    /// before it. When the drain has not seen that window open yet (its events are in another thread's lane), the mark
    /// waits, like an orphan, for pre-roll + post-roll.
    /// </summary>
    public void MarkTask(long taskId, WindowMark mark, long utc, List<TraceDetailRow> output)
    {
        if (taskId == 0 || mark == WindowMark.None) return;
        if (_openAttempt.TryGetValue(taskId, out int attempt))
        {
            var key = new WindowKey(taskId, attempt);
            if (_windows.TryGetValue(key, out Window? window) && window.OpenedUtc != 0 && window.OpenedUtc <= utc && (window.ClosedUtc == 0 || utc <= window.ClosedUtc))
            {
                Mark(key, mark, utc, create: false, output);
                return;
            }
        }

        if (_taskMarks.ContainsKey(taskId)) return; // the first pending mark wins, as for a window
        _taskMarks.Add(taskId, new TaskMark(mark, utc));
        _taskMarkOrder.Enqueue(new KeyValuePair<long, long>(taskId, utc));
        if (_taskMarkOrder.Count > MaxPendingTaskMarks) _taskMarks.Remove(_taskMarkOrder.Dequeue().Key);
    }

    /// <summary>
    /// False when a detail record of <paramref name="taskId"/> would be discarded at once (no task, not a user event
    /// and not <see cref="TraceOptions.DetailForAll"/>): the drain then counts it with <see cref="DiscardDetail"/>
    /// without copying its text.
    /// </summary>
    public bool WantsDetail(long taskId, TraceEventKind kind) => _detailForAll || taskId != 0 || kind == TraceEventKind.User;

    /// <summary>Counts a detail record the drain did not copy (see <see cref="WantsDetail"/>).</summary>
    public void DiscardDetail() => DetailsDiscarded++;

    /// <summary>Marks a window (the first mark wins). <paramref name="create"/>: false for marks inferred from event kinds.</summary>
    public void Mark(WindowKey key, WindowMark mark, long utc, bool create, List<TraceDetailRow> output)
    {
        if (mark == WindowMark.None) return;
        Window? window;
        if (create) window = GetOrCreate(key, utc);
        else if (!_windows.TryGetValue(key, out window)) return;
        if (window.Mark != WindowMark.None) return;

        Adopt(key, window, output); // unmarked yet: orphans join the held detail and meet the same pre-roll rule
        window.Mark = mark;
        window.MarkUtc = utc;
        WindowsMarked++;
        long cutoff = utc - _preRoll;
        foreach (TraceDetailRow held in window.Held)
        {
            if (held.UtcTicks >= cutoff)
            {
                output.Add(held);
                DetailsPersisted++;
            }
            else
            {
                DetailsDiscarded++;
            }
        }

        window.Held.Clear();
    }

    public void Close(WindowKey key, long utc, List<TraceDetailRow> output)
    {
        Window window = GetOrCreate(key, utc);
        if (window.ClosedUtc != 0) return;
        window.ClosedUtc = utc;
        _closing.Enqueue(new KeyValuePair<WindowKey, long>(key, utc));
        if (window.OpenedUtc != 0 && utc - window.OpenedUtc > _slow)
            Mark(key, WindowMark.Slow, utc, create: false, output);
    }

    /// <summary>
    /// Persists, holds or discards one detail record: persisted at once with <see cref="TraceOptions.DetailForAll"/>
    /// or when <see cref="TraceDetailRow.AlwaysKept"/> (a user event's message), or when its window is marked; held
    /// while its window is unmarked; an orphan while its window is not open yet; discarded when it has no task.
    /// </summary>
    public void AddDetail(in TraceDetailRow row, List<TraceDetailRow> output)
    {
        if (_detailForAll || row.AlwaysKept)
        {
            output.Add(row);
            DetailsPersisted++;
            return;
        }

        if (row.TaskId == 0)
        {
            DetailsDiscarded++; // belongs to no window
            return;
        }

        var key = new WindowKey(row.TaskId, row.Attempt);
        if (_windows.TryGetValue(key, out Window? window))
        {
            if (row.UtcTicks > window.LastUtc) window.LastUtc = row.UtcTicks;
            if (window.Mark != WindowMark.None)
            {
                output.Add(row);
                DetailsPersisted++;
                return;
            }

            if (window.Held.Count >= MaxHeldPerWindow)
            {
                window.Held.RemoveAt(0);
                DetailsDiscarded++;
            }

            window.Held.Add(row);
            return;
        }

        if (!_orphans.TryGetValue(key, out List<TraceDetailRow>? list))
        {
            list = new List<TraceDetailRow>();
            _orphans.Add(key, list);
        }

        list.Add(row);
        _orphanOrder.Enqueue(new KeyValuePair<List<TraceDetailRow>, WindowKey>(list, key));
        _orphanCount++;
        if (_orphanCount > MaxOrphans) EvictOldestOrphan();
    }

    /// <summary>Decides windows whose post-roll has passed, evicts stale orphans, and times out silent windows.</summary>
    public void Expire(long nowUtc)
    {
        while (_closing.Count > 0 && _closing.Peek().Value + _postRoll <= nowUtc)
        {
            KeyValuePair<WindowKey, long> closed = _closing.Dequeue();
            // The close time must match: a window decided early (its attempt restarted) may have a successor by now.
            if (_windows.TryGetValue(closed.Key, out Window? window) && window.ClosedUtc == closed.Value) Finish(closed.Key, window);
        }

        long orphanCutoff = nowUtc - (_preRoll + _postRoll);
        while (_orphanOrder.Count > 0)
        {
            KeyValuePair<List<TraceDetailRow>, WindowKey> oldest = _orphanOrder.Peek();
            bool attached = _orphans.TryGetValue(oldest.Value, out List<TraceDetailRow>? current) && ReferenceEquals(current, oldest.Key);
            if (attached && oldest.Key[0].UtcTicks >= orphanCutoff) break;
            EvictOldestOrphan();
        }

        while (_taskMarkOrder.Count > 0 && _taskMarkOrder.Peek().Value < orphanCutoff)
        {
            KeyValuePair<long, long> oldest = _taskMarkOrder.Dequeue();
            if (_taskMarks.TryGetValue(oldest.Key, out TaskMark pending) && pending.Utc == oldest.Value) _taskMarks.Remove(oldest.Key);
        }

        if (nowUtc - _lastTimeoutSweep >= _timeout / 4)
        {
            _lastTimeoutSweep = nowUtc;
            List<WindowKey>? silent = null;
            foreach (KeyValuePair<WindowKey, Window> entry in _windows)
                if (entry.Value.ClosedUtc == 0 && nowUtc - entry.Value.LastUtc > _timeout) (silent ??= new()).Add(entry.Key);
            if (silent is not null)
                foreach (WindowKey key in silent) Finish(key, _windows[key]);
        }
    }

    /// <summary>Decides every window now (final drain): marked ones are already persisted, the rest are discarded.</summary>
    public void FinishAll()
    {
        foreach (KeyValuePair<WindowKey, Window> entry in new List<KeyValuePair<WindowKey, Window>>(_windows))
            Finish(entry.Key, entry.Value);
        _closing.Clear();
        DetailsDiscarded += _orphanCount;
        _orphanCount = 0;
        _orphans.Clear();
        _orphanOrder.Clear();
        _taskMarks.Clear();
        _taskMarkOrder.Clear();
    }

    private Window GetOrCreate(WindowKey key, long utc)
    {
        if (!_windows.TryGetValue(key, out Window? window))
        {
            window = _pool.Count > 0 ? _pool.Pop() : new Window();
            window.LastUtc = utc;
            _windows.Add(key, window);
            if (!_openAttempt.TryGetValue(key.TaskId, out int latest) || key.Attempt >= latest) _openAttempt[key.TaskId] = key.Attempt;
            WindowsOpened++;
        }
        else if (utc > window.LastUtc)
        {
            window.LastUtc = utc;
        }

        return window;
    }

    /// <summary>Moves the orphans of <paramref name="key"/> into the window; a marked window persists them (pre-roll rule).</summary>
    private void Adopt(WindowKey key, Window window, List<TraceDetailRow> output)
    {
        if (!_orphans.TryGetValue(key, out List<TraceDetailRow>? list)) return;
        _orphans.Remove(key); // the entries left in _orphanOrder now point at a detached list and are skipped
        _orphanCount -= list.Count;
        if (window.Mark == WindowMark.None)
        {
            window.Held.AddRange(list);
            return;
        }

        long cutoff = window.MarkUtc - _preRoll;
        foreach (TraceDetailRow row in list)
        {
            if (row.UtcTicks >= cutoff)
            {
                output.Add(row);
                DetailsPersisted++;
            }
            else
            {
                DetailsDiscarded++;
            }
        }
    }

    private void EvictOldestOrphan()
    {
        KeyValuePair<List<TraceDetailRow>, WindowKey> oldest = _orphanOrder.Dequeue();
        List<TraceDetailRow> list = oldest.Key;
        if (!_orphans.TryGetValue(oldest.Value, out List<TraceDetailRow>? attached) || !ReferenceEquals(attached, list)) return;
        list.RemoveAt(0);
        _orphanCount--;
        DetailsDiscarded++;
        if (list.Count == 0) _orphans.Remove(oldest.Value);
    }

    private void Finish(WindowKey key, Window window)
    {
        _windows.Remove(key);
        if (_openAttempt.TryGetValue(key.TaskId, out int latest) && latest == key.Attempt) _openAttempt.Remove(key.TaskId);
        if (window.Mark == WindowMark.None) // a marked window's detail was persisted when marked and as it arrived
        {
            WindowsDiscarded++;
            DetailsDiscarded += window.Held.Count;
        }

        if (_pool.Count < MaxPooledWindows && window.Held.Capacity <= MaxHeldPerWindow / 16)
        {
            window.Reset();
            _pool.Push(window);
        }
    }

    private sealed class Window
    {
        public long OpenedUtc;
        public long ClosedUtc;
        public long LastUtc;
        public long MarkUtc;
        public WindowMark Mark;
        public readonly List<TraceDetailRow> Held = new();

        public void Reset()
        {
            OpenedUtc = ClosedUtc = LastUtc = MarkUtc = 0;
            Mark = WindowMark.None;
            Held.Clear();
        }
    }

    private readonly struct TaskMark
    {
        public TaskMark(WindowMark mark, long utc)
        {
            Mark = mark;
            Utc = utc;
        }

        public WindowMark Mark { get; }
        public long Utc { get; }
    }
}
