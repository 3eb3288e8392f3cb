namespace PrismQ;

/// <summary>One item of <see cref="LeaseOperations.CompleteManyAsync"/>.</summary>
public readonly struct TaskCompletion
{
    /// <summary>Creates a completion.</summary>
    public TaskCompletion(long id, LeaseToken token, string? resultJson = null)
    {
        Id = id;
        Token = token;
        ResultJson = resultJson;
    }

    /// <summary>The task id.</summary>
    public long Id { get; }

    /// <summary>The lease token of the attempt.</summary>
    public LeaseToken Token { get; }

    /// <summary>The result as JSON text, or null.</summary>
    public string? ResultJson { get; }
}
