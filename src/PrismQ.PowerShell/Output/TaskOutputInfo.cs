using System;

namespace PrismQ.PowerShell;

/// <summary>
/// One record of an attempt's output (<see cref="TaskInfo.Output"/>): a warning, verbose, debug or information message
/// its handler wrote. Kept when the task is restarted.
/// </summary>
public sealed class TaskOutputInfo
{
    /// <summary>The number of the attempt that wrote it (1 for the first; numbering starts again after a restart).</summary>
    public int Attempt { get; set; }

    /// <summary>When the handler wrote it (local time).</summary>
    public DateTime At { get; set; }

    /// <summary>The stream it was written to: Warning, Verbose, Debug or Information.</summary>
    public TaskOutputStream Stream { get; set; }

    /// <summary>The text (at most 4,000 characters; longer text was cut).</summary>
    public string Text { get; set; } = string.Empty;

    /// <inheritdoc />
    public override string ToString() => $"attempt {Attempt} {Stream}: {Text}";
}
