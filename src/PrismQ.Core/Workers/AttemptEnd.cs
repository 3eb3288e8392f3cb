using System;

namespace PrismQ.Workers;

/// <summary>How an attempt ended, as the worker recorded it.</summary>
internal enum AttemptOutcome
{
    Succeeded,
    Failed,
    Retried,
    LeaseLost,
    Released,
    Cancelled,
}

/// <summary>One ended attempt, for <see cref="WorkerOptions.AttemptEnded"/>.</summary>
internal readonly struct AttemptEnd
{
    public AttemptEnd(TaskRecord task, LeaseToken token, AttemptOutcome outcome, bool timedOut, bool abandoned, TaskError? error, DateTimeOffset? retryAt)
    {
        Task = task;
        Token = token;
        Outcome = outcome;
        TimedOut = timedOut;
        Abandoned = abandoned;
        Error = error;
        RetryAt = retryAt;
    }

    /// <summary>The task as it was claimed for this attempt.</summary>
    public TaskRecord Task { get; }
    public long TaskId => Task.Id;
    public LeaseToken Token { get; }
    public int Attempt => Task.Attempts;
    public AttemptOutcome Outcome { get; }
    public bool TimedOut { get; }
    public bool Abandoned { get; }

    /// <summary>The error the attempt was failed with; null unless the worker failed it.</summary>
    public TaskError? Error { get; }

    /// <summary>When the retry of a <see cref="AttemptOutcome.Retried"/> attempt may start; null otherwise.</summary>
    public DateTimeOffset? RetryAt { get; }
}
