namespace PrismQ;

/// <summary>What one <see cref="DatabaseMaintenance.Run"/> did.</summary>
public sealed class MaintenanceReport
{
    /// <summary>The WAL checkpoint.</summary>
    public CheckpointResult Checkpoint { get; init; } = new();

    /// <summary>Finished tasks deleted by the retention rules.</summary>
    public int Pruned { get; init; }

    /// <summary>The integrity check, when it was asked for.</summary>
    public IntegrityResult? Integrity { get; init; }
}
