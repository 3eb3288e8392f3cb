using System;

namespace PrismQ;

/// <summary>
/// One failed attempt in a task's error history (<see cref="TaskRecord.Errors"/>): an attempt that failed, timed out,
/// was cancelled while running, or whose lease was taken over. Kept across restarts; deleted with the task.
/// </summary>
public sealed class TaskAttemptError
{
    /// <summary>Creates an entry.</summary>
    public TaskAttemptError(int attempt, DateTimeOffset at, string message, string? type, string? detail)
    {
        Attempt = attempt;
        At = at;
        Message = message ?? string.Empty;
        Type = type;
        Detail = detail;
    }

    /// <summary>The attempt's number (1 for the first; numbering starts again after a restart).</summary>
    public int Attempt { get; }

    /// <summary>When the failure was recorded (UTC).</summary>
    public DateTimeOffset At { get; }

    /// <summary>The error message.</summary>
    public string Message { get; }

    /// <summary>The error's type (an exception's full type name, or a <c>PrismQ.</c> error id), if known.</summary>
    public string? Type { get; }

    /// <summary>More detail (a stack trace, or a script position), if any.</summary>
    public string? Detail { get; }

    /// <inheritdoc />
    public override string ToString() => $"attempt {Attempt}: " + (Type is null ? Message : Type + ": " + Message);
}
