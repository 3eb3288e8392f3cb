using System;

namespace PrismQ;

/// <summary>What to enqueue. Only <see cref="Type"/> is required; everything else has a documented default.</summary>
public sealed class EnqueueRequest
{
    /// <summary>Creates a request for a task of the given type.</summary>
    public EnqueueRequest(string type, string? payload = null)
    {
        Type = type;
        Payload = payload;
    }

    /// <summary>The task type (1-200 characters, no control characters).</summary>
    public string Type { get; init; }

    /// <summary>The payload as JSON text; null means JSON <c>null</c>. Validated; at most <see cref="QueueOptions.MaxPayloadBytes"/> UTF-8 bytes.</summary>
    public string? Payload { get; init; }

    /// <summary>The queue (1-200 characters, no control characters). Default <c>default</c>.</summary>
    public string Queue { get; init; } = QueueNames.Default;

    /// <summary>Higher runs first. Default 0.</summary>
    public int Priority { get; init; }

    /// <summary>Not claimed until this much time has passed. Not together with <see cref="NotBefore"/>.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>Not claimed before this instant. Not together with <see cref="Delay"/>.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>Attempts in all (at least 1). Default <see cref="QueueOptions.DefaultMaxAttempts"/>.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>The time one attempt may take; none when null.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>When set, enqueueing a key that already exists returns the existing task instead of a new one.</summary>
    public string? IdempotencyKey { get; init; }
}
