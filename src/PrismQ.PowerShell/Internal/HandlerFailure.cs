using System;
using System.Management.Automation;
using System.Reflection;
using System.Text;

namespace PrismQ.PowerShell;

/// <summary>
/// Turns what a PowerShell handler failed with (a terminating exception, or the first record it wrote to its error
/// stream) into the error its attempt fails with: the message, the type (the underlying exception's full type name, or
/// the <c>PrismQ.&lt;Code&gt;</c> id of a PrismQ error) and a detail that says where in the script it happened (the
/// error record's FullyQualifiedErrorId, its position message and its script stack trace).
/// </summary>
internal static class HandlerFailure
{
    /// <summary>The failure for an exception thrown out of a handler's pipeline.</summary>
    /// <param name="exception">What the handler's pipeline threw.</param>
    public static HandlerFailedException FromException(Exception exception)
    {
        Exception outer = exception;
        while ((outer is AggregateException || outer is TargetInvocationException) && outer.InnerException is not null) outer = outer.InnerException;
        if (outer is HandlerFailedException already) return already;
        return Create(Cause(outer), RecordOf(outer));
    }

    /// <summary>The failure for a record the handler wrote to its error stream without stopping.</summary>
    /// <param name="record">The first record the handler wrote.</param>
    public static HandlerFailedException FromRecord(ErrorRecord record)
    {
        Exception cause = record.Exception is null || record.Exception is ParentContainsErrorRecordException
            ? new RuntimeException(record.ToString())
            : Cause(record.Exception);
        return Create(cause, record);
    }

    private static HandlerFailedException Create(Exception cause, ErrorRecord? record)
    {
        string message = record?.ErrorDetails?.Message is { Length: > 0 } details ? details : cause.Message;
        string type = cause is PrismQException prismQ ? prismQ.ErrorId : cause.GetType().FullName ?? cause.GetType().Name;
        return new HandlerFailedException(new TaskError(message, type, Detail(record)), cause);
    }

    // The record that says where the error happened: the innermost one with an invocation (a .NET method's exception
    // is wrapped in records of the method call; an error made terminating keeps the original record).
    private static ErrorRecord? RecordOf(Exception outer)
    {
        ErrorRecord? found = null;
        for (Exception? e = outer; e is not null; e = e.InnerException)
        {
            if (e is IContainsErrorRecord { ErrorRecord: { } record } && (found is null || record.InvocationInfo is not null)) found = record;
        }

        return found;
    }

    // The exception that says what went wrong: past the wrappers PowerShell adds around a .NET method's exception, and
    // the original error of an ActionPreferenceStopException (an error turned terminating by $ErrorActionPreference).
    private static Exception Cause(Exception ex)
    {
        while ((ex is MethodInvocationException || ex is AggregateException || ex is TargetInvocationException) && ex.InnerException is not null)
            ex = ex.InnerException;
        if (ex is RuntimeException runtime && runtime.ErrorRecord?.Exception is { } inner && inner != ex && !(inner is ParentContainsErrorRecordException))
            return inner;
        return ex;
    }

    private static string? Detail(ErrorRecord? record)
    {
        if (record is null) return null;
        var text = new StringBuilder();
        text.Append("FullyQualifiedErrorId: ").Append(record.FullyQualifiedErrorId);
        string? position = record.InvocationInfo?.PositionMessage;
        if (!string.IsNullOrEmpty(position)) text.Append('\n').Append(position);
        if (!string.IsNullOrEmpty(record.ScriptStackTrace)) text.Append('\n').Append(record.ScriptStackTrace);
        return text.ToString();
    }
}
