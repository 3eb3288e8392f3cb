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

    private readonly long _preRoll;
    private readonly long _postRoll;
    private readonly long _slow;
    private readonly long _timeout;
    private readonly bool _detailForAll;
    private readonly Dictionary<WindowKey, Window> _windows = new();
    private readonly Queue<KeyValuePair<WindowKey, long>> _closing = new();
    private readonly Dictionary<WindowKey, List<TraceDetailRow>> _orphans = new();
    private readonly Queue<KeyValuePair<List<TraceDetailRow>, WindowKey>> _orphanOrder = new();
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

    public void Open(WindowKey key, long utc, List<TraceDetailRow> output)
    {
        Window window = GetOrCreate(key, utc);
        if (window.OpenedUtc == 0) window.OpenedUtc = utc;
        Adopt(key, window, output);
    }

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

    public void AddDetail(in TraceDetailRow row, List<TraceDetailRow> output)
    {
        if (_detailForAll)
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
            WindowKey key = _closing.Dequeue().Key;
            if (_windows.TryGetValue(key, out Window? window) && window.ClosedUtc != 0) Finish(key, window);
        }

        long orphanCutoff = nowUtc - (_preRoll + _postRoll);
        while (_orphanOrder.Count > 0)
        {
            KeyValuePair<List<TraceDetailRow>, WindowKey> oldest = _orphanOrder.Peek();
            bool attached = _orphans.TryGetValue(oldest.Value, out List<TraceDetailRow>? current) && ReferenceEquals(current, oldest.Key);
            if (attached && oldest.Key[0].UtcTicks >= orphanCutoff) break;
            EvictOldestOrphan();
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
    }

    private Window GetOrCreate(WindowKey key, long utc)
    {
        if (!_windows.TryGetValue(key, out Window? window))
        {
            window = new Window { LastUtc = utc };
            _windows.Add(key, window);
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
        if (window.Mark != WindowMark.None) return; // its detail was persisted when marked and as it arrived
        WindowsDiscarded++;
        DetailsDiscarded += window.Held.Count;
    }

    private sealed class Window
    {
        public long OpenedUtc;
        public long ClosedUtc;
        public long LastUtc;
        public long MarkUtc;
        public WindowMark Mark;
        public readonly List<TraceDetailRow> Held = new();
    }
}
