using System;
using System.Collections.Generic;

namespace PrismQ;

/// <summary>Which tasks a query, bulk retry or bulk delete applies to. Every criterion set must hold (AND).</summary>
public sealed class TaskFilter
{
    /// <summary>Only tasks in this queue.</summary>
    public string? Queue { get; init; }

    /// <summary>Only tasks of this type.</summary>
    public string? Type { get; init; }

    /// <summary>Only tasks in one of these states (any state when null or empty).</summary>
    public IReadOnlyCollection<TaskStatus>? Statuses { get; init; }

    /// <summary>Only tasks created at or after this instant.</summary>
    public DateTimeOffset? CreatedAfter { get; init; }

    /// <summary>Only tasks created before this instant.</summary>
    public DateTimeOffset? CreatedBefore { get; init; }

    /// <summary>Only tasks that finished before this instant (implies a final state).</summary>
    public DateTimeOffset? FinishedBefore { get; init; }

    /// <summary>Only these ids.</summary>
    public IReadOnlyCollection<long>? Ids { get; init; }
}
