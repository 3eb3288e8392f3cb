namespace PrismQ;

/// <summary>What one WAL checkpoint did.</summary>
public sealed class CheckpointResult
{
    /// <summary>The mode used.</summary>
    public CheckpointMode Mode { get; init; }

    /// <summary>True when the checkpoint could not finish because a reader or writer was in the way (it is retried later).</summary>
    public bool Busy { get; init; }

    /// <summary>Frames in the WAL when the checkpoint ran (-1 when unknown).</summary>
    public long WalFrames { get; init; }

    /// <summary>Frames copied into the database (-1 when unknown).</summary>
    public long CheckpointedFrames { get; init; }

    /// <summary>The WAL file's size before, in bytes (0 when there is none).</summary>
    public long WalBytesBefore { get; init; }

    /// <summary>The WAL file's size after, in bytes.</summary>
    public long WalBytesAfter { get; init; }
}
