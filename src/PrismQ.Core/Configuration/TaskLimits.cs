namespace PrismQ;

/// <summary>The fixed limits of task fields, checked at enqueue.</summary>
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
}
