using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;

namespace PrismQ.PowerShell.Handlers;

/// <summary>
/// The warning, verbose, information and debug records one attempt's handler wrote, in the order it wrote them: kept
/// with the attempt and shown with its task, as <c>Receive-Job</c> shows a job's. At most <see cref="MaxRecords"/> are
/// kept; further ones are counted in <see cref="Dropped"/>.
/// </summary>
internal sealed class AttemptOutput
{
    /// <summary>The most records kept per attempt.</summary>
    public const int MaxRecords = 100;

    private readonly List<object> _records = new();

    /// <summary>The records kept: <see cref="WarningRecord"/>, <see cref="VerboseRecord"/>, <see cref="DebugRecord"/> or <see cref="InformationRecord"/>.</summary>
    public IReadOnlyList<object> Records => _records;

    /// <summary>Records written past <see cref="MaxRecords"/>, not kept.</summary>
    public int Dropped { get; private set; }

    public void Add(object record)
    {
        if (_records.Count < MaxRecords) _records.Add(record);
        else Dropped++;
    }

    /// <summary>Clears what a pipeline's streams still hold once a call ended (its records were taken as they came).</summary>
    public static void Clear(PSDataStreams streams)
    {
        if (streams.Warning.Count > 0) streams.Warning.Clear();
        if (streams.Verbose.Count > 0) streams.Verbose.Clear();
        if (streams.Information.Count > 0) streams.Information.Clear();
        if (streams.Debug.Count > 0) streams.Debug.Clear();
        if (streams.Progress.Count > 0) streams.Progress.Clear();
    }

    /// <summary>The prefix that says which task a replayed record came from.</summary>
    public static string Prefix(long taskId, int attempt) =>
        string.Format(CultureInfo.InvariantCulture, "[task {0} attempt {1}] ", taskId, attempt);

    /// <summary>The text of a record, for storage.</summary>
    public static string Text(object record) => record switch
    {
        InformationalRecord informational => informational.Message,
        InformationRecord information => information.MessageData?.ToString() ?? string.Empty,
        _ => record.ToString() ?? string.Empty,
    };
}
