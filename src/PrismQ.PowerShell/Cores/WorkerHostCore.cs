using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Workers;

namespace PrismQ.PowerShell.Cores;

/// <summary>The settings of <c>Start-PrismQWorker</c>.</summary>
internal sealed class WorkerSettings
{
    public IReadOnlyList<string> Queues { get; set; } = new[] { QueueNames.Default };
    public SchedulingStrategy Strategy { get; set; } = SchedulingStrategy.Fifo;
    public int Concurrency { get; set; } = 1;
    public int? MaxTasks { get; set; }
    public TimeSpan? IdleTimeout { get; set; }
    public TimeSpan? MaxRunTime { get; set; }
    public TimeSpan? LeaseDuration { get; set; }
    public string? WorkerId { get; set; }

    /// <summary>Queue the ids of tasks that reached a final state (<c>-PassThru</c>, see <see cref="WorkerHostCore.TryTakeFinished"/>).</summary>
    public bool KeepFinished { get; set; } = true;

    /// <summary>The task types with a handler, matched ignoring case; null: one handler for every type.</summary>
    public IReadOnlyCollection<string>? HandledTypes { get; set; }

    /// <summary>The engine's grace period (<see cref="WorkerOptions.GracePeriod"/>); null: its default. Tests shorten it.</summary>
    public TimeSpan? GracePeriod { get; set; }
}

/// <summary>
/// The core of <c>Start-PrismQWorker</c>, with no PowerShell types: runs the engine's <see cref="Worker"/> and turns each
/// handler invocation into a <see cref="HandlerCall"/> given to the dispatcher (the cmdlet queues it for its handler
/// runspaces, which complete it). Task types match handlers ignoring case. Ended attempts are counted,
/// the ids of tasks that reached a final state are queued for <c>-PassThru</c>, and failed attempts are queued as
/// <see cref="AttemptFailure"/>s. The engine owns every lease: at Ctrl+C the host only cancels the worker's token and
/// stops the running handlers (<see cref="StopHandlers"/>); the engine's graceful stop then gives their tasks back.
/// </summary>
internal sealed class WorkerHostCore : IHandlerInvoker, IDisposable
{
    private readonly Worker _worker;
    private readonly Func<HandlerCall, Task> _dispatch;
    private readonly ConcurrentDictionary<HandlerCall, byte> _inFlight = new();
    private readonly Action<HandlerCall> _callEnded;
    private readonly ConcurrentQueue<long> _finished = new();
    private readonly ConcurrentQueue<AttemptFailure> _failures = new();
    private readonly ConcurrentQueue<KeyValuePair<HandlerCall, object>> _outputs = new();
    private readonly HashSet<string>? _handledTypes;
    private readonly bool _keepFinished;
    private readonly SemaphoreSlim _wake = new(0);
    private long _ended;
    private volatile bool _stopping;

    /// <param name="store">The database.</param>
    /// <param name="settings">The worker's settings.</param>
    /// <param name="dispatch">Runs each call's handler (on another thread) and completes the call.</param>
    public WorkerHostCore(ITaskStore store, WorkerSettings settings, Func<HandlerCall, Task> dispatch)
    {
        _dispatch = dispatch;
        // Removed on the thread that ends the call: a continuation would cost a thread-pool work item per task.
        _callEnded = call => _inFlight.TryRemove(call, out byte _);
        _keepFinished = settings.KeepFinished;
        if (settings.HandledTypes is not null) _handledTypes = new HashSet<string>(settings.HandledTypes, StringComparer.OrdinalIgnoreCase);
        var options = new WorkerOptions
        {
            Queues = settings.Queues,
            Strategy = settings.Strategy,
            Concurrency = settings.Concurrency,
            MaxTasks = settings.MaxTasks,
            IdleTimeout = settings.IdleTimeout,
            MaxRunTime = settings.MaxRunTime,
            LeaseDuration = settings.LeaseDuration,
            WorkerId = settings.WorkerId,
            GracePeriod = settings.GracePeriod ?? new WorkerOptions().GracePeriod,
            // The engine calls every handler through this host (InvokeAsync), which matches handler types ignoring case.
            Invoker = this,
            AttemptEnded = OnAttemptEnded,
        };
        if (settings.HandledTypes is not null)
            foreach (string type in settings.HandledTypes) WorkerIdentity.CheckName(type, "WorkerOptions.Handlers", PrismQErrorCode.InvalidTaskType);

        _worker = new Worker(store, options);
    }

    /// <summary>The worker's id.</summary>
    public string WorkerId => _worker.WorkerId;

    /// <summary>Attempts ended so far.</summary>
    public long Ended => Interlocked.Read(ref _ended);

    /// <summary>Handlers running or waiting now.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>True once <see cref="StopHandlers"/> was called: the worker is stopping at the user's request.</summary>
    public bool IsStopping => _stopping;

    /// <summary>Starts the worker; the task completes when it stops (its bounds, or <paramref name="cancellationToken"/>).</summary>
    public Task<global::PrismQ.WorkerRunSummary> Start(CancellationToken cancellationToken)
    {
        Task<global::PrismQ.WorkerRunSummary> run = _worker.RunAsync(cancellationToken);
        run.ContinueWith(_ => _wake.Release(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return run;
    }

    /// <summary>Waits up to <paramref name="wait"/> for news (an attempt ended, output to show, the run ended).</summary>
    public bool WaitForNews(TimeSpan wait) => _wake.Wait(wait);

    /// <summary>Ids of tasks that reached a final state (succeeded, failed, cancelled), in the order they ended.</summary>
    public bool TryTakeFinished(out long taskId) => _finished.TryDequeue(out taskId);

    /// <summary>Queues a warning, verbose, debug or information record a call's handler wrote, for the cmdlet to show.</summary>
    public void ReportOutput(HandlerCall call, object record)
    {
        _outputs.Enqueue(new KeyValuePair<HandlerCall, object>(call, record));
        _wake.Release();
    }

    /// <summary>The next record to show, in the order they were written, with the call that wrote it.</summary>
    public bool TryTakeOutput(out KeyValuePair<HandlerCall, object> output) => _outputs.TryDequeue(out output);

    /// <summary>The next failed attempt (in the order they ended), for the warning stream.</summary>
    public bool TryTakeFailure(out AttemptFailure? failure) => _failures.TryDequeue(out failure);

    /// <summary>
    /// At Ctrl+C, after the worker's token was cancelled: stops every running handler at once, and makes the invokers
    /// leave the calls of stopped handlers open. The engine's graceful stop then cancels each attempt and gives its task
    /// back (the attempt is not counted); the host never releases a lease itself.
    /// </summary>
    public void StopHandlers()
    {
        _stopping = true;
        foreach (HandlerCall call in _inFlight.Keys) call.Stop();
    }

    public void Dispose() => _wake.Dispose();

    /// <summary>True: <see cref="InvokeAsync"/> only gives the call to the dispatcher, which queues it for the runspaces.</summary>
    public bool HandsOver => true;

    /// <summary>The engine's call of a handler: given to the dispatcher.</summary>
    public Task<string?> InvokeAsync(TaskContext context, CancellationToken cancellationToken)
    {
        if (_handledTypes is not null && !_handledTypes.Contains(context.Type))
        {
            var noHandler = new PrismQException(PrismQErrorCode.NoHandler,
                $"No handler for type '{context.Type}' on worker '{WorkerId}' (task {context.TaskId}, queue '{context.Queue}'); the handler table has {string.Join(", ", _handledTypes)} (case is ignored).",
                "Type", context.Type);
            var failed = new TaskCompletionSource<string?>();
            failed.SetException(noHandler);
            return failed.Task;
        }

        var call = new HandlerCall(context, cancellationToken, _callEnded);
        _inFlight[call] = 0;
        cancellationToken.Register(() =>
        {
            call.Stop();
            call.Cancel();
        });
        _ = _dispatch(call);
        return call.Completion;
    }

    private void OnAttemptEnded(AttemptEnd end)
    {
        Interlocked.Increment(ref _ended);
        AttemptFailureKind? kind = end.Outcome switch
        {
            AttemptOutcome.Retried => AttemptFailureKind.RetryScheduled,
            AttemptOutcome.Failed => AttemptFailureKind.DeadLettered,
            AttemptOutcome.LeaseLost => AttemptFailureKind.LeaseLost,
            _ => null,
        };
        bool news = false;
        if (kind is { } k)
        {
            _failures.Enqueue(new AttemptFailure(end.Task, k, end.TimedOut, end.Error, end.RetryAt));
            news = true;
        }

        if (_keepFinished && end.Outcome is AttemptOutcome.Succeeded or AttemptOutcome.Failed or AttemptOutcome.Cancelled)
        {
            _finished.Enqueue(end.TaskId);
            news = true;
        }

        // The cmdlet's thread wakes only for something to write: a wake per task would cost as much as the task.
        if (news) _wake.Release();
    }

    /// <summary>The PowerShell-facing summary of a run.</summary>
    public static WorkerRunSummary ToInfo(global::PrismQ.WorkerRunSummary s) => new()
    {
        WorkerId = s.WorkerId,
        Processed = s.Processed,
        Succeeded = s.Succeeded,
        Failed = s.Failed,
        Retried = s.Retried,
        Cancelled = s.Cancelled,
        Released = s.Released,
        LeasesLost = s.LeasesLost,
        TimedOut = s.TimedOut,
        StopReason = s.StopReason,
        RunTime = s.RunTime,
    };

    /// <summary>The task as a handler sees it (status Running; its payload is read from JSON when the handler first reads it).</summary>
    public static TaskInfo TaskOf(TaskContext context) => new()
    {
        Id = context.TaskId,
        Queue = context.Queue,
        Type = context.Type,
        Status = TaskStatus.Running,
        Priority = context.Priority,
        Attempts = context.Attempt,
        MaxAttempts = context.MaxAttempts,
        PayloadJson = context.Payload,
        WorkerId = context.WorkerId,
        Timeout = context.Timeout,
    };

}
