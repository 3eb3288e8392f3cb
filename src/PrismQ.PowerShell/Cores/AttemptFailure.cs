using System;
using System.Globalization;

namespace PrismQ.PowerShell.Cores;

/// <summary>What became of a failed attempt.</summary>
internal enum AttemptFailureKind
{
    /// <summary>The attempt failed and a retry is scheduled.</summary>
    RetryScheduled,

    /// <summary>The attempt failed and the task has no attempts left: it is Failed (a dead letter).</summary>
    DeadLettered,

    /// <summary>The worker lost the attempt's lease (taken over after expiry, or given back elsewhere).</summary>
    LeaseLost,
}

/// <summary>
/// A failed attempt, reported by <see cref="WorkerHostCore"/> as it happens so that <c>Start-PrismQWorker</c> can write
/// it on its warning stream (a scheduled worker's transcript then holds every failure, not only the final counts).
/// Everything it says comes from the engine's <see cref="PrismQ.Workers.AttemptEnd"/>: no store read.
/// </summary>
internal sealed class AttemptFailure
{
    public AttemptFailure(TaskRecord task, AttemptFailureKind kind, bool timedOut, TaskError? error, DateTimeOffset? retryAt)
    {
        Task = task;
        Kind = kind;
        TimedOut = timedOut;
        Error = error;
        RetryAt = retryAt;
    }

    /// <summary>The task as it was claimed for the attempt.</summary>
    public TaskRecord Task { get; }

    public AttemptFailureKind Kind { get; }

    /// <summary>The attempt passed its task's timeout.</summary>
    public bool TimedOut { get; }

    /// <summary>The error the attempt was failed with (the handler's, or the engine's: timeout, cancel, result refused).</summary>
    public TaskError? Error { get; }

    /// <summary>When the retry may start, for <see cref="AttemptFailureKind.RetryScheduled"/>.</summary>
    public DateTimeOffset? RetryAt { get; }

    // Where in the handler's script the error happened: the "At file:line char:column" line of a handler's error detail
    // (see HandlerFailure), or null.
    private string? Position()
    {
        if (Error?.Detail is not { } detail) return null;
        foreach (string line in detail.Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith("At ", StringComparison.Ordinal)) return trimmed;
        }

        return null;
    }

    /// <summary>One line for the warning stream: task id, type, queue, attempt, the error's type and message, and what happens next.</summary>
    public string Describe()
    {
        string head = string.Format(CultureInfo.InvariantCulture, "PrismQ task {0} (type '{1}', queue '{2}') attempt {3} of {4}",
            Task.Id, Task.Type, Task.Queue, Task.Attempts, Task.MaxAttempts);
        if (Kind == AttemptFailureKind.LeaseLost)
            return head + ": the worker lost its lease (the task was taken over by another worker or changed meanwhile); this attempt's outcome was not recorded.";

        // One line, so that each failure is one line of a transcript or log.
        string what = Error is null ? "(no message)" : string.Join(" ", Error.ToString().Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries)).Trim();
        if (!what.EndsWith(".", StringComparison.Ordinal)) what += ".";
        if (Position() is { } position) what += " " + position + ".";
        string next = Kind == AttemptFailureKind.RetryScheduled
            ? RetryAt is { } at ? "Retry scheduled at " + at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) + "." : "A retry is scheduled."
            : "No attempts left: the task is Failed.";
        return head + (TimedOut ? " timed out: " : " failed: ") + what + " " + next;
    }
}
