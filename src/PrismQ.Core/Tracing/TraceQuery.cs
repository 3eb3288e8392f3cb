using System;
using System.Collections.Generic;

namespace PrismQ;

/// <summary>
/// Which events <see cref="TraceStore.Query"/> returns: every filter that is set must match. Results are merged in
/// timestamp order across threads and processes (ties: source, lane, sequence), and paged with
/// <see cref="Offset"/> and <see cref="Limit"/>.
/// </summary>
public sealed class TraceQuery
{
    /// <summary>The largest <see cref="Limit"/>.</summary>
    public const int MaxLimit = 1_000_000;

    /// <summary>Only this task.</summary>
    public long? TaskId { get; init; }

    /// <summary>Only this attempt (with <see cref="TaskId"/>).</summary>
    public int? Attempt { get; init; }

    /// <summary>Only events of this worker id.</summary>
    public string? WorkerId { get; init; }

    /// <summary>Only these kinds (null or empty: all).</summary>
    public IReadOnlyCollection<TraceEventKind>? Kinds { get; init; }

    /// <summary>Only events at or after this instant.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only events before this instant.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>
    /// Also read each event's detail message (kept only for marked windows). Default false. A user event's message is
    /// read either way: it is always kept.
    /// </summary>
    public bool IncludeDetail { get; init; }

    /// <summary>Events to skip (paging). Default 0; 0 or more.</summary>
    public int Offset { get; init; }

    /// <summary>The most events returned. Default 10,000; 1 to 1,000,000.</summary>
    public int Limit { get; init; } = 10_000;

    /// <summary>Throws <see cref="PrismQException"/> (<see cref="PrismQErrorCode.InvalidArgument"/>) naming the first invalid value.</summary>
    public void Validate()
    {
        if (Limit < 1 || Limit > MaxLimit) throw Invalid(nameof(Limit), Limit, $"must be between 1 and {MaxLimit}");
        if (Offset < 0) throw Invalid(nameof(Offset), Offset, "must be 0 or more");
        if (Attempt is < 1) throw Invalid(nameof(Attempt), Attempt, "must be 1 or more");
        if (From is not null && To is not null && To < From) throw Invalid(nameof(To), To, "must not be before From");
        if (Kinds is not null)
            foreach (TraceEventKind kind in Kinds)
                if (!Enum.IsDefined(typeof(TraceEventKind), kind)) throw Invalid(nameof(Kinds), kind, "must hold defined TraceEventKind values only");
    }

    private static PrismQException Invalid(string name, object? value, string rule) =>
        new(PrismQErrorCode.InvalidArgument, $"TraceQuery.{name} is '{value}'; it {rule}.", name, value);
}
