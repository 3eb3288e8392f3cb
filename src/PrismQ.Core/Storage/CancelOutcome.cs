namespace PrismQ;

/// <summary>What a cancel did.</summary>
public enum CancelOutcome
{
    /// <summary>The task was queued and is now <see cref="TaskStatus.Cancelled"/>.</summary>
    Cancelled = 0,
    /// <summary>The task is running: it is marked, and its worker learns it at its next heartbeat.</summary>
    CancelRequested = 1,
    /// <summary>The task had already finished (succeeded, failed or cancelled). Nothing changed.</summary>
    AlreadyFinished = 2,
    /// <summary>No task has that id.</summary>
    NotFound = 3,
}
