using System;
using PrismQ.PowerShell;

namespace PrismQ;

/// <summary>
/// A task as the cmdlets show it. Its full name is its PowerShell type name, <c>PrismQ.TaskInfo</c>, the name the
/// format file binds to, so the cmdlets write it as it is, without adding a type name to each object. Instants are local
/// <see cref="DateTime"/> values; <see cref="Payload"/> and <see cref="Result"/> are PowerShell objects
/// rebuilt from the stored JSON (<see cref="PayloadJson"/>, <see cref="ResultJson"/>) when first read, so a task
/// whose payload nobody looks at costs no parsing.
/// </summary>
public sealed class TaskInfo
{
    private LazyJsonValue _payload;
    private LazyJsonValue _result;

    /// <summary>The PowerShell type name the format file binds to.</summary>
    public const string PSTypeName = "PrismQ.TaskInfo";

    /// <summary>The task's id.</summary>
    public long Id { get; set; }

    /// <summary>The queue the task is in.</summary>
    public string Queue { get; set; } = QueueNames.Default;

    /// <summary>The task type.</summary>
    public string Type { get; set; } = string.Empty;

    /// <summary>The task's state.</summary>
    public TaskStatus Status { get; set; }

    /// <summary>Higher runs first.</summary>
    public int Priority { get; set; }

    /// <summary>Attempts started so far.</summary>
    public int Attempts { get; set; }

    /// <summary>Attempts allowed in all.</summary>
    public int MaxAttempts { get; set; }

    /// <summary>
    /// The payload as PowerShell objects (PSCustomObject, object[], string, number, bool or null): read from
    /// <see cref="PayloadJson"/> on first use, unless set before.
    /// </summary>
    public object? Payload
    {
        get => _payload.Get(PayloadJson);
        set => _payload.Set(value);
    }

    /// <summary>The payload as stored (JSON text).</summary>
    public string PayloadJson { get; set; } = "null";

    /// <summary>
    /// The handler's result as PowerShell objects, once succeeded: read from <see cref="ResultJson"/> on first use,
    /// unless set before.
    /// </summary>
    public object? Result
    {
        get => _result.Get(ResultJson);
        set => _result.Set(value);
    }

    /// <summary>The result as stored (JSON text), or null.</summary>
    public string? ResultJson { get; set; }

    /// <summary>
    /// The message of the latest failed attempt, while the task is failed or waiting for its retry. Cleared when a new
    /// attempt starts and by Restart-PrismQTask; <see cref="Errors"/> keeps every failed attempt.
    /// </summary>
    public string? Error { get; set; }

    /// <summary>The type of the last error (for example an exception's type name), if known.</summary>
    public string? ErrorType { get; set; }

    /// <summary>Every failed attempt, oldest first (attempt, time, message, type, detail), kept across restarts.</summary>
    public TaskErrorInfo[] Errors { get; set; } = Array.Empty<TaskErrorInfo>();

    /// <summary>
    /// The warning, verbose, debug and information output of every finished attempt, oldest first (attempt, time,
    /// stream, text), kept across restarts: at most 100 records per attempt, each at most 4,000 characters.
    /// </summary>
    public TaskOutputInfo[] Output { get; set; } = Array.Empty<TaskOutputInfo>();

    /// <summary>Progress in percent (0-100) as last reported by the handler.</summary>
    public int? Progress { get; set; }

    /// <summary>Progress message as last reported by the handler.</summary>
    public string? ProgressMessage { get; set; }

    /// <summary>The task is not claimed before this instant (local time).</summary>
    public DateTime NotBefore { get; set; }

    /// <summary>When the task was enqueued (local time).</summary>
    public DateTime CreatedAt { get; set; }

    /// <summary>When its latest attempt started (local time).</summary>
    public DateTime? StartedAt { get; set; }

    /// <summary>When it reached a final state (local time).</summary>
    public DateTime? FinishedAt { get; set; }

    /// <summary>The worker that holds (or last held) the task.</summary>
    public string? WorkerId { get; set; }

    /// <summary>The idempotency key given at enqueue, if any.</summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>The time one attempt may take, if limited.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>True when a cancel was requested while the task was running.</summary>
    public bool CancelRequested { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Id} {Type} {Status}";
}
