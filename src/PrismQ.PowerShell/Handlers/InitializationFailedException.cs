using System;

namespace PrismQ.PowerShell.Handlers;

/// <summary>The <c>-InitializationScript</c> failed in a runspace: the worker does not start.</summary>
internal sealed class InitializationFailedException : Exception
{
    public InitializationFailedException(HandlerFailedException failure)
        : base("-InitializationScript failed: " + failure.Error.Message, failure)
    {
        Failure = failure;
    }

    public HandlerFailedException Failure { get; }
}
