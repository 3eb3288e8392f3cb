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
/// </summary>
internal sealed class AttemptFailure
{
    public AttemptFailure(TaskContext context, AttemptFailureKind kind, bool timedOut, TaskError? error)
    {
        Context = context;
        Kind = kind;
        TimedOut = timedOut;
        Error = error;
    }

    /// <summary>The attempt's task, as the handler saw it.</summary>
    public TaskContext Context { get; }

    public AttemptFailureKind Kind { get; }

    /// <summary>The attempt passed its task's timeout.</summary>
    public bool TimedOut { get; }

    /// <summary>The error the host failed the attempt with; null when the engine failed it (timeout, cancel, result refused).</summary>
    public TaskError? Error { get; }

    /// <summary>
    /// One line for the warning stream: task id, type, queue, attempt, the error's type and message, and what happens next.
    /// <paramref name="stored"/> is the task as stored after the failure (for the retry time and an error the host did not see); may be null.
    /// </summary>
    public string Describe(TaskRecord? stored)
    {
        string head = string.Format(CultureInfo.InvariantCulture, "PrismQ task {0} (type '{1}', queue '{2}') attempt {3} of {4}",
            Context.TaskId, Context.Type, Context.Queue, Context.Attempt, Context.MaxAttempts);
        if (Kind == AttemptFailureKind.LeaseLost)
            return head + ": the worker lost its lease (the task was taken over by another worker or changed meanwhile); this attempt's outcome was not recorded.";

        TaskError? error = Error ?? stored?.LastError;
        // One line, so that each failure is one line of a transcript or log.
        string what = error is null ? "(no message)" : string.Join(" ", error.ToString().Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries)).Trim();
        if (!what.EndsWith(".", StringComparison.Ordinal)) what += ".";
        string next = Kind == AttemptFailureKind.RetryScheduled
            ? stored is null ? "A retry is scheduled." : "Retry scheduled at " + stored.NotBefore.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) + "."
            : "No attempts left: the task is Failed.";
        return head + (TimedOut ? " timed out: " : " failed: ") + what + " " + next;
    }
}
