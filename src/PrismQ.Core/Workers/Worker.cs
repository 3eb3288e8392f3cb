using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tasks;
using PrismQ.Tracing;
using PrismQ.Workers;

namespace PrismQ;

/// <summary>
/// Runs handlers for the tasks of one or more queues: claims in batches sized to its free slots, runs up to
/// <see cref="WorkerOptions.Concurrency"/> handlers at once, heartbeats every lease, completes in batches, fails with
/// the retry policy, stops cleanly on its bounds, and takes over the tasks of dead workers on its host.
/// See docs/architecture.md ("Concurrency model") and docs/operations.md. One instance runs once.
/// </summary>
public sealed class Worker
{
    private const int MaxCompletionBatch = 256;
    private static readonly TimeSpan WalCheckInterval = TimeSpan.FromSeconds(5);

    private readonly ITaskStore _store;
    private readonly WorkerOptions _options;
    private readonly TimeProvider _clock;
    private readonly ITraceEmitter _tracer;
    private readonly TimeSpan _lease;
    private readonly TimeSpan _heartbeat;
    private readonly TimeSpan _grace;
    private readonly Dictionary<string, Func<TaskContext, CancellationToken, Task<string?>>> _handlers;
    private readonly ConcurrentDictionary<LeaseToken, RunningAttempt> _attempts = new();
    private readonly ConcurrentQueue<(RunningAttempt Attempt, string? Result)> _completions = new();
    private readonly WakeSignal _mainWake = new();
    private readonly WakeSignal _completionWake = new();
    private readonly string? _databasePath;
    private readonly string? _livenessFolder;
    private short _traceSlot;
    private int _started;
    private CancellationToken _callerStop;
    private CancellationToken _maxRunTimeStop;
    private int _slotsInUse;
    private long _succeeded, _failed, _retried, _leasesLost, _released, _cancelled, _timedOut, _abandoned;

    /// <summary>Creates a worker. Throws <see cref="PrismQException"/> when an option is invalid.</summary>
    /// <param name="store">The store to work on; the worker does not dispose it.</param>
    /// <param name="options">The worker's options (validated here, then copied).</param>
    public Worker(ITaskStore store, WorkerOptions options)
    {
        if (store is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "The store is null; a worker needs an open store.", nameof(store));
        if (options is null) throw new PrismQException(PrismQErrorCode.InvalidOption, "The worker options are null; pass a WorkerOptions.", nameof(options));
        options.Validate();
        _store = store;
        _options = options;
        _clock = options.TimeProvider;
        _tracer = options.Tracer is Tracing.NullTraceEmitter ? StoreLocation.TracerOf(store) : options.Tracer;
        _lease = options.ResolveLeaseDuration();
        _heartbeat = options.ResolveHeartbeatInterval();
        _grace = options.GracePeriod;
        _handlers = new Dictionary<string, Func<TaskContext, CancellationToken, Task<string?>>>(options.Handlers, StringComparer.Ordinal);
        WorkerId = options.ResolveWorkerId();
        _databasePath = StoreLocation.DatabasePathOf(store);
        _livenessFolder = options.LivenessDirectory ?? (_databasePath is null ? null : _databasePath + "-workers");
    }

    /// <summary>This worker's id (as registered and written as lease owner).</summary>
    public string WorkerId { get; }

    /// <summary>Handlers running now.</summary>
    public int RunningCount => Volatile.Read(ref _slotsInUse);

    /// <summary>
    /// Runs until a bound is reached or <paramref name="cancellationToken"/> fires, then stops cleanly and returns
    /// what it did. A stop by token or <see cref="WorkerOptions.MaxRunTime"/> is graceful: no more claims, in-flight
    /// handlers get <see cref="WorkerOptions.GracePeriod"/> to finish, then they are cancelled and their tasks are
    /// released (the attempt is not counted). Storage errors other than a busy database end the run with an exception,
    /// after the same graceful stop.
    /// </summary>
    public async Task<WorkerRunSummary> RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"Worker '{WorkerId}' has already run; create a new Worker to run again.", nameof(RunAsync));
        long start = _clock.GetTimestamp();
        _traceSlot = _tracer.RegisterWorker(WorkerId);

        WorkerLivenessLock? livenessLock = _livenessFolder is null ? null : WorkerLivenessLock.Acquire(_livenessFolder, WorkerId, TimeSpan.FromSeconds(5), _clock);
        try
        {
            DateTimeOffset now = _clock.GetUtcNow();
            await _store.RegisterWorkerAsync(new WorkerRecord
            {
                Id = WorkerId,
                Host = WorkerIdentity.HostName,
                ProcessId = WorkerIdentity.ProcessId,
                Queues = _options.Queues.ToArray(),
                StartedAt = now,
                LastHeartbeatAt = now,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            livenessLock?.Dispose();
            throw;
        }

        using IDisposable? enqueueSubscription = _databasePath is null ? null : EnqueueSignal.Subscribe(_databasePath, _mainWake.Set);
        using CancellationTokenSource? maxRunTime = _options.MaxRunTime is { } limit ? TimeProviderTaskExtensions.CreateCancellationTokenSource(_clock, limit) : null;
        _callerStop = cancellationToken;
        _maxRunTimeStop = maxRunTime?.Token ?? CancellationToken.None;
        using CancellationTokenSource stop = maxRunTime is null
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken)
            : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, maxRunTime.Token);
        using CancellationTokenSource background = new();
        using CancellationTokenRegistration wakeOnStop = stop.Token.Register(_mainWake.Set);

        Task leaseLoop = LeaseHeartbeatLoopAsync(background.Token);
        Task registryLoop = RegistryHeartbeatLoopAsync(background.Token);
        Task sweepLoop = SweepLoopAsync(background.Token);
        Task completionLoop = CompletionLoopAsync(background.Token);
        Task queueDepthLoop = QueueDepthSampler.RunAsync(_store, _options.Queues, _tracer, _traceSlot, _clock, background.Token);

        WorkerStopReason reason = WorkerStopReason.Cancelled;
        Exception? fatal = null;
        try
        {
            reason = await MainLoopAsync(stop.Token, cancellationToken).ConfigureAwait(false);
            if (reason == WorkerStopReason.MaxTasks || reason == WorkerStopReason.IdleTimeout)
            {
                // Let the in-flight attempts end on their own; a stop request meanwhile turns this into a graceful stop.
                await WaitForAttemptsAsync(Timeout.InfiniteTimeSpan, stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            fatal = e;
        }

        if (!_attempts.IsEmpty)
        {
            if (fatal is null && stop.IsCancellationRequested)
                reason = cancellationToken.IsCancellationRequested ? WorkerStopReason.Cancelled : WorkerStopReason.MaxRunTime;
            await GracefulStopAsync().ConfigureAwait(false);
        }

        background.Cancel();
        await Task.WhenAll(leaseLoop, registryLoop, sweepLoop, completionLoop, queueDepthLoop).ConfigureAwait(false);
        try
        {
            await _store.UnregisterWorkerAsync(WorkerId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The registration goes stale and shows as dead; nothing is lost.
        }
        livenessLock?.Dispose();

        if (fatal is not null) throw fatal;
        return new WorkerRunSummary
        {
            WorkerId = WorkerId,
            Succeeded = Interlocked.Read(ref _succeeded),
            Failed = Interlocked.Read(ref _failed),
            Retried = Interlocked.Read(ref _retried),
            LeasesLost = Interlocked.Read(ref _leasesLost),
            Released = Interlocked.Read(ref _released),
            Cancelled = Interlocked.Read(ref _cancelled),
            TimedOut = Interlocked.Read(ref _timedOut),
            Abandoned = Interlocked.Read(ref _abandoned),
            RunTime = _clock.GetElapsedTime(start),
            StopReason = reason,
        };
    }

    /// <summary>
    /// True once a stop was requested (the caller's token or <see cref="WorkerOptions.MaxRunTime"/>). Read from the
    /// source tokens, not from the linked stop token: a source token is marked cancelled before any of its callbacks
    /// run, so a handler that ends on the stop is seen as stopped by it even when its own callback on the caller's
    /// token ran before the worker's.
    /// </summary>
    private bool IsStopping => _callerStop.IsCancellationRequested || _maxRunTimeStop.IsCancellationRequested;

    private async Task<WorkerStopReason> MainLoopAsync(CancellationToken stop, CancellationToken callerToken)
    {
        long claimedTotal = 0;
        TimeSpan idleWait = _options.PollMinInterval;
        long? idleSince = null;
        int concurrency = _options.Concurrency;
        while (true)
        {
            _mainWake.Reset();
            if (stop.IsCancellationRequested || IsStopping) return callerToken.IsCancellationRequested ? WorkerStopReason.Cancelled : WorkerStopReason.MaxRunTime;
            if (_options.MaxTasks is { } maxTasks && claimedTotal >= maxTasks) return WorkerStopReason.MaxTasks;

            int free = concurrency - Volatile.Read(ref _slotsInUse);
            TimeSpan wait = Timeout.InfiniteTimeSpan; // no free slot: wait for one
            if (free > 0)
            {
                int want = Math.Min(free, TaskLimits.MaxClaimCount);
                if (_options.MaxTasks is { } max) want = (int)Math.Min(want, max - claimedTotal);
                IReadOnlyList<TaskRecord> claimed = await ClaimAsync(want).ConfigureAwait(false);
                if (claimed.Count > 0)
                {
                    claimedTotal += claimed.Count;
                    idleSince = null;
                    idleWait = _options.PollMinInterval;
                    foreach (TaskRecord task in claimed) StartAttempt(task);
                    if (claimed.Count == want) continue; // there may be more: claim again as soon as a slot is free
                    wait = _options.PollMinInterval;
                }
                else if (Volatile.Read(ref _slotsInUse) > 0 || !_attempts.IsEmpty)
                {
                    idleSince = null;
                    wait = idleWait;
                    idleWait = Double(idleWait);
                }
                else
                {
                    idleSince ??= _clock.GetTimestamp();
                    TimeSpan idleFor = _clock.GetElapsedTime(idleSince.Value);
                    if (_options.IdleTimeout is { } idleTimeout)
                    {
                        if (idleFor >= idleTimeout) return WorkerStopReason.IdleTimeout;
                        TimeSpan left = idleTimeout - idleFor;
                        wait = idleWait < left ? idleWait : left;
                    }
                    else
                    {
                        wait = idleWait;
                    }
                    idleWait = Double(idleWait);
                }
            }
            await WaitAsync(_mainWake.Task, wait).ConfigureAwait(false);
        }
    }

    private TimeSpan Double(TimeSpan wait)
    {
        TimeSpan next = TimeSpan.FromTicks(wait.Ticks * 2);
        return next > _options.PollMaxInterval ? _options.PollMaxInterval : next;
    }

    private async Task<IReadOnlyList<TaskRecord>> ClaimAsync(int count)
    {
        var request = new ClaimRequest(WorkerId)
        {
            Queues = _options.Queues,
            Strategy = _options.Strategy,
            MaxCount = count,
            LeaseDuration = _lease,
            PriorityAging = _options.PriorityAging,
        };
        try
        {
            IReadOnlyList<TaskRecord> claimed = await _store.ClaimAsync(request, CancellationToken.None).ConfigureAwait(false);
            // One claim event per leased task (value: how many the claim leased), so each attempt's claim is traced.
            foreach (TaskRecord task in claimed) _tracer.Emit(TraceEventKind.Claim, task.Id, task.Attempts, _traceSlot, claimed.Count);
            return claimed;
        }
        catch (PrismQException e) when (e.Code == PrismQErrorCode.DatabaseBusy)
        {
            // Busy past the store's timeout: try again at the next poll.
            return Array.Empty<TaskRecord>();
        }
    }

    private void StartAttempt(TaskRecord task)
    {
        LeaseToken token = task.LeaseToken ?? throw new PrismQException(PrismQErrorCode.StorageError, $"The store claimed task {task.Id} without a lease token.");
        var attempt = new RunningAttempt(task, token, _clock.GetTimestamp());
        _attempts[token] = attempt;
        Interlocked.Increment(ref _slotsInUse);
        _tracer.OpenWindow(task.Id, task.Attempts, _traceSlot);
        _ = Task.Run(() => RunAttemptAsync(attempt));
    }

    private async Task RunAttemptAsync(RunningAttempt attempt)
    {
        TaskRecord task = attempt.Task;
        attempt.Progress = new ProgressThrottle(_store, task.Id, attempt.Token, _options.ProgressInterval, _clock,
            (percent, message) =>
            {
                if (message is null) _tracer.Emit(TraceEventKind.Progress, task.Id, task.Attempts, _traceSlot, percent ?? -1);
                else _tracer.EmitDetail(TraceEventKind.Progress, task.Id, task.Attempts, _traceSlot, percent ?? -1, message);
            });
        var context = new TaskContext(task, attempt.Token, WorkerId, attempt.CancellationToken, attempt.Progress, _tracer, _traceSlot);
        if (task.Timeout is { } timeout) attempt.StartTimeout(timeout, _clock, _grace);
        _tracer.Emit(TraceEventKind.Start, task.Id, task.Attempts, _traceSlot, 0);

        string? result = null;
        Exception? error = null;
        bool abandoned = false;
        Func<TaskContext, CancellationToken, Task<string?>>? handler =
            _handlers.TryGetValue(task.Type, out Func<TaskContext, CancellationToken, Task<string?>>? found) ? found : _options.FallbackHandler;
        if (handler is null)
        {
            error = new PrismQException(PrismQErrorCode.NoHandler, $"No handler for type '{task.Type}' on worker '{WorkerId}' (task {task.Id}, queue '{task.Queue}').", "Type", task.Type);
        }
        else
        {
            Task<string?> run = Task.Run(() => handler(context, attempt.CancellationToken) ?? Task.FromResult<string?>(null));
            Task first = await Task.WhenAny(run, attempt.AbandonSignal).ConfigureAwait(false);
            if (first != run)
            {
                abandoned = true;
                Interlocked.Increment(ref _abandoned);
                _ = run.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
            else if (run.IsFaulted)
            {
                error = Unwrap(run.Exception!);
            }
            else if (run.IsCanceled)
            {
                error = new OperationCanceledException("The handler was cancelled.");
            }
            else
            {
                result = run.Result;
            }
        }

        attempt.MarkHandlerDone();
        attempt.Dispose();
        Interlocked.Decrement(ref _slotsInUse);
        _mainWake.Set();

        try
        {
            if (!abandoned && !attempt.LeaseLost) await attempt.Progress.FlushAsync().ConfigureAwait(false);
            await FinishAttemptAsync(attempt, result, error, abandoned).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Storage kept failing: the lease expires and the task is taken over; the attempt counts as lost here.
            EndAttempt(attempt, AttemptOutcome.LeaseLost, timedOut: false, abandoned);
        }
    }

    private async Task FinishAttemptAsync(RunningAttempt attempt, string? result, Exception? error, bool abandoned)
    {
        CancelReason reason = attempt.Reason;
        if (attempt.LeaseLost)
        {
            EndAttempt(attempt, AttemptOutcome.LeaseLost, timedOut: false, abandoned);
            return;
        }
        if (!abandoned && error is null && reason != CancelReason.Timeout)
        {
            if (result is not null && !JsonText.IsValid(result))
            {
                await FailAsync(attempt, new TaskError($"The handler returned a result that is not valid JSON ({result.Length} characters).", "PrismQ." + PrismQErrorCode.InvalidPayload), timedOut: false, abandoned).ConfigureAwait(false);
                return;
            }
            _completions.Enqueue((attempt, result));
            _completionWake.Set();
            return;
        }
        // A handler cancelled by the stop is given back uncounted, whichever was seen first: the worker's own cancel
        // at the end of the grace period (reason Stop), or the handler ending on the stop by itself (a host that stops
        // its handlers at Ctrl+C, a handler watching the caller's token) before the worker cancelled it (reason None).
        if (reason == CancelReason.Stop || (reason == CancelReason.None && IsStopping && error is OperationCanceledException))
        {
            LeaseOutcome released = await Retry(() => _store.ReleaseAsync(attempt.Id, attempt.Token, CancellationToken.None)).ConfigureAwait(false);
            EndAttempt(attempt, released == LeaseOutcome.Applied ? AttemptOutcome.Released : AttemptOutcome.LeaseLost, timedOut: false, abandoned);
            return;
        }
        switch (reason)
        {
            case CancelReason.Timeout:
                string timeout = attempt.Task.Timeout?.ToString() ?? "?";
                await FailAsync(attempt, new TaskError($"Attempt {attempt.Attempt} of task {attempt.Id} timed out after {timeout}{(abandoned ? " and ignored cancellation (abandoned)" : "")}.", "PrismQ." + PrismQErrorCode.Timeout), timedOut: true, abandoned).ConfigureAwait(false);
                return;
            case CancelReason.UserCancel:
                await FailAsync(attempt, new TaskError("Cancelled by a user while running.", "PrismQ.Cancelled"), timedOut: false, abandoned).ConfigureAwait(false);
                return;
            default:
                Exception e = error ?? new OperationCanceledException("The handler was abandoned.");
                string type = e is PrismQException p ? p.ErrorId : e.GetType().FullName ?? e.GetType().Name;
                TaskError failure = e is HandlerFailedException given ? given.Error : new TaskError(e.Message, type, e is PrismQException ? null : e.ToString());
                await FailAsync(attempt, failure, timedOut: false, abandoned).ConfigureAwait(false);
                return;
        }
    }

    private async Task FailAsync(RunningAttempt attempt, TaskError error, bool timedOut, bool abandoned)
    {
        _tracer.MarkWindow(attempt.Id, attempt.Attempt, timedOut ? WindowMark.TimedOut : WindowMark.Failed);
        if (timedOut) _tracer.Emit(TraceEventKind.Timeout, attempt.Id, attempt.Attempt, _traceSlot, 0);
        FailResult failed = await Retry(() => _store.FailAsync(attempt.Id, attempt.Token, error, _options.RetryPolicy, CancellationToken.None)).ConfigureAwait(false);
        AttemptOutcome outcome = failed.Outcome switch
        {
            FailOutcome.RetryScheduled => AttemptOutcome.Retried,
            FailOutcome.Failed => AttemptOutcome.Failed,
            FailOutcome.Cancelled => AttemptOutcome.Cancelled,
            _ => AttemptOutcome.LeaseLost,
        };
        if (outcome == AttemptOutcome.Retried && failed.RetryAt is { } at)
            _tracer.Emit(TraceEventKind.RetryScheduled, attempt.Id, attempt.Attempt, _traceSlot, (long)Math.Max(0, (at - _clock.GetUtcNow()).TotalMilliseconds));
        EndAttempt(attempt, outcome, timedOut, abandoned, error, outcome == AttemptOutcome.Retried ? failed.RetryAt : null);
    }

    /// <summary>The detail-lane text of a failed attempt: the error's type and message, then its detail (a stack trace).</summary>
    private static string ErrorText(TaskError error) => error + (error.Detail is null ? "" : "\n" + error.Detail);

    /// <param name="attempt">The attempt that ended.</param>
    /// <param name="outcome">How it ended.</param>
    /// <param name="timedOut">It passed its task's timeout.</param>
    /// <param name="abandoned">Its handler ignored cancellation past the grace period.</param>
    /// <param name="error">The error a failed attempt was failed with: its text goes with the Fail event in the detail lane.</param>
    /// <param name="retryAt">When a retried attempt's retry may start.</param>
    private void EndAttempt(RunningAttempt attempt, AttemptOutcome outcome, bool timedOut, bool abandoned, TaskError? error = null, DateTimeOffset? retryAt = null)
    {
        if (!attempt.TryEnd()) return;
        long micros = (long)(_clock.GetElapsedTime(attempt.StartTimestamp).Ticks / 10);
        string? failureDetail = error is not null && _tracer.IsEnabled ? ErrorText(error) : null;
        switch (outcome)
        {
            case AttemptOutcome.Succeeded:
                Interlocked.Increment(ref _succeeded);
                _tracer.Emit(TraceEventKind.Complete, attempt.Id, attempt.Attempt, _traceSlot, micros);
                break;
            case AttemptOutcome.Failed:
                Interlocked.Increment(ref _failed);
                EmitFail(attempt, micros, failureDetail);
                break;
            case AttemptOutcome.Retried:
                Interlocked.Increment(ref _retried);
                EmitFail(attempt, micros, failureDetail);
                break;
            case AttemptOutcome.Cancelled:
                Interlocked.Increment(ref _cancelled);
                _tracer.Emit(TraceEventKind.Cancel, attempt.Id, attempt.Attempt, _traceSlot, micros);
                break;
            case AttemptOutcome.Released:
                Interlocked.Increment(ref _released);
                _tracer.Emit(TraceEventKind.Release, attempt.Id, attempt.Attempt, _traceSlot, micros);
                break;
            default:
                Interlocked.Increment(ref _leasesLost);
                _tracer.Emit(TraceEventKind.LeaseLost, attempt.Id, attempt.Attempt, _traceSlot, micros);
                _tracer.MarkWindow(attempt.Id, attempt.Attempt, WindowMark.LeaseLost);
                break;
        }
        if (timedOut) Interlocked.Increment(ref _timedOut);
        if (_options.SlowAttemptThreshold is { } slow && _clock.GetElapsedTime(attempt.StartTimestamp) > slow)
            _tracer.MarkWindow(attempt.Id, attempt.Attempt, WindowMark.Slow);
        _tracer.CloseWindow(attempt.Id, attempt.Attempt);
        _attempts.TryRemove(attempt.Token, out _);
        try
        {
            _options.AttemptEnded?.Invoke(new AttemptEnd(attempt.Task, attempt.Token, outcome, timedOut, abandoned, error, retryAt));
        }
        catch (Exception)
        {
            // An observer's failure is not the attempt's.
        }
        _mainWake.Set();
    }

    private void EmitFail(RunningAttempt attempt, long micros, string? detail)
    {
        if (detail is null) _tracer.Emit(TraceEventKind.Fail, attempt.Id, attempt.Attempt, _traceSlot, micros);
        else _tracer.EmitDetail(TraceEventKind.Fail, attempt.Id, attempt.Attempt, _traceSlot, micros, detail);
    }

    private async Task CompletionLoopAsync(CancellationToken stop)
    {
        using CancellationTokenRegistration wake = stop.Register(_completionWake.Set);
        var batch = new List<(RunningAttempt Attempt, string? Result)>(MaxCompletionBatch);
        while (true)
        {
            _completionWake.Reset();
            batch.Clear();
            while (batch.Count < MaxCompletionBatch && _completions.TryDequeue(out (RunningAttempt, string?) item)) batch.Add(item);
            if (batch.Count > 0)
            {
                await CompleteBatchAsync(batch).ConfigureAwait(false);
                continue;
            }
            if (stop.IsCancellationRequested) return;
            await _completionWake.Task.ConfigureAwait(false);
        }
    }

    private async Task CompleteBatchAsync(List<(RunningAttempt Attempt, string? Result)> batch)
    {
        var items = new TaskCompletion[batch.Count];
        for (int i = 0; i < batch.Count; i++) items[i] = new TaskCompletion(batch[i].Attempt.Id, batch[i].Attempt.Token, batch[i].Result);
        IReadOnlyList<LeaseOutcome>? outcomes = null;
        try
        {
            outcomes = await Retry(() => _store.CompleteManyAsync(items, CancellationToken.None)).ConfigureAwait(false);
        }
        catch (PrismQException e) when (!IsTransient(e))
        {
            // An item was refused (a result over the size limit, say): complete them one by one below, where a refused
            // result fails its own attempt at once (never left Running until its lease expires).
        }
        catch (Exception)
        {
            foreach ((RunningAttempt attempt, _) in batch) EndAttempt(attempt, AttemptOutcome.LeaseLost, timedOut: false, abandoned: false);
            return;
        }

        if (outcomes is not null)
        {
            for (int i = 0; i < batch.Count; i++)
                EndAttempt(batch[i].Attempt, outcomes[i] == LeaseOutcome.Applied ? AttemptOutcome.Succeeded : AttemptOutcome.LeaseLost, timedOut: false, abandoned: false);
            return;
        }
        foreach ((RunningAttempt attempt, string? result) in batch)
        {
            try
            {
                LeaseOutcome outcome = await Retry(() => _store.CompleteAsync(attempt.Id, attempt.Token, result, CancellationToken.None)).ConfigureAwait(false);
                EndAttempt(attempt, outcome == LeaseOutcome.Applied ? AttemptOutcome.Succeeded : AttemptOutcome.LeaseLost, timedOut: false, abandoned: false);
            }
            catch (PrismQException e) when (!IsTransient(e))
            {
                // The store refused this result (ResultTooLarge, InvalidPayload): the attempt fails, under the retry policy.
                try
                {
                    await FailAsync(attempt, new TaskError(e.Message, e.ErrorId), timedOut: false, abandoned: false).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    EndAttempt(attempt, AttemptOutcome.LeaseLost, timedOut: false, abandoned: false);
                }
            }
            catch (Exception)
            {
                EndAttempt(attempt, AttemptOutcome.LeaseLost, timedOut: false, abandoned: false);
            }
        }
    }

    private async Task LeaseHeartbeatLoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (!await DelayAsync(_heartbeat, stop).ConfigureAwait(false)) return;
            foreach (RunningAttempt attempt in _attempts.Values)
            {
                if (attempt.LeaseLost || attempt.AbandonSignal.IsCompleted) continue;
                try
                {
                    ExtendResult extended = await _store.ExtendLeaseAsync(attempt.Id, attempt.Token, _lease, CancellationToken.None).ConfigureAwait(false);
                    if (extended.Outcome == LeaseOutcome.LeaseLost)
                    {
                        attempt.Cancel(CancelReason.LeaseLost, _clock, _grace);
                        continue;
                    }
                    _tracer.Emit(TraceEventKind.LeaseExtended, attempt.Id, attempt.Attempt, _traceSlot, 0);
                    if (extended.CancelRequested && !attempt.HandlerFinished)
                    {
                        _tracer.Emit(TraceEventKind.Cancel, attempt.Id, attempt.Attempt, _traceSlot, 0);
                        attempt.Cancel(CancelReason.UserCancel, _clock, _grace);
                    }
                }
                catch (Exception)
                {
                    // A busy database: the next heartbeat tries again (the lease outlives two missed heartbeats by default).
                }
            }
        }
    }

    private async Task RegistryHeartbeatLoopAsync(CancellationToken stop)
    {
        TimeSpan interval = _heartbeat < WorkerRegistry.MaxRegistryHeartbeatInterval ? _heartbeat : WorkerRegistry.MaxRegistryHeartbeatInterval;
        while (await DelayAsync(interval, stop).ConfigureAwait(false))
        {
            try
            {
                long[] ids = _attempts.Values.Select(a => a.Id).ToArray();
                await _store.HeartbeatWorkerAsync(WorkerId, ids, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Try again at the next beat.
            }
        }
    }

    private async Task SweepLoopAsync(CancellationToken stop)
    {
        var sweeper = new DeadWorkerSweeper(_store, WorkerId, _livenessFolder);
        long lastExpiredReclaim = _clock.GetTimestamp();
        long lastWalCheck = _clock.GetTimestamp();
        TimeSpan expiredInterval = _heartbeat > _options.SweepInterval ? _heartbeat : _options.SweepInterval;
        DatabaseMaintenance? maintenance = null;
        try
        {
            while (await DelayAsync(_options.SweepInterval, stop).ConfigureAwait(false))
            {
                try
                {
                    foreach ((string _, ReclaimResult result) in await sweeper.SweepAsync(CancellationToken.None).ConfigureAwait(false))
                    {
                        _tracer.Emit(TraceEventKind.Reclaim, 0, 0, _traceSlot, result.Requeued + result.Failed);
                        if (result.Requeued > 0) _mainWake.Set();
                    }
                    if (_clock.GetElapsedTime(lastExpiredReclaim) >= expiredInterval)
                    {
                        lastExpiredReclaim = _clock.GetTimestamp();
                        ReclaimResult expired = await _store.ReclaimExpiredAsync(CancellationToken.None).ConfigureAwait(false);
                        if (expired.Requeued + expired.Failed > 0) _tracer.Emit(TraceEventKind.Reclaim, 0, 0, _traceSlot, expired.Requeued + expired.Failed);
                        if (expired.Requeued > 0) _mainWake.Set();
                    }
                    if (_options.ManageWal && _databasePath is not null && _clock.GetElapsedTime(lastWalCheck) >= WalCheckInterval)
                    {
                        lastWalCheck = _clock.GetTimestamp();
                        maintenance ??= DatabaseMaintenance.Open(_databasePath);
                        maintenance.ManageWal();
                    }
                }
                catch (Exception)
                {
                    // A busy database: sweep again next time.
                }
            }
        }
        finally
        {
            maintenance?.Dispose();
        }
    }

    private async Task GracefulStopAsync()
    {
        await WaitForAttemptsAsync(_grace, CancellationToken.None).ConfigureAwait(false);
        foreach (RunningAttempt attempt in _attempts.Values)
        {
            if (!attempt.HandlerFinished) attempt.Cancel(CancelReason.Stop, _clock, _grace);
        }
        // Each cancelled handler returns or is abandoned within the grace period; then its lease is released.
        await WaitForAttemptsAsync(Timeout.InfiniteTimeSpan, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Waits until no attempt is in flight, <paramref name="limit"/> passes, or <paramref name="stop"/> fires.</summary>
    private async Task WaitForAttemptsAsync(TimeSpan limit, CancellationToken stop)
    {
        long start = _clock.GetTimestamp();
        using CancellationTokenRegistration wake = stop.Register(_mainWake.Set);
        while (true)
        {
            _mainWake.Reset();
            if (_attempts.IsEmpty || stop.IsCancellationRequested) return;
            TimeSpan wait = Timeout.InfiniteTimeSpan;
            if (limit != Timeout.InfiniteTimeSpan)
            {
                wait = limit - _clock.GetElapsedTime(start);
                if (wait <= TimeSpan.Zero) return;
            }
            await WaitAsync(_mainWake.Task, wait).ConfigureAwait(false);
        }
    }

    private async Task WaitAsync(Task signal, TimeSpan wait)
    {
        if (wait == Timeout.InfiniteTimeSpan)
        {
            await signal.ConfigureAwait(false);
            return;
        }
        if (wait <= TimeSpan.Zero) return;
        using var cancelDelay = new CancellationTokenSource();
        Task delay = TimeProviderTaskExtensions.Delay(_clock, wait, cancelDelay.Token);
        await Task.WhenAny(signal, delay).ConfigureAwait(false);
        cancelDelay.Cancel();
    }

    /// <summary>Waits <paramref name="wait"/>; false when <paramref name="stop"/> fired first.</summary>
    private async Task<bool> DelayAsync(TimeSpan wait, CancellationToken stop)
    {
        try
        {
            await TimeProviderTaskExtensions.Delay(_clock, wait, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Runs a store call, retrying a busy database (and other transient failures) for up to one lease duration.</summary>
    private async Task<T> Retry<T>(Func<Task<T>> call)
    {
        long start = _clock.GetTimestamp();
        TimeSpan pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && _clock.GetElapsedTime(start) < _lease)
            {
                await TimeProviderTaskExtensions.Delay(_clock, pause, CancellationToken.None).ConfigureAwait(false);
                if (pause < TimeSpan.FromSeconds(1)) pause = TimeSpan.FromTicks(pause.Ticks * 2);
            }
        }
    }

    private static bool IsTransient(Exception e) => e is PrismQException p ? p.Code == PrismQErrorCode.DatabaseBusy || p.Code == PrismQErrorCode.StorageError : e is System.IO.IOException;

    private static Exception Unwrap(AggregateException aggregate) =>
        aggregate.InnerExceptions.Count == 1 ? aggregate.InnerExceptions[0] : aggregate;
}
