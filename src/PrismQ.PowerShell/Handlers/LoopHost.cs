using System;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell.Handlers;

/// <summary>What a <see cref="HandlerLoop"/> needs of the worker that runs it.</summary>
internal sealed class LoopHost
{
    public LoopHost(Func<bool> userStopping, Action<HandlerCall> stoppedByUser, Action<HandlerCall, object> output)
    {
        UserStopping = userStopping;
        StoppedByUser = stoppedByUser;
        Output = output;
    }

    /// <summary>True once the user stopped the worker (Ctrl+C).</summary>
    public Func<bool> UserStopping { get; }

    /// <summary>Ends a call that the user's stop interrupted.</summary>
    public Action<HandlerCall> StoppedByUser { get; }

    /// <summary>Shows a warning, verbose, debug or information record a call's handler wrote (on the loop's thread).</summary>
    public Action<HandlerCall, object> Output { get; }
}
