using System.Collections.Generic;
using System.Management.Automation;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// How each <see cref="PrismQErrorCode"/> becomes a PowerShell error: its <see cref="ErrorCategory"/>, and whether it
/// stops the cmdlet (an unusable database or a bad parameter) or is reported for the one pipeline item at fault.
/// Uses only the <see cref="ErrorCategory"/> enum from PowerShell, so tests run it without PowerShell.
/// </summary>
internal static class ErrorMapping
{
    private static readonly Dictionary<PrismQErrorCode, (ErrorCategory Category, bool Terminating)> Table = new()
    {
        [PrismQErrorCode.InvalidPayload] = (ErrorCategory.InvalidData, false),
        [PrismQErrorCode.SecretInPayload] = (ErrorCategory.InvalidArgument, false),
        [PrismQErrorCode.PayloadTooLarge] = (ErrorCategory.LimitsExceeded, false),
        [PrismQErrorCode.InvalidTaskType] = (ErrorCategory.InvalidArgument, true),
        [PrismQErrorCode.InvalidQueueName] = (ErrorCategory.InvalidArgument, true),
        [PrismQErrorCode.InvalidDelay] = (ErrorCategory.InvalidArgument, true),
        [PrismQErrorCode.InvalidMaxAttempts] = (ErrorCategory.InvalidArgument, true),
        [PrismQErrorCode.InvalidBatchSize] = (ErrorCategory.InvalidArgument, true),
        [PrismQErrorCode.InvalidArgument] = (ErrorCategory.InvalidArgument, true),
        [PrismQErrorCode.InvalidOption] = (ErrorCategory.InvalidArgument, true),
        [PrismQErrorCode.InvalidDatabasePath] = (ErrorCategory.InvalidArgument, true),
        [PrismQErrorCode.DatabaseNotWritable] = (ErrorCategory.PermissionDenied, true),
        [PrismQErrorCode.NotADatabase] = (ErrorCategory.InvalidData, true),
        [PrismQErrorCode.SchemaTooNew] = (ErrorCategory.NotImplemented, true),
        [PrismQErrorCode.DatabaseBusy] = (ErrorCategory.ResourceBusy, true),
        [PrismQErrorCode.StorageError] = (ErrorCategory.ResourceUnavailable, true),
        [PrismQErrorCode.TaskNotFound] = (ErrorCategory.ObjectNotFound, false),
        [PrismQErrorCode.InvalidTaskState] = (ErrorCategory.InvalidOperation, false),
        [PrismQErrorCode.LeaseLost] = (ErrorCategory.InvalidOperation, false),
        [PrismQErrorCode.QueueNotFound] = (ErrorCategory.ObjectNotFound, false),
        [PrismQErrorCode.NoHandler] = (ErrorCategory.NotImplemented, false),
        [PrismQErrorCode.Timeout] = (ErrorCategory.OperationTimeout, false),
        [PrismQErrorCode.ResultTooLarge] = (ErrorCategory.LimitsExceeded, false),
        [PrismQErrorCode.NotSupported] = (ErrorCategory.NotImplemented, true),
    };

    /// <summary>True when the code has an explicit entry (tests check every code has one).</summary>
    public static bool IsMapped(PrismQErrorCode code) => Table.ContainsKey(code);

    /// <summary>The PowerShell error category of a code (NotSpecified for a code unknown to this version).</summary>
    public static ErrorCategory CategoryOf(PrismQErrorCode code) =>
        Table.TryGetValue(code, out var entry) ? entry.Category : ErrorCategory.NotSpecified;

    /// <summary>True when the error stops the cmdlet rather than just the current pipeline item.</summary>
    public static bool IsTerminating(PrismQErrorCode code) =>
        !Table.TryGetValue(code, out var entry) || entry.Terminating;
}
