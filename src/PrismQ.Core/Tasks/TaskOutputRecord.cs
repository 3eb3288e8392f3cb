using System;

namespace PrismQ;

/// <summary>
/// One record of an attempt's output (<see cref="TaskRecord.Output"/>): a warning, verbose, debug or informational
/// message the handler wrote with <see cref="TaskContext.WriteOutput"/>. Kept across restarts; deleted with the task.
/// </summary>
public sealed class TaskOutputRecord
{
    /// <summary>Creates a record.</summary>
    public TaskOutputRecord(int attempt, DateTimeOffset at, TaskOutputStream stream, string text)
    {
        Attempt = attempt;
        At = at;
        Stream = stream;
        Text = text ?? string.Empty;
    }

    /// <summary>
    /// The number of the attempt that wrote it (1 for the first; numbering starts again after a restart, and the next
    /// attempt reuses the number of an attempt given back uncounted).
    /// </summary>
    public int Attempt { get; }

    /// <summary>When the handler wrote it (UTC, by the worker's clock).</summary>
    public DateTimeOffset At { get; }

    /// <summary>The stream it was written to.</summary>
    public TaskOutputStream Stream { get; }

    /// <summary>The text, at most <see cref="TaskLimits.MaxOutputRecordLength"/> characters.</summary>
    public string Text { get; }

    /// <inheritdoc />
    public override string ToString() => $"attempt {Attempt} {Stream}: {Text}";
}
