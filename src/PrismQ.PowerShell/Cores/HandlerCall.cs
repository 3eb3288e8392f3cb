using System;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// One handler invocation the worker engine asked for: the task's context, and the completion the engine awaits.
/// The engine's token (worker stop after its grace period, task timeout, user cancel) stops the running handler and
/// completes the call as cancelled if the handler has not finished by then. A stop asked for before the invoker has
/// registered how to stop its handler (<see cref="OnStop"/>) is applied as soon as it does.
/// </summary>
internal sealed class HandlerCall
{
    private readonly TaskCompletionSource<string?> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Action? _stop;
    private int _stopRequested;

    private readonly Action<HandlerCall>? _ended;

    /// <param name="context">The attempt's context.</param>
    /// <param name="cancellationToken">The attempt's token.</param>
    /// <param name="ended">Told, on the completing thread, when the call has ended (before the engine's continuations run).</param>
    public HandlerCall(TaskContext context, CancellationToken cancellationToken, Action<HandlerCall>? ended = null)
    {
        _ended = ended;
        Context = context;
        CancellationToken = cancellationToken;
    }

    public TaskContext Context { get; }

    /// <summary>The task as the handler sees it (a <c>PrismQ.TaskInfo</c>), made on the engine's thread before the call is queued.</summary>
    public object? Task { get; set; }

    public CancellationToken CancellationToken { get; }

    public Task<string?> Completion => _completion.Task;

    public bool IsCompleted => _completion.Task.IsCompleted;

    /// <summary>True once <see cref="Stop"/> was called: an invoker must not start the handler then.</summary>
    public bool StopRequested => Volatile.Read(ref _stopRequested) != 0;

    /// <summary>Set by the invoker: how to stop the running handler (for example <c>PowerShell.BeginStop</c>).</summary>
    public void OnStop(Action stop)
    {
        Interlocked.Exchange(ref _stop, stop);
        if (IsCompleted || StopRequested) Stop();
    }

    /// <summary>Stops the running handler: now if it registered a way to, else as soon as it does.</summary>
    public void Stop()
    {
        Interlocked.Exchange(ref _stopRequested, 1);
        try
        {
            Interlocked.Exchange(ref _stop, null)?.Invoke();
        }
        catch (Exception)
        {
            // The handler may have ended at the same moment; nothing to stop then.
        }
    }

    public void Succeed(string? resultJson)
    {
        if (_completion.TrySetResult(resultJson)) _ended?.Invoke(this);
    }

    public void Fail(Exception error)
    {
        if (_completion.TrySetException(error)) _ended?.Invoke(this);
    }

    public void Cancel()
    {
        if (_completion.TrySetCanceled()) _ended?.Invoke(this);
    }
}
