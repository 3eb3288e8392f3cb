using System;

namespace PrismQ.PowerShell;

/// <summary>A queue database file as <c>Initialize-PrismQDatabase</c> reports it (PowerShell type name <c>PrismQ.DatabaseInfo</c>).</summary>
public sealed class DatabaseInfo
{
    /// <summary>The PowerShell type name the format file binds to.</summary>
    public const string PSTypeName = "PrismQ.DatabaseInfo";

    /// <summary>The full path of the database file.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>True when this call created the file.</summary>
    public bool Created { get; set; }

    /// <summary>The commit durability the session's connection uses.</summary>
    public Durability Durability { get; set; }

    /// <summary>The size of the database file in bytes.</summary>
    public long SizeBytes { get; set; }

    /// <summary>The size of its write-ahead log (<c>-wal</c> file) in bytes; 0 when there is none.</summary>
    public long WalSizeBytes { get; set; }

    /// <summary>How many queues the database knows.</summary>
    public int QueueCount { get; set; }

    /// <inheritdoc />
    public override string ToString() => Path;
}
