using System;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.Workers;

/// <summary>Why an attempt's token was cancelled. The first reason wins.</summary>
internal enum CancelReason
{
    None = 0,
    Stop = 1,
    Timeout = 2,
    UserCancel = 3,
    LeaseLost = 4,
}

/// <summary>Where a held attempt is in its life inside a worker. Only the producer changes it.</summary>
internal enum AttemptPhase
{
    /// <summary>Claimed ahead of a free slot: leased and heartbeated, its handler not started.</summary>
    Prefetched,
    /// <summary>Its handler runs on an executor.</summary>
    Running,
    /// <summary>Its transition is decided and waits in the completer (or is being written).</summary>
    Completing,
}

/// <summary>
/// One claimed attempt inside a worker: its task, lease, cancellation and progress, and what its executor and the
/// completer report back about it. The producer owns the set of attempts; the executor writes the handler's outcome
/// fields before it reports, and the completer writes <see cref="Written"/> before it reports.
/// </summary>
internal sealed class RunningAttempt : IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly TaskCompletionSource<bool> _handlerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<bool> _abandon = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? _timeout;
    private int _reason;
    private int _leaseLost;
    private int _ended;

    public RunningAttempt(TaskRecord task, LeaseToken token, long startTimestamp)
    {
        Task = task;
        Token = token;
        StartTimestamp = startTimestamp;
    }

    /// <summary>Where the attempt is (the producer's view).</summary>
    public AttemptPhase Phase { get; set; }

    /// <summary>The handler's result (JSON text), set by the executor.</summary>
    public string? Result { get; set; }

    /// <summary>The handler's error, set by the executor; null when it returned.</summary>
    public Exception? Error { get; set; }

    /// <summary>The output the handler wrote (set by the executor when the handler ended), or null when it wrote none.</summary>
    public System.Collections.Generic.IReadOnlyList<TaskOutputRecord>? Output { get; set; }

    /// <summary>The handler ignored cancellation past the grace period (set by the executor).</summary>
    public bool Abandoned { get; set; }

    /// <summary>The attempt passed its task's timeout (set by the producer when it decides).</summary>
    public bool TimedOut { get; set; }

    /// <summary>The error the producer failed the attempt with, for its trace and observers.</summary>
    public TaskError? FailedWith { get; set; }

    /// <summary>The transition the producer decided, handed to the completer.</summary>
    public LeaseTransition? Transition { get; set; }

    /// <summary>What the completer wrote (set before it reports back).</summary>
    public TransitionResult Written { get; set; }

    /// <summary>When the handler was called (on its thread), in the worker clock's timestamp.</summary>
    public long HandlerStartTimestamp { get; set; }

    /// <summary>The duration of the handler call (from its call, not from its attempt's start), in timestamp ticks of the worker's clock.</summary>
    public long HandlerTicks { get; set; }

    public TaskRecord Task { get; }
    public LeaseToken Token { get; }
    public long Id => Task.Id;
    public int Attempt => Task.Attempts;
    public long StartTimestamp { get; set; }
    public ProgressThrottle? Progress { get; set; }
    public CancellationToken CancellationToken => _cancellation.Token;
    public CancelReason Reason => (CancelReason)Volatile.Read(ref _reason);
    public bool LeaseLost => Volatile.Read(ref _leaseLost) != 0;
    public bool HandlerFinished => _handlerDone.Task.IsCompleted;

    /// <summary>Completes when the handler has returned (or was abandoned).</summary>
    public Task HandlerDone => _handlerDone.Task;

    /// <summary>Completes when the grace period after a cancel has passed with the handler still running.</summary>
    public Task AbandonSignal => _abandon.Task;

    /// <summary>Cancels the attempt after <paramref name="timeout"/>, measured by <paramref name="clock"/>.</summary>
    public void StartTimeout(TimeSpan timeout, TimeProvider clock, TimeSpan grace)
    {
        _timeout = TimeProviderTaskExtensions.CreateCancellationTokenSource(clock, timeout);
        _timeout.Token.Register(() => Cancel(CancelReason.Timeout, clock, grace));
    }

    /// <summary>Requests cancellation for <paramref name="reason"/> (the first reason is kept) and starts the grace period.</summary>
    public void Cancel(CancelReason reason, TimeProvider clock, TimeSpan grace)
    {
        if (reason == CancelReason.LeaseLost) Volatile.Write(ref _leaseLost, 1);
        if (Interlocked.CompareExchange(ref _reason, (int)reason, 0) != 0) return;
        // Run the handler's cancellation callbacks on the thread pool, not on the heartbeat or timer thread. The grace
        // period starts once the token has fired: on a busy machine the work item can wait in the pool's queue, and
        // that wait must not eat into the time the handler is given to return.
        _ = System.Threading.Tasks.Task.Run(() =>
        {
            try
            {
                _cancellation.Cancel();
            }
            catch (Exception)
            {
                // A handler's cancellation callback threw: the handler sees the cancel anyway.
            }
            _ = AbandonAfterGraceAsync(clock, grace);
        });
    }

    /// <summary>Records that the handler has returned (or been abandoned).</summary>
    public void MarkHandlerDone() => _handlerDone.TrySetResult(true);

    /// <summary>True the first time only: the attempt's outcome is recorded once.</summary>
    public bool TryEnd() => Interlocked.Exchange(ref _ended, 1) == 0;

    public void Dispose()
    {
        _timeout?.Dispose();
    }

    private async Task AbandonAfterGraceAsync(TimeProvider clock, TimeSpan grace)
    {
        using var stopDelay = new CancellationTokenSource();
        Task delay = TimeProviderTaskExtensions.Delay(clock, grace, stopDelay.Token);
        Task first = await System.Threading.Tasks.Task.WhenAny(_handlerDone.Task, delay).ConfigureAwait(false);
        stopDelay.Cancel();
        if (first == delay && !_handlerDone.Task.IsCompleted) _abandon.TrySetResult(true);
    }
}
