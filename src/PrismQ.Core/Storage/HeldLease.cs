using System;

namespace PrismQ;

/// <summary>A lease as a store holds it: which task, which token, whose, and what the engine needs to decide a rescue.</summary>
public sealed class HeldLease
{
    /// <summary>Creates a lease record.</summary>
    public HeldLease(long id, LeaseToken token, string? owner, int attempts, int maxAttempts, bool cancelRequested, DateTimeOffset expiresAt)
    {
        Id = id;
        Token = token;
        Owner = owner;
        Attempts = attempts;
        MaxAttempts = maxAttempts;
        CancelRequested = cancelRequested;
        ExpiresAt = expiresAt;
    }

    /// <summary>The task.</summary>
    public long Id { get; }

    /// <summary>The current lease token.</summary>
    public LeaseToken Token { get; }

    /// <summary>The worker that holds the lease.</summary>
    public string? Owner { get; }

    /// <summary>Attempts made, this one included.</summary>
    public int Attempts { get; }

    /// <summary>Attempts allowed.</summary>
    public int MaxAttempts { get; }

    /// <summary>A user asked to cancel the task.</summary>
    public bool CancelRequested { get; }

    /// <summary>When the lease expires.</summary>
    public DateTimeOffset ExpiresAt { get; }
}
