namespace PrismQ;

/// <summary>Well-known queue names.</summary>
public static class QueueNames
{
    /// <summary>The queue a task goes to when none is named: <c>default</c>.</summary>
    public const string Default = "default";
}
