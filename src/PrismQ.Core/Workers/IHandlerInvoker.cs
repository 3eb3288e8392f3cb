using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.Workers;

/// <summary>
/// The one seam through which a worker calls handlers. The worker owns every lease and decides every outcome; an
/// invoker only runs the handler of an attempt and returns its result (JSON text or null) or throws. A host (the
/// PowerShell module) plugs in here without owning leases; a stop reaches handlers through the token only.
/// </summary>
internal interface IHandlerInvoker
{
    /// <summary>Runs the handler of <paramref name="context"/>'s task; the task completes when the handler has.</summary>
    Task<string?> InvokeAsync(TaskContext context, CancellationToken cancellationToken);

    /// <summary>
    /// True when <see cref="InvokeAsync"/> only hands the call over (to threads of the invoker's own) and returns at
    /// once: the worker then calls it on its own thread, without a hop to the thread pool. False when it may run user
    /// code that blocks before it returns.
    /// </summary>
    bool HandsOver { get; }
}

/// <summary>The default invoker: the handlers of <see cref="WorkerOptions.Handlers"/> by task type, else the fallback.</summary>
internal sealed class HandlerTable : IHandlerInvoker
{
    private readonly Dictionary<string, Func<TaskContext, CancellationToken, Task<string?>>> _handlers;
    private readonly Func<TaskContext, CancellationToken, Task<string?>>? _fallback;
    private readonly string _workerId;

    public HandlerTable(WorkerOptions options, string workerId)
    {
        _handlers = new Dictionary<string, Func<TaskContext, CancellationToken, Task<string?>>>(options.Handlers, StringComparer.Ordinal);
        _fallback = options.FallbackHandler;
        _workerId = workerId;
    }

    /// <summary>False: a handler may block before it returns its task.</summary>
    public bool HandsOver => false;

    public Task<string?> InvokeAsync(TaskContext context, CancellationToken cancellationToken)
    {
        Func<TaskContext, CancellationToken, Task<string?>>? handler = _handlers.TryGetValue(context.Type, out var found) ? found : _fallback;
        if (handler is null)
            throw new PrismQException(PrismQErrorCode.NoHandler, $"No handler for type '{context.Type}' on worker '{_workerId}' (task {context.TaskId}, queue '{context.Queue}').", "Type", context.Type);
        return handler(context, cancellationToken) ?? System.Threading.Tasks.Task.FromResult<string?>(null);
    }
}
