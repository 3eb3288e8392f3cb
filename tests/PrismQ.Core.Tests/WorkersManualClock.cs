using System;
using System.Collections.Generic;
using System.Threading;

namespace PrismQ.Tests;

/// <summary>
/// A clock that moves only when the test calls <see cref="Advance"/>; the timers that fall due fire then, on the
/// calling thread (or task), so a test decides when a timeout, a grace period, a poll or a heartbeat happens. It uses
/// a <c>lock</c> and no real timer, so Coyote controls it too: tests/PrismQ.Coyote.Tests compiles this file as well.
/// </summary>
/// <remarks>
/// <see cref="TimestampStep"/> makes every <see cref="GetTimestamp"/> call advance the timestamp a little (without
/// firing timers): a worker measures its handlers with the clock's timestamps, and under a frozen clock every handler
/// takes 0 ticks, so the producer's prefetch target (<c>Producer.PrefetchTarget</c>) stays 0.
/// </remarks>
internal sealed class WorkersManualClock : TimeProvider
{
    private readonly object _gate = new();
    private readonly List<ManualTimer> _timers = new();
    private DateTimeOffset _now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private long _ticks;      // the time timers are due against
    private long _drift;      // what TimestampStep added to timestamps on top of _ticks

    /// <summary>Ticks added to the timestamp on every <see cref="GetTimestamp"/> call (0: a frozen clock).</summary>
    public long TimestampStep { get; init; }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate) return _now;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (_gate)
        {
            _drift += TimestampStep;
            return _ticks + _drift;
        }
    }

    /// <summary>Timers waiting to fire.</summary>
    public int PendingTimers
    {
        get { lock (_gate) return _timers.Count; }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock and fires every timer that falls due, on the calling task.</summary>
    public void Advance(TimeSpan delta)
    {
        List<ManualTimer> due;
        lock (_gate)
        {
            _now += delta;
            _ticks += delta.Ticks;
            due = _timers.FindAll(t => t.DueAt <= _ticks);
            foreach (ManualTimer t in due)
            {
                if (t.Period > 0) t.DueAt += t.Period;
                else _timers.Remove(t);
            }
        }
        foreach (ManualTimer t in due) t.Fire();
    }

    private sealed class ManualTimer : ITimer
    {
        private readonly WorkersManualClock _clock;
        private readonly TimerCallback _callback;
        private readonly object? _state;

        public ManualTimer(WorkersManualClock clock, TimerCallback callback, object? state)
        {
            _clock = clock;
            _callback = callback;
            _state = state;
        }

        public long DueAt { get; set; }
        public long Period { get; private set; }

        public void Fire() => _callback(_state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (_clock._gate)
            {
                _clock._timers.Remove(this);
                if (dueTime == Timeout.InfiniteTimeSpan) return true;
                DueAt = _clock._ticks + dueTime.Ticks;
                Period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
                _clock._timers.Add(this);
            }
            if (dueTime == TimeSpan.Zero) _clock.Advance(TimeSpan.Zero);
            return true;
        }

        public void Dispose()
        {
            lock (_clock._gate) _clock._timers.Remove(this);
        }

        public System.Threading.Tasks.ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
