using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tasks;
using PrismQ.Tracing;

namespace PrismQ.Workers;

/// <summary>
/// The one owner of a worker's attempts. On a single loop it claims tasks (ahead of its free slots, up to the prefetch
/// bound), starts handlers on executors, decides the transition of every attempt that ends (with
/// <see cref="AttemptRules"/>), hands it to the completer, and records the outcome when the completer reports it
/// written. Executors, the completer and the lease keeper only post messages to it; nothing else changes the set of
/// held attempts. It also runs the stop: a graceful stop releases the prefetched tasks, lets running handlers finish
/// within the grace period, cancels the rest, and returns when every held attempt has ended.
/// </summary>
internal sealed class Producer
{
    /// <summary>Prefetched tasks are only as many as the handlers are expected to start within this time, at their recent speed.</summary>
    public static readonly TimeSpan PrefetchHorizon = TimeSpan.FromMilliseconds(5);

    /// <summary>The most transitions waiting for the completer before the producer stops starting attempts.</summary>
    private const int MaxPendingCompletions = 4 * Completer.MaxBatch;

    private readonly ITaskStore _store;
    private readonly WorkerOptions _options;
    private readonly string _workerId;
    private readonly TimeProvider _clock;
    private readonly ITraceEmitter _tracer;
    private readonly TimeSpan _lease;
    private readonly RetryPolicy _retryPolicy;
    private readonly AttemptExecutor _executor;
    private readonly Completer _completer;

    // Messages from the other roles, and the signal that wakes the loop.
    private readonly ConcurrentQueue<RunningAttempt> _handlerDone = new();
    private readonly ConcurrentQueue<RunningAttempt> _written = new();
    private readonly ConcurrentQueue<RunningAttempt> _leaseLost = new();
    private readonly ConcurrentQueue<RunningAttempt> _cancelRequested = new();
    private readonly ConcurrentQueue<TaskCompletionSource<RunningAttempt[]>> _heldRequests = new();
    private readonly WakeSignal _signal = new();
    private int _workArrived;

    // Owned by the loop.
    private readonly Dictionary<LeaseToken, RunningAttempt> _held = new();
    private readonly Queue<RunningAttempt> _prefetched = new();
    private int _running;
    private int _heldCount;
    private volatile bool _finished;
    private long _claimedTotal;
    private Task<IReadOnlyList<TaskRecord>>? _claim;
    private int _claimWant;
    private double _handlerTicksAverage;
    private short _traceSlot;
    private CancellationToken _callerStop;
    private CancellationToken _maxRunTimeStop;
    private bool _stopping;

    public Producer(ITaskStore store, WorkerOptions options, string workerId, ITraceEmitter tracer, IHandlerInvoker invoker)
    {
        _store = store;
        _options = options;
        _workerId = workerId;
        _clock = options.TimeProvider;
        _tracer = tracer;
        _lease = options.ResolveLeaseDuration();
        _retryPolicy = options.RetryPolicy ?? store.Options.RetryPolicy;
        _executor = new AttemptExecutor(store, invoker, options, tracer, workerId, Post(_handlerDone));
        // Waiting to batch is worth it while other held attempts will end soon.
        _completer = new Completer(store, _clock, options.CompletionWindow, _lease, () => Volatile.Read(ref _heldCount) > _completer!.Pending, Post(_written));
    }

    /// <summary>The completer the producer hands transitions to (the worker runs its loop).</summary>
    public Completer Completer => _completer;

    /// <summary>Handlers running now.</summary>
    public int RunningCount => Volatile.Read(ref _running);

    /// <summary>A storage error that ended the run (after a graceful stop), or null.</summary>
    public Exception? Fatal { get; private set; }

    /// <summary>Ended attempts by outcome, written by the loop only (read once the run has ended).</summary>
    public long Succeeded, Failed, Retried, LeasesLost, Released, Cancelled, TimedOut, Abandoned;

    /// <summary>The worker's trace slot.</summary>
    public short TraceSlot
    {
        set
        {
            _traceSlot = value;
            _executor.TraceSlot = value;
        }
    }

    /// <summary>New work may be ready (an enqueue in this or another process, a rescue): claim now rather than at the next poll.</summary>
    public void WorkArrived()
    {
        Volatile.Write(ref _workArrived, 1);
        _signal.Set();
    }

    /// <summary>The lease keeper's report: this attempt's lease is no longer current.</summary>
    public void LeaseLost(RunningAttempt attempt)
    {
        _leaseLost.Enqueue(attempt);
        _signal.Set();
    }

    /// <summary>The lease keeper's report: a user asked to cancel this attempt's task.</summary>
    public void CancelRequested(RunningAttempt attempt)
    {
        _cancelRequested.Enqueue(attempt);
        _signal.Set();
    }

    /// <summary>Every attempt held now (prefetched, running, completing), as the loop sees it at its next turn.</summary>
    public Task<RunningAttempt[]> HeldAsync()
    {
        var reply = new TaskCompletionSource<RunningAttempt[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _heldRequests.Enqueue(reply);
        _signal.Set();
        if (_finished) AnswerLateRequests();
        return reply.Task;
    }

    private Action<RunningAttempt> Post(ConcurrentQueue<RunningAttempt> queue) => attempt =>
    {
        queue.Enqueue(attempt);
        _signal.Set();
    };

    /// <summary>
    /// Runs until a bound is reached or a stop is requested (<paramref name="callerStop"/> or
    /// <paramref name="maxRunTimeStop"/>), and returns once every held attempt has ended.
    /// </summary>
    public async Task<WorkerStopReason> RunAsync(CancellationToken callerStop, CancellationToken maxRunTimeStop)
    {
        _callerStop = callerStop;
        _maxRunTimeStop = maxRunTimeStop;
        using WakeSignal.Registration wakeOnStop = _signal.WakeOn(callerStop);
        using WakeSignal.Registration wakeOnMaxRunTime = _signal.WakeOn(maxRunTimeStop);

        WorkerStopReason? ending = null; // a bound was reached: no more claims, the held attempts end on their own
        WorkerStopReason stopReason = WorkerStopReason.Cancelled;
        long graceStart = 0;
        bool cancelledRunning = false;
        long nextClaim = _clock.GetTimestamp();
        TimeSpan idleWait = _options.PollMinInterval;
        long? idleSince = null;
        try
        {
            while (true)
            {
                _signal.Reset();
                HandleMessages();

                // A claim that has come back: its tasks join the prefetched ones (or are given back at a stop).
                if (_claim is { IsCompleted: true } claim)
                {
                    int want = _claimWant;
                    int claimed = CollectClaim(claim);
                    long now = _clock.GetTimestamp();
                    if (claimed > 0)
                    {
                        idleSince = null;
                        idleWait = _options.PollMinInterval;
                        // A full claim: there may be more, claim again as soon as there is room.
                        nextClaim = claimed == want ? now : now + Ticks(_options.PollMinInterval);
                    }
                    else
                    {
                        nextClaim = now + Ticks(idleWait);
                        idleWait = Double(idleWait);
                    }
                }

                if (!_stopping && (IsStopRequested || Fatal is not null))
                {
                    _stopping = true;
                    stopReason = callerStop.IsCancellationRequested ? WorkerStopReason.Cancelled : WorkerStopReason.MaxRunTime;
                    graceStart = _clock.GetTimestamp();
                }
                if (_stopping)
                {
                    ReleasePrefetched();
                    if (_held.Count == 0 && _claim is null) return ending is { } reached && Fatal is null && !IsStopRequested ? reached : stopReason;
                    TimeSpan wait = Timeout.InfiniteTimeSpan;
                    if (!cancelledRunning)
                    {
                        TimeSpan left = _options.GracePeriod - _clock.GetElapsedTime(graceStart);
                        if (left <= TimeSpan.Zero)
                        {
                            cancelledRunning = true;
                            foreach (RunningAttempt attempt in _held.Values)
                                if (attempt.Phase == AttemptPhase.Running && !attempt.HandlerFinished) attempt.Cancel(CancelReason.Stop, _clock, _options.GracePeriod);
                        }
                        else
                        {
                            wait = left;
                        }
                    }
                    await WaitAsync(wait).ConfigureAwait(false);
                    continue;
                }

                StartPrefetched();
                if (ending is { } bound)
                {
                    if (_held.Count == 0 && _claim is null) return bound;
                    await WaitAsync(Timeout.InfiniteTimeSpan).ConfigureAwait(false);
                    continue;
                }
                if (_options.MaxTasks is { } maxTasks && _claimedTotal >= maxTasks && _claim is null)
                {
                    ending = WorkerStopReason.MaxTasks;
                    continue;
                }

                // Claim when the prefetched tasks run low, at the poll pace unless new work was announced. The claim
                // runs beside this loop, which goes on starting prefetched tasks while the store is busy.
                int target = PrefetchTarget();
                int room = _options.Concurrency + target - _running - _prefetched.Count;
                bool hungry = room > 0 && _prefetched.Count <= target / 2 && _completer.Pending < MaxPendingCompletions;
                bool announced = Interlocked.Exchange(ref _workArrived, 0) != 0;
                if (announced) idleWait = _options.PollMinInterval;
                TimeSpan untilClaim = Timeout.InfiniteTimeSpan;
                if (hungry && _claim is null)
                {
                    long now = _clock.GetTimestamp();
                    if (announced || now >= nextClaim)
                    {
                        int want = Math.Min(room, TaskLimits.MaxClaimCount);
                        if (_options.MaxTasks is { } max) want = (int)Math.Min(want, max - _claimedTotal);
                        StartClaim(want);
                        continue;
                    }
                    untilClaim = _clock.GetElapsedTime(now, nextClaim);
                }

                // Nothing held, nothing being claimed, and the last claim found nothing: idle.
                if (_held.Count == 0 && _claim is null && untilClaim != Timeout.InfiniteTimeSpan)
                {
                    idleSince ??= _clock.GetTimestamp();
                    if (_options.IdleTimeout is { } idleTimeout)
                    {
                        TimeSpan idleFor = _clock.GetElapsedTime(idleSince.Value);
                        if (idleFor >= idleTimeout)
                        {
                            ending = WorkerStopReason.IdleTimeout;
                            continue;
                        }
                        if (idleTimeout - idleFor < untilClaim) untilClaim = idleTimeout - idleFor;
                    }
                }
                else if (_held.Count > 0)
                {
                    idleSince = null;
                }
                await WaitAsync(untilClaim).ConfigureAwait(false);
            }
        }
        finally
        {
            _finished = true;
            AnswerLateRequests();
        }
    }

    /// <summary>Once the loop has ended nothing is held: requests for the held set are answered empty.</summary>
    private void AnswerLateRequests()
    {
        while (_heldRequests.TryDequeue(out TaskCompletionSource<RunningAttempt[]>? request)) request.TrySetResult(Array.Empty<RunningAttempt>());
    }

    /// <summary>True once a stop was requested: read from the source tokens (see <see cref="Decide"/>).</summary>
    private bool IsStopRequested => _callerStop.IsCancellationRequested || _maxRunTimeStop.IsCancellationRequested;

    /// <summary>How many tasks to hold beyond the free slots: what the handlers should start within <see cref="PrefetchHorizon"/>, up to <see cref="WorkerOptions.Prefetch"/>.</summary>
    private int PrefetchTarget()
    {
        if (_options.Prefetch == 0 || _handlerTicksAverage <= 0) return 0;
        double horizonTicks = PrefetchHorizon.TotalSeconds * _clock.TimestampFrequency;
        double expected = _options.Concurrency * horizonTicks / _handlerTicksAverage;
        return expected >= _options.Prefetch ? _options.Prefetch : (int)expected;
    }

    /// <summary>Starts a claim of up to <paramref name="count"/> tasks beside the loop; its end wakes the loop.</summary>
    private void StartClaim(int count)
    {
        var request = new ClaimRequest(_workerId)
        {
            Queues = _options.Queues,
            Strategy = _options.Strategy,
            MaxCount = count,
            LeaseDuration = _lease,
            PriorityAging = _options.PriorityAging,
        };
        _claimWant = count;
        Task<IReadOnlyList<TaskRecord>> claim = Task.Run(() => _store.ClaimAsync(request, CancellationToken.None));
        _claim = claim;
        _ = WakeWhenDoneAsync(claim);
    }

    /// <summary>Wakes the loop once <paramref name="work"/> has completed (its outcome is read by the loop).</summary>
    private async Task WakeWhenDoneAsync(Task work)
    {
        try
        {
            await work.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Read by CollectClaim.
        }
        _signal.Set();
    }

    /// <summary>Takes a finished claim's tasks into the held set as prefetched; returns how many (0 on a busy database or an error).</summary>
    private int CollectClaim(Task<IReadOnlyList<TaskRecord>> claim)
    {
        _claim = null;
        if (claim.IsFaulted)
        {
            Exception e = AttemptExecutor.Unwrap(claim.Exception!);
            // Busy past the store's timeout: try again at the next poll. Anything else ends the run.
            if (!(e is PrismQException p && p.Code == PrismQErrorCode.DatabaseBusy)) Fatal = e;
            return 0;
        }
        if (claim.IsCanceled) return 0;
        IReadOnlyList<TaskRecord> claimed = claim.Result;
        long now = _clock.GetTimestamp();
        foreach (TaskRecord task in claimed)
        {
            if (task.LeaseToken is not { } token)
            {
                Fatal ??= new PrismQException(PrismQErrorCode.StorageError, $"The store claimed task {task.Id} without a lease token.");
                continue;
            }
            var attempt = new RunningAttempt(task, token, now) { Phase = AttemptPhase.Prefetched };
            _held[token] = attempt;
            _prefetched.Enqueue(attempt);
            // One claim event per leased task (value: how many the claim leased), so each attempt's claim is traced.
            _tracer.Emit(TraceEventKind.Claim, task.Id, task.Attempts, _traceSlot, claimed.Count);
            _tracer.OpenWindow(task.Id, task.Attempts, _traceSlot);
        }
        Volatile.Write(ref _heldCount, _held.Count);
        _claimedTotal += claimed.Count;
        return claimed.Count;
    }

    private void StartPrefetched()
    {
        while (_running < _options.Concurrency && _completer.Pending < MaxPendingCompletions && _prefetched.Count > 0)
        {
            RunningAttempt attempt = _prefetched.Dequeue();
            attempt.Phase = AttemptPhase.Running;
            _running++;
            _executor.Start(attempt);
        }
    }

    private void ReleasePrefetched()
    {
        while (_prefetched.Count > 0)
        {
            RunningAttempt attempt = _prefetched.Dequeue();
            Complete(attempt, LeaseTransition.Release(attempt.Id, attempt.Token));
        }
    }

    private void HandleMessages()
    {
        while (_handlerDone.TryDequeue(out RunningAttempt? attempt))
        {
            _running--;
            _handlerTicksAverage = _handlerTicksAverage <= 0 ? attempt.HandlerTicks : _handlerTicksAverage + (attempt.HandlerTicks - _handlerTicksAverage) / 8;
            if (attempt.Abandoned) Abandoned++;
            LeaseTransition? transition = Decide(attempt);
            if (transition is null) End(attempt, AttemptOutcome.LeaseLost);
            else Complete(attempt, transition);
        }
        while (_written.TryDequeue(out RunningAttempt? attempt)) End(attempt, AttemptRules.OutcomeOf(attempt.Transition!, attempt.Written));
        while (_leaseLost.TryDequeue(out RunningAttempt? attempt))
        {
            if (!_held.ContainsKey(attempt.Token)) continue;
            switch (attempt.Phase)
            {
                case AttemptPhase.Prefetched:
                    RemovePrefetched(attempt);
                    End(attempt, AttemptOutcome.LeaseLost);
                    break;
                case AttemptPhase.Running:
                    attempt.Cancel(CancelReason.LeaseLost, _clock, _options.GracePeriod);
                    break;
                // Completing: the conditional write finds the lease lost by itself.
            }
        }
        while (_cancelRequested.TryDequeue(out RunningAttempt? attempt))
        {
            if (!_held.ContainsKey(attempt.Token)) continue;
            if (attempt.Phase == AttemptPhase.Prefetched)
            {
                RemovePrefetched(attempt);
                Complete(attempt, LeaseTransition.Cancel(attempt.Id, attempt.Token, null));
            }
            else if (attempt.Phase == AttemptPhase.Running && !attempt.HandlerFinished)
            {
                _tracer.Emit(TraceEventKind.Cancel, attempt.Id, attempt.Attempt, _traceSlot, 0);
                attempt.Cancel(CancelReason.UserCancel, _clock, _options.GracePeriod);
            }
        }
        while (_heldRequests.TryDequeue(out TaskCompletionSource<RunningAttempt[]>? request))
        {
            var held = new RunningAttempt[_held.Count];
            _held.Values.CopyTo(held, 0);
            request.TrySetResult(held);
        }
    }

    private void RemovePrefetched(RunningAttempt attempt)
    {
        int count = _prefetched.Count;
        for (int i = 0; i < count; i++)
        {
            RunningAttempt next = _prefetched.Dequeue();
            if (!ReferenceEquals(next, attempt)) _prefetched.Enqueue(next);
        }
    }

    /// <summary>
    /// The transition of an attempt whose handler has ended, by the engine's rules; null when its lease is known lost
    /// (nothing to write). A handler stopped by the worker's stop is given back uncounted, whichever was seen first:
    /// the worker's own cancel at the end of the grace period (reason Stop), or the handler ending on the stop by
    /// itself (a host that stops its handlers at Ctrl+C, a handler watching the caller's token) before the worker
    /// cancelled it. The stop is read from the source tokens: a source token is marked cancelled before any of its
    /// callbacks run, so a handler that ends on the stop is seen as stopped by it.
    /// </summary>
    private LeaseTransition? Decide(RunningAttempt attempt)
    {
        if (attempt.LeaseLost) return null;
        CancelReason reason = attempt.Reason;
        long id = attempt.Id;
        LeaseToken token = attempt.Token;
        if (!attempt.Abandoned && attempt.Error is null && reason != CancelReason.Timeout)
        {
            string? result = attempt.Result;
            if (result is not null && !JsonText.IsValid(result))
                return Fail(attempt, new TaskError($"The handler returned a result that is not valid JSON ({result.Length} characters).", "PrismQ." + PrismQErrorCode.InvalidPayload));
            try
            {
                TaskValidation.CheckResult(result, _store.Options);
            }
            catch (PrismQException e)
            {
                return Fail(attempt, new TaskError(e.Message, e.ErrorId)); // a result the store would refuse fails the attempt at once
            }
            return LeaseTransition.Succeed(id, token, result);
        }
        if (reason == CancelReason.Stop || (reason == CancelReason.None && IsStopRequested && attempt.Error is OperationCanceledException))
            return LeaseTransition.Release(id, token);
        switch (reason)
        {
            case CancelReason.Timeout:
                attempt.TimedOut = true;
                string timeout = attempt.Task.Timeout?.ToString() ?? "?";
                return Fail(attempt, new TaskError($"Attempt {attempt.Attempt} of task {id} timed out after {timeout}{(attempt.Abandoned ? " and ignored cancellation (abandoned)" : "")}.", "PrismQ." + PrismQErrorCode.Timeout));
            case CancelReason.UserCancel:
                var cancelled = new TaskError("Cancelled by a user while running.", "PrismQ.Cancelled");
                attempt.FailedWith = cancelled;
                return LeaseTransition.Cancel(id, token, cancelled);
            default:
                Exception e = attempt.Error ?? new OperationCanceledException("The handler was abandoned.");
                string type = e is PrismQException p ? p.ErrorId : e.GetType().FullName ?? e.GetType().Name;
                TaskError failure = e is HandlerFailedException given ? given.Error : new TaskError(e.Message, type, e is PrismQException ? null : e.ToString());
                return Fail(attempt, failure);
        }
    }

    private LeaseTransition Fail(RunningAttempt attempt, TaskError error)
    {
        attempt.FailedWith = error;
        _tracer.MarkWindow(attempt.Id, attempt.Attempt, attempt.TimedOut ? WindowMark.TimedOut : WindowMark.Failed);
        if (attempt.TimedOut) _tracer.Emit(TraceEventKind.Timeout, attempt.Id, attempt.Attempt, _traceSlot, 0);
        return AttemptRules.Failed(attempt.Id, attempt.Token, attempt.Attempt, attempt.Task.MaxAttempts, error, _retryPolicy, _store.Options.RandomSource());
    }

    /// <summary>Hands the attempt's transition, with the output its handler wrote (if any), to the completer.</summary>
    private void Complete(RunningAttempt attempt, LeaseTransition transition)
    {
        attempt.Phase = AttemptPhase.Completing;
        attempt.Transition = attempt.Output is { } output ? transition.WithOutput(output) : transition;
        _completer.Enqueue(attempt);
    }

    /// <summary>Records how the attempt ended, once: counters, trace, the observer; the attempt is no longer held.</summary>
    private void End(RunningAttempt attempt, AttemptOutcome outcome)
    {
        if (!attempt.TryEnd()) return;
        _held.Remove(attempt.Token);
        Volatile.Write(ref _heldCount, _held.Count);
        long micros = attempt.Phase == AttemptPhase.Prefetched ? 0 : _clock.GetElapsedTime(attempt.StartTimestamp).Ticks / 10;
        TaskError? error = attempt.FailedWith;
        DateTimeOffset? retryAt = null;
        switch (outcome)
        {
            case AttemptOutcome.Succeeded:
                Succeeded++;
                _tracer.Emit(TraceEventKind.Complete, attempt.Id, attempt.Attempt, _traceSlot, micros);
                break;
            case AttemptOutcome.Failed:
                Failed++;
                EmitFail(attempt, micros, error);
                break;
            case AttemptOutcome.Retried:
                Retried++;
                retryAt = attempt.Written.NotBefore;
                if (retryAt is { } at)
                    _tracer.Emit(TraceEventKind.RetryScheduled, attempt.Id, attempt.Attempt, _traceSlot, (long)Math.Max(0, (at - _clock.GetUtcNow()).TotalMilliseconds));
                EmitFail(attempt, micros, error);
                break;
            case AttemptOutcome.Cancelled:
                Cancelled++;
                _tracer.Emit(TraceEventKind.Cancel, attempt.Id, attempt.Attempt, _traceSlot, micros);
                break;
            case AttemptOutcome.Released:
                Released++;
                _tracer.Emit(TraceEventKind.Release, attempt.Id, attempt.Attempt, _traceSlot, micros);
                break;
            default:
                LeasesLost++;
                _tracer.Emit(TraceEventKind.LeaseLost, attempt.Id, attempt.Attempt, _traceSlot, micros);
                _tracer.MarkWindow(attempt.Id, attempt.Attempt, WindowMark.LeaseLost);
                break;
        }
        if (attempt.TimedOut) TimedOut++;
        if (_options.SlowAttemptThreshold is { } slow && attempt.Phase != AttemptPhase.Prefetched && _clock.GetElapsedTime(attempt.StartTimestamp) > slow)
            _tracer.MarkWindow(attempt.Id, attempt.Attempt, WindowMark.Slow);
        _tracer.CloseWindow(attempt.Id, attempt.Attempt);
        try
        {
            _options.AttemptEnded?.Invoke(new AttemptEnd(attempt.Task, attempt.Token, outcome, attempt.TimedOut, attempt.Abandoned,
                outcome is AttemptOutcome.Failed or AttemptOutcome.Retried or AttemptOutcome.Cancelled ? error : null, retryAt));
        }
        catch (Exception)
        {
            // An observer's failure is not the attempt's.
        }
    }

    /// <summary>The Fail event, with the error's type, message and detail in the detail lane when tracing is on.</summary>
    private void EmitFail(RunningAttempt attempt, long micros, TaskError? error)
    {
        if (error is null || !_tracer.IsEnabled) _tracer.Emit(TraceEventKind.Fail, attempt.Id, attempt.Attempt, _traceSlot, micros);
        else _tracer.EmitDetail(TraceEventKind.Fail, attempt.Id, attempt.Attempt, _traceSlot, micros, error + (error.Detail is null ? "" : "\n" + error.Detail));
    }

    private async Task WaitAsync(TimeSpan wait)
    {
        Task signal = _signal.Task;
        if (wait == Timeout.InfiniteTimeSpan)
        {
            await signal.ConfigureAwait(false);
            return;
        }
        if (wait <= TimeSpan.Zero || signal.IsCompleted) return;
        using var cancelDelay = new CancellationTokenSource();
        Task delay = TimeProviderTaskExtensions.Delay(_clock, wait, cancelDelay.Token);
        await Task.WhenAny(signal, delay).ConfigureAwait(false);
        cancelDelay.Cancel();
    }

    private TimeSpan Double(TimeSpan wait)
    {
        TimeSpan next = TimeSpan.FromTicks(wait.Ticks * 2);
        return next > _options.PollMaxInterval ? _options.PollMaxInterval : next;
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _clock.TimestampFrequency);
}
