using System;
using System.Collections.Generic;

namespace PrismQ;

/// <summary>A snapshot of one task as stored. Instants are UTC (stored as integer milliseconds since the Unix epoch).</summary>
public sealed class TaskRecord
{
    /// <summary>The task's id, unique in its database, increasing with creation.</summary>
    public long Id { get; init; }

    /// <summary>The queue the task is in.</summary>
    public string Queue { get; init; } = QueueNames.Default;

    /// <summary>The task type; workers choose their handler by it.</summary>
    public string Type { get; init; } = string.Empty;

    /// <summary>The payload, as JSON text.</summary>
    public string Payload { get; init; } = "null";

    /// <summary>The priority: higher runs first.</summary>
    public int Priority { get; init; }

    /// <summary>The task is not claimed before this instant.</summary>
    public DateTimeOffset NotBefore { get; init; }

    /// <summary>How many attempts the task may have in all.</summary>
    public int MaxAttempts { get; init; }

    /// <summary>How many attempts have started (claims), including the running one.</summary>
    public int Attempts { get; init; }

    /// <summary>The time one attempt may take, if limited.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The idempotency key given at enqueue, if any.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>The task's state.</summary>
    public TaskStatus Status { get; init; }

    /// <summary>True when a user asked to cancel the task while it was running; its worker learns it at its next heartbeat.</summary>
    public bool CancelRequested { get; init; }

    /// <summary>The worker that holds (or last held) the lease.</summary>
    public string? LeaseOwner { get; init; }

    /// <summary>The current lease token, while <see cref="TaskStatus.Running"/>.</summary>
    public LeaseToken? LeaseToken { get; init; }

    /// <summary>When the current lease expires, while <see cref="TaskStatus.Running"/>.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }

    /// <summary>Progress in percent (0-100), as last reported by the handler.</summary>
    public int? ProgressPercent { get; init; }

    /// <summary>Progress message, as last reported by the handler.</summary>
    public string? ProgressMessage { get; init; }

    /// <summary>The result, as JSON text, once <see cref="TaskStatus.Succeeded"/>.</summary>
    public string? Result { get; init; }

    /// <summary>
    /// The error of the latest failed attempt, while the task is failed, cancelled after a failure, or waiting for its
    /// retry. Cleared when a new attempt starts and when the task is restarted (<see cref="Errors"/> keeps it).
    /// </summary>
    public TaskError? LastError { get; init; }

    /// <summary>
    /// Every failed attempt of the task, oldest first, kept across restarts (attempt, time, message, type, detail).
    /// Filled by <see cref="ITaskStore.GetAsync"/> and <see cref="ITaskStore.QueryAsync"/>; empty on the records a claim
    /// returns.
    /// </summary>
    public IReadOnlyList<TaskAttemptError> Errors { get; internal set; } = Array.Empty<TaskAttemptError>();

    /// <summary>
    /// The output its attempts' handlers wrote (<see cref="TaskContext.WriteOutput"/>: warnings, verbose, debug and
    /// informational messages), oldest first, each record with its attempt's number; kept across restarts, deleted with
    /// the task. At most <see cref="TaskLimits.MaxOutputRecordsPerAttempt"/> records per attempt (and one that says how
    /// many more were dropped), each at most <see cref="TaskLimits.MaxOutputRecordLength"/> characters. Stored with the
    /// attempt's transition, so a running attempt's output is not here yet, nor that of an attempt whose lease was lost.
    /// Filled by <see cref="ITaskStore.GetAsync"/> and <see cref="ITaskStore.QueryAsync"/>; empty on the records a claim
    /// returns.
    /// </summary>
    public IReadOnlyList<TaskOutputRecord> Output { get; internal set; } = Array.Empty<TaskOutputRecord>();

    /// <summary>When the task was enqueued.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its latest attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it reached a final state.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>When the row last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}
