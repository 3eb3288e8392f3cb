namespace PrismQ;

/// <summary>The fixed limits of task fields, checked at enqueue, and of the output an attempt keeps.</summary>
public static class TaskLimits
{
    /// <summary>The longest task type or queue name, in characters: 200.</summary>
    public const int MaxNameLength = 200;

    /// <summary>The largest max-attempts value: 1,000.</summary>
    public const int MaxAttempts = 1000;

    /// <summary>The largest batch (enqueue or claim): 10,000 for enqueue batches.</summary>
    public const int MaxEnqueueBatchSize = 10_000;

    /// <summary>The largest claim: 1,000 tasks.</summary>
    public const int MaxClaimCount = 1000;

    /// <summary>The longest idempotency key, in characters: 400.</summary>
    public const int MaxIdempotencyKeyLength = 400;

    /// <summary>
    /// The most output records an attempt keeps (<see cref="TaskContext.WriteOutput"/>): 100. Further records are
    /// counted, not kept, and one more record at the end of the attempt says how many were dropped.
    /// </summary>
    public const int MaxOutputRecordsPerAttempt = 100;

    /// <summary>
    /// The longest text of one output record, in characters: 4,000. Longer text is cut to this length, ending with
    /// "… (N more characters)".
    /// </summary>
    public const int MaxOutputRecordLength = 4000;
}
