namespace PrismQ;

/// <summary>SQLite's WAL checkpoint modes (<c>PRAGMA wal_checkpoint(MODE)</c>).</summary>
public enum CheckpointMode
{
    /// <summary>Copies what it can without waiting for anyone; never blocks readers or writers.</summary>
    Passive = 0,
    /// <summary>Waits for writers, then copies everything readers allow.</summary>
    Full = 1,
    /// <summary>As <see cref="Full"/>, then waits until readers leave the WAL so the next writer starts it from the beginning.</summary>
    Restart = 2,
    /// <summary>As <see cref="Restart"/>, then truncates the WAL file to zero bytes.</summary>
    Truncate = 3,
}
