using System.Globalization;
using System.Management.Automation;

namespace PrismQ.PowerShell.Handlers;

/// <summary>
/// The warning, verbose, debug and information records a handler writes: each is kept with its attempt (the engine
/// stores it with the attempt's outcome, within <see cref="TaskLimits.MaxOutputRecordsPerAttempt"/> records, see
/// <see cref="TaskContext.WriteOutput"/>) and shown by the worker on the same stream, marked with its task, as
/// <c>Receive-Job</c> shows a job's.
/// </summary>
internal static class AttemptOutput
{
    /// <summary>True for the records a handler's loop takes from its merged streams.</summary>
    public static bool IsRecord(object value) => value is InformationalRecord or InformationRecord;

    /// <summary>The prefix that says which task a shown record came from.</summary>
    public static string Prefix(long taskId, int attempt) =>
        string.Format(CultureInfo.InvariantCulture, "[task {0} attempt {1}] ", taskId, attempt);

    /// <summary>The stream a record was written to.</summary>
    public static TaskOutputStream StreamOf(object record) => record switch
    {
        WarningRecord => TaskOutputStream.Warning,
        VerboseRecord => TaskOutputStream.Verbose,
        DebugRecord => TaskOutputStream.Debug,
        _ => TaskOutputStream.Information,
    };

    /// <summary>The text of a record, as stored.</summary>
    public static string Text(object record) => record switch
    {
        InformationalRecord informational => informational.Message,
        InformationRecord information => information.MessageData?.ToString() ?? string.Empty,
        _ => record.ToString() ?? string.Empty,
    };
}
