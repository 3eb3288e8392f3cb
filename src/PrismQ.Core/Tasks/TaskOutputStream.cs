namespace PrismQ;

/// <summary>
/// The stream an attempt's output record was written to (<see cref="TaskOutputRecord.Stream"/>). The values are
/// PowerShell's stream numbers, and are stored as integers: do not renumber them.
/// </summary>
public enum TaskOutputStream
{
    /// <summary>A warning (PowerShell stream 3, <c>Write-Warning</c>).</summary>
    Warning = 3,

    /// <summary>A verbose message (PowerShell stream 4, <c>Write-Verbose</c>).</summary>
    Verbose = 4,

    /// <summary>A debug message (PowerShell stream 5, <c>Write-Debug</c>).</summary>
    Debug = 5,

    /// <summary>An informational message (PowerShell stream 6, <c>Write-Information</c> and <c>Write-Host</c>).</summary>
    Information = 6,
}
