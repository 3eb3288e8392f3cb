using System;

namespace PrismQ.PowerShell;

/// <summary>
/// One failed attempt in a task's error history (<see cref="TaskInfo.Errors"/>). The history is kept when the task is
/// restarted.
/// </summary>
public sealed class TaskErrorInfo
{
    /// <summary>The attempt's number (1 for the first; numbering starts again after a restart).</summary>
    public int Attempt { get; set; }

    /// <summary>When the failure was recorded (local time).</summary>
    public DateTime At { get; set; }

    /// <summary>The error message.</summary>
    public string Message { get; set; } = string.Empty;

    /// <summary>The error's type (an exception's type name, or a PrismQ error id), if known.</summary>
    public string? Type { get; set; }

    /// <summary>More detail (the script position or stack trace), if any.</summary>
    public string? Detail { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"attempt {Attempt}: {Message}";
}
