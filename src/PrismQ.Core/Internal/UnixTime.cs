using System;

namespace PrismQ.Internal;

/// <summary>Instants as stored: integer milliseconds since the Unix epoch, UTC.</summary>
internal static class UnixTime
{
    public static long ToMs(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static long Now(TimeProvider clock) => clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Whole milliseconds of a span, rounded up so a positive span never becomes zero.</summary>
    public static long SpanMs(TimeSpan span) => (long)Math.Ceiling(span.TotalMilliseconds);
}
