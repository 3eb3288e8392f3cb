using System;
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

    /// <summary>
    /// Sets the signal when <paramref name="token"/> fires, until the result is disposed. Disposing does not wait for
    /// a <see cref="Set"/> that is running on the cancelling thread, as <see cref="CancellationTokenRegistration.Dispose"/>
    /// does: a late Set is harmless, and that wait blocks the waiter's thread on another thread's progress (under
    /// Coyote, which may pause the cancelling task inside the callback, it hangs the test; see
    /// tests/PrismQ.Coyote.Tests/README.md). On netstandard2.0, which has no Unregister, it is a plain Dispose.
    /// </summary>
    public Registration WakeOn(CancellationToken token) => new(token.Register(Set));

    /// <summary>A registration of <see cref="WakeOn"/>.</summary>
    public readonly struct Registration : IDisposable
    {
        private readonly CancellationTokenRegistration _registration;

        internal Registration(CancellationTokenRegistration registration) => _registration = registration;

        /// <summary>Unregisters, without waiting for a callback that is running.</summary>
        public void Dispose()
        {
#if NETSTANDARD2_0
            _registration.Dispose();
#else
            _registration.Unregister();
#endif
        }
    }

    private static TaskCompletionSource<bool> New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
