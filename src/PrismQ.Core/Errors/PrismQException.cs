using System;

namespace PrismQ;

/// <summary>
/// The one exception type PrismQ throws for expected failures. <see cref="Code"/> says what went wrong;
/// <see cref="ParameterName"/> and <see cref="InvalidValue"/> name the offending input where there is one.
/// </summary>
public sealed class PrismQException : Exception
{
    /// <summary>Creates an exception with a code and a message that names the value and the rule.</summary>
    public PrismQException(PrismQErrorCode code, string message, string? parameterName = null, object? invalidValue = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        ParameterName = parameterName;
        InvalidValue = invalidValue;
    }

    /// <summary>What went wrong.</summary>
    public PrismQErrorCode Code { get; }

    /// <summary>The name of the parameter or option at fault, if any.</summary>
    public string? ParameterName { get; }

    /// <summary>The value at fault, if any (payloads are not kept here: only their size).</summary>
    public object? InvalidValue { get; }

    /// <summary>The stable error id used by the PowerShell module: <c>PrismQ.&lt;Code&gt;</c>.</summary>
    public string ErrorId => "PrismQ." + Code;
}
