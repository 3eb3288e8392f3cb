namespace PrismQ;

/// <summary>What a reclaim of expired (or dead workers') leases did.</summary>
public sealed class ReclaimResult
{
    /// <summary>Creates a result.</summary>
    public ReclaimResult(int requeued, int failed)
    {
        Requeued = requeued;
        Failed = failed;
    }

    /// <summary>Tasks made claimable again (the lost attempt counted).</summary>
    public int Requeued { get; }

    /// <summary>Tasks with no attempts left, now <see cref="TaskStatus.Failed"/>.</summary>
    public int Failed { get; }
}
