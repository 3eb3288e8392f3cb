using System;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tracing;

namespace PrismQ.Workers;

/// <summary>
/// Runs one attempt's handler through the invoker and reports back: sets up the attempt's context, progress and
/// timeout, calls the handler on the thread pool, waits for it (or gives up on it when it ignores a cancel for the
/// grace period: abandoned), writes the last progress, and hands the attempt back to the producer with the handler's
/// outcome. It decides nothing and writes no state: the producer decides, the completer writes.
/// </summary>
internal sealed class AttemptExecutor
{
    private readonly ITaskStore _store;
    private readonly IHandlerInvoker _invoker;
    private readonly WorkerOptions _options;
    private readonly ITraceEmitter _tracer;
    private readonly string _workerId;
    private readonly Action<RunningAttempt> _report;
    private short _traceSlot;

    public AttemptExecutor(ITaskStore store, IHandlerInvoker invoker, WorkerOptions options, ITraceEmitter tracer, string workerId, Action<RunningAttempt> report)
    {
        _store = store;
        _invoker = invoker;
        _options = options;
        _tracer = tracer;
        _workerId = workerId;
        _report = report;
    }

    /// <summary>The worker's trace slot (set once the worker registered with the tracer).</summary>
    public short TraceSlot
    {
        set => _traceSlot = value;
    }

    /// <summary>Starts the attempt's handler and returns at once; the attempt is reported when the handler has ended.</summary>
    public void Start(RunningAttempt attempt)
    {
        TimeProvider clock = _options.TimeProvider;
        TaskRecord task = attempt.Task;
        attempt.StartTimestamp = clock.GetTimestamp();
        attempt.Progress = new ProgressThrottle(_store, task.Id, attempt.Token, _options.ProgressInterval, clock, (percent, message) =>
        {
            if (message is null) _tracer.Emit(TraceEventKind.Progress, task.Id, task.Attempts, _traceSlot, percent ?? -1);
            else _tracer.EmitDetail(TraceEventKind.Progress, task.Id, task.Attempts, _traceSlot, percent ?? -1, message);
        });
        var context = new TaskContext(task, attempt.Token, _workerId, attempt.CancellationToken, attempt.Progress, _tracer, _traceSlot, clock);
        if (task.Timeout is { } timeout) attempt.StartTimeout(timeout, clock, _options.GracePeriod);
        _tracer.Emit(TraceEventKind.Start, task.Id, task.Attempts, _traceSlot, 0);
        // The handler runs on the thread pool, so that one that blocks its thread can still be given up on; an invoker
        // that only hands the call over to threads of its own is called here.
        Task<string?> Invoke()
        {
            attempt.HandlerStartTimestamp = clock.GetTimestamp();
            return _invoker.InvokeAsync(context, attempt.CancellationToken);
        }

        Task<string?> run;
        if (_invoker.HandsOver)
        {
            try
            {
                run = Invoke();
            }
            catch (Exception ex)
            {
                run = Task.FromException<string?>(ex);
            }
        }
        else
        {
            run = Task.Run(Invoke);
        }
        _ = AwaitAsync(attempt, context, run);
    }

    private async Task AwaitAsync(RunningAttempt attempt, TaskContext context, Task<string?> run)
    {
        try
        {
            Task first = await Task.WhenAny(run, attempt.AbandonSignal).ConfigureAwait(false);
            if (first != run)
            {
                attempt.Abandoned = true;
                _ = run.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
            else if (run.IsFaulted)
            {
                attempt.Error = Unwrap(run.Exception!);
            }
            else if (run.IsCanceled)
            {
                attempt.Error = new OperationCanceledException("The handler was cancelled.");
            }
            else
            {
                attempt.Result = run.Result;
            }
            attempt.HandlerTicks = _options.TimeProvider.GetTimestamp() - attempt.HandlerStartTimestamp;
            attempt.Output = context.TakeOutput();
            attempt.MarkHandlerDone();
            attempt.Dispose();
            if (!attempt.Abandoned && !attempt.LeaseLost && attempt.Progress is { } progress) await progress.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Only the last progress write can get here (it swallows storage errors): the outcome stands.
            attempt.MarkHandlerDone();
        }
        _report(attempt);
    }

    /// <summary>The one exception inside <paramref name="aggregate"/>, or the aggregate when it holds several.</summary>
    internal static Exception Unwrap(AggregateException aggregate) =>
        aggregate.InnerExceptions.Count == 1 ? aggregate.InnerExceptions[0] : aggregate;
}
