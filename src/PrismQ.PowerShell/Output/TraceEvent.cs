using System;

namespace PrismQ.PowerShell;

/// <summary>One trace event (PowerShell type name <c>PrismQ.TraceEvent</c>).</summary>
public sealed class TraceEvent
{
    /// <summary>The PowerShell type name the format file binds to.</summary>
    public const string PSTypeName = "PrismQ.TraceEvent";

    /// <summary>When it happened (local time).</summary>
    public DateTime Timestamp { get; set; }

    /// <summary>What happened.</summary>
    public TraceEventKind Kind { get; set; }

    /// <summary>The task it concerns (0 for none).</summary>
    public long TaskId { get; set; }

    /// <summary>The task's attempt (0 for none).</summary>
    public int Attempt { get; set; }

    /// <summary>The worker that emitted it, when known.</summary>
    public string? WorkerId { get; set; }

    /// <summary>The event's number (its meaning depends on <see cref="Kind"/>: a duration in microseconds, a count, a percent...).</summary>
    public long Value { get; set; }

    /// <summary>The event's detail text (a user message, a SQL statement name...), when kept.</summary>
    public string? Message { get; set; }

    /// <summary>The machine that emitted it.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>The process that emitted it.</summary>
    public int ProcessId { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Timestamp:O} {Kind} {TaskId}";
}
