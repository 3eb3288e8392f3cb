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
    public AttemptEnd(long taskId, LeaseToken token, int attempt, AttemptOutcome outcome, bool timedOut, bool abandoned)
    {
        TaskId = taskId;
        Token = token;
        Attempt = attempt;
        Outcome = outcome;
        TimedOut = timedOut;
        Abandoned = abandoned;
    }

    public long TaskId { get; }
    public LeaseToken Token { get; }
    public int Attempt { get; }
    public AttemptOutcome Outcome { get; }
    public bool TimedOut { get; }
    public bool Abandoned { get; }
}
