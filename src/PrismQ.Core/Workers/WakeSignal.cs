using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.Workers;

/// <summary>
/// An awaitable flag. The waiter calls <see cref="Reset"/>, checks its conditions, then awaits <see cref="Task"/>:
/// a <see cref="Set"/> after the reset is never lost.
/// </summary>
internal sealed class WakeSignal
{
    private TaskCompletionSource<bool> _source = New();

    /// <summary>Completes when <see cref="Set"/> has been called since the last <see cref="Reset"/>.</summary>
    public Task Task => Volatile.Read(ref _source).Task;

    /// <summary>Wakes the waiter.</summary>
    public void Set() => Volatile.Read(ref _source).TrySetResult(true);

    /// <summary>Arms the signal again if it was set.</summary>
    public void Reset()
    {
        TaskCompletionSource<bool> current = Volatile.Read(ref _source);
        if (current.Task.IsCompleted) Interlocked.CompareExchange(ref _source, New(), current);
    }

    private static TaskCompletionSource<bool> New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
