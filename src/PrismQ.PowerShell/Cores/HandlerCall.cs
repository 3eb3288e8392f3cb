using System;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// One handler invocation the worker engine asked for: the task's context, and the completion the engine awaits.
/// The engine's token (worker stop after its grace period, task timeout, user cancel) completes it as cancelled if the
/// handler has not finished by then.
/// </summary>
internal sealed class HandlerCall
{
    private readonly TaskCompletionSource<string?> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Action? _stop;

    public HandlerCall(TaskContext context, CancellationToken cancellationToken)
    {
        Context = context;
        CancellationToken = cancellationToken;
    }

    public TaskContext Context { get; }

    public CancellationToken CancellationToken { get; }

    public Task<string?> Completion => _completion.Task;

    public bool IsCompleted => _completion.Task.IsCompleted;

    /// <summary>Set by an off-thread invoker: stops the running handler (for example <c>PowerShell.BeginStop</c>).</summary>
    public void OnStop(Action stop)
    {
        _stop = stop;
        if (IsCompleted) Stop();
    }

    /// <summary>Stops the running handler, if it registered a way to.</summary>
    public void Stop()
    {
        try
        {
            Interlocked.Exchange(ref _stop, null)?.Invoke();
        }
        catch (Exception)
        {
            // The handler may have ended at the same moment; nothing to stop then.
        }
    }

    public void Succeed(string? resultJson) => _completion.TrySetResult(resultJson);

    public void Fail(Exception error) => _completion.TrySetException(error);

    public void Cancel() => _completion.TrySetCanceled();
}
