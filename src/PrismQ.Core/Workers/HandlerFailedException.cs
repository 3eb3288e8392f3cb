using System;

namespace PrismQ;

/// <summary>
/// Thrown by a handler to fail its attempt with exactly <see cref="Error"/> (message, type and detail) instead of what
/// the worker would read from an exception (its message, its type's full name and its <c>ToString()</c>). For hosts
/// that know more about a failure than an exception says: the PowerShell module records a script's error id and
/// position this way.
/// </summary>
public sealed class HandlerFailedException : Exception
{
    /// <summary>Creates the exception; its message is the error's message.</summary>
    /// <param name="error">The error to record for the attempt.</param>
    /// <param name="innerException">The exception that caused it, if any.</param>
    public HandlerFailedException(TaskError error, Exception? innerException = null)
        : base(error?.Message ?? string.Empty, innerException)
    {
        Error = error ?? new TaskError(string.Empty);
    }

    /// <summary>The error the attempt fails with.</summary>
    public TaskError Error { get; }
}
