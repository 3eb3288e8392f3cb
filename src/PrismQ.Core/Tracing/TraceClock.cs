using System;
using System.Diagnostics;

namespace PrismQ.Tracing;

/// <summary>
/// Converts hot-path timestamps (<see cref="Stopwatch.GetTimestamp"/> ticks) to UTC ticks at the drain. The anchor
/// pairs one UTC reading (from the session's <see cref="TimeProvider"/>) with one Stopwatch reading taken at session
/// start; later instants are the anchor plus the elapsed Stopwatch time, so they never go backwards within a process.
/// </summary>
internal sealed class TraceClock
{
    private readonly long _anchorUtcTicks;
    private readonly long _anchorTimestamp;
    private readonly double _ticksPerTimestamp;

    public TraceClock(TimeProvider timeProvider)
    {
        _anchorTimestamp = Stopwatch.GetTimestamp();
        _anchorUtcTicks = timeProvider.GetUtcNow().UtcTicks;
        _ticksPerTimestamp = (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency;
    }

    /// <summary>UTC ticks (100 ns since 0001-01-01) of a Stopwatch timestamp.</summary>
    public long ToUtcTicks(long timestamp) => _anchorUtcTicks + (long)((timestamp - _anchorTimestamp) * _ticksPerTimestamp);

    /// <summary>A duration in Stopwatch ticks.</summary>
    public static long ToTimestampTicks(TimeSpan duration) => (long)(duration.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));
}
