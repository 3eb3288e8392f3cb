namespace PrismQ;

/// <summary>A task and the lease token of its current attempt: the key of every lease operation.</summary>
public readonly struct TaskLease
{
    /// <summary>Creates a key.</summary>
    public TaskLease(long id, LeaseToken token)
    {
        Id = id;
        Token = token;
    }

    /// <summary>The task.</summary>
    public long Id { get; }

    /// <summary>The lease token.</summary>
    public LeaseToken Token { get; }
}
