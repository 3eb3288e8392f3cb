namespace PrismQ.Tasks;

/// <summary>An <see cref="EnqueueRequest"/> after validation, with defaults applied and instants in milliseconds.</summary>
internal readonly struct PreparedTask
{
    public PreparedTask(string queue, string type, string payload, int priority, long notBeforeMs, int maxAttempts, long? timeoutMs, string? idempotencyKey)
    {
        Queue = queue;
        Type = type;
        Payload = payload;
        Priority = priority;
        NotBeforeMs = notBeforeMs;
        MaxAttempts = maxAttempts;
        TimeoutMs = timeoutMs;
        IdempotencyKey = idempotencyKey;
    }

    public string Queue { get; }
    public string Type { get; }
    public string Payload { get; }
    public int Priority { get; }
    public long NotBeforeMs { get; }
    public int MaxAttempts { get; }
    public long? TimeoutMs { get; }
    public string? IdempotencyKey { get; }
}
