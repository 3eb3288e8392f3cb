using System;

namespace PrismQ.PowerShell;

/// <summary>What one <c>Invoke-PrismQMaintenance</c> run did (PowerShell type name <c>PrismQ.MaintenanceReport</c>).</summary>
public sealed class MaintenanceReport
{
    /// <summary>The PowerShell type name the format file binds to.</summary>
    public const string PSTypeName = "PrismQ.MaintenanceReport";

    /// <summary>The database file.</summary>
    public string Database { get; set; } = string.Empty;

    /// <summary>Finished tasks deleted by <c>-PruneFinishedOlderThan</c>.</summary>
    public int Pruned { get; set; }

    /// <summary>The WAL checkpoint mode used, or null when no checkpoint ran.</summary>
    public CheckpointMode? Checkpoint { get; set; }

    /// <summary>True when the checkpoint could not finish because readers or writers were busy.</summary>
    public bool CheckpointBusy { get; set; }

    /// <summary>The size of the WAL file before the checkpoint, in bytes.</summary>
    public long WalBytesBefore { get; set; }

    /// <summary>The size of the WAL file after the checkpoint, in bytes.</summary>
    public long WalBytesAfter { get; set; }

    /// <summary>True when <c>PRAGMA optimize</c> ran.</summary>
    public bool Optimized { get; set; }

    /// <summary>The integrity check's verdict, or null when it did not run.</summary>
    public bool? IntegrityOk { get; set; }

    /// <summary>The problems the integrity check found (empty when none, or when it did not run).</summary>
    public string[] IntegrityProblems { get; set; } = Array.Empty<string>();

    /// <summary>How long the run took.</summary>
    public TimeSpan Duration { get; set; }

    /// <inheritdoc />
    public override string ToString() => $"{Database}: pruned {Pruned}, integrity {(IntegrityOk is null ? "not checked" : IntegrityOk.Value ? "ok" : "FAILED")}";
}
