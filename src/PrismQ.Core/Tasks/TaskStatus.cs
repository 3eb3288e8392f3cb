namespace PrismQ;

/// <summary>
/// The state of a task. A task waiting for its retry is <see cref="Queued"/> with a future not-before instant.
/// The numeric values are stored in the database and never change.
/// </summary>
public enum TaskStatus
{
    /// <summary>Waiting to be claimed (possibly not before a future instant).</summary>
    Queued = 0,
    /// <summary>Leased to a worker.</summary>
    Running = 1,
    /// <summary>Completed by its handler. Final.</summary>
    Succeeded = 2,
    /// <summary>Failed on its last attempt (dead-lettered). Final until retried by a user.</summary>
    Failed = 3,
    /// <summary>Cancelled by a user. Final until retried by a user.</summary>
    Cancelled = 4,
}
