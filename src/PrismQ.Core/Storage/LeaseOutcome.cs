namespace PrismQ;

/// <summary>The outcome of an operation that needs the current lease.</summary>
public enum LeaseOutcome
{
    /// <summary>The lease was current and the change was made.</summary>
    Applied = 0,
    /// <summary>The task is not running under this token any more (it was taken over, released, cancelled or finished). Nothing changed.</summary>
    LeaseLost = 1,
}
