using System;
using System.Collections.Generic;
using System.Threading;
using PrismQ.Workers;

namespace PrismQ;

/// <summary>What a handler sees of the task attempt it runs.</summary>
public sealed class TaskContext
{
    private readonly ProgressThrottle _progress;
    private readonly Tracing.ITraceEmitter _tracer;
    private readonly short _workerSlot;
    private readonly TimeProvider _clock;
    private AttemptOutput? _output;

    internal TaskContext(TaskRecord task, LeaseToken token, string workerId, CancellationToken cancellationToken, ProgressThrottle progress, Tracing.ITraceEmitter tracer, short workerSlot, TimeProvider clock)
    {
        TaskId = task.Id;
        Queue = task.Queue;
        Type = task.Type;
        Payload = task.Payload;
        Priority = task.Priority;
        Attempt = task.Attempts;
        MaxAttempts = task.MaxAttempts;
        Timeout = task.Timeout;
        LeaseToken = token;
        WorkerId = workerId;
        CancellationToken = cancellationToken;
        _progress = progress;
        _tracer = tracer;
        _workerSlot = workerSlot;
        _clock = clock;
    }

    /// <summary>The task's id.</summary>
    public long TaskId { get; }

    /// <summary>The task's queue.</summary>
    public string Queue { get; }

    /// <summary>The task's type.</summary>
    public string Type { get; }

    /// <summary>The payload as JSON text.</summary>
    public string Payload { get; }

    /// <summary>The task's priority.</summary>
    public int Priority { get; }

    /// <summary>This attempt's number (1 for the first).</summary>
    public int Attempt { get; }

    /// <summary>How many attempts the task may have in all.</summary>
    public int MaxAttempts { get; }

    /// <summary>The time this attempt may take, if limited.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>This attempt's lease token.</summary>
    public LeaseToken LeaseToken { get; }

    /// <summary>The id of the worker running the attempt.</summary>
    public string WorkerId { get; }

    /// <summary>
    /// Fires when the worker stops (after its grace period), when the attempt passes the task's timeout, when a user
    /// cancels the task (noticed at the next heartbeat), and when the lease turns out lost.
    /// The same token is passed to the handler.
    /// </summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// Reports progress. Never blocks: values are written at most once per <see cref="WorkerOptions.ProgressInterval"/>
    /// (the last value wins) and the final value is written when the attempt ends.
    /// </summary>
    /// <param name="percent">0 to 100, or null to keep only a message.</param>
    /// <param name="message">A short message, or null.</param>
    public void ReportProgress(int? percent, string? message = null)
    {
        if (percent is { } p && (p < 0 || p > 100))
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"Progress percent is {p}; it must be between 0 and 100.", nameof(percent), p);
        _progress.Report(percent, message);
    }

    /// <summary>
    /// Asks the tracer to keep this attempt's detail (its window is marked <see cref="WindowMark.Requested"/>), as a
    /// failed attempt's is: the detail lane's records of the attempt within the pre-roll, and all that follow.
    /// Does nothing when tracing is off.
    /// </summary>
    public void RequestTraceDetail()
    {
        if (!_tracer.IsEnabled) return;
        _tracer.MarkWindow(TaskId, Attempt, WindowMark.Requested);
    }

    /// <summary>Writes a user event into the trace (when tracing is on), attached to this attempt.</summary>
    /// <param name="message">The event text.</param>
    /// <param name="value">A number to record with it.</param>
    public void TraceEvent(string message, long value = 0)
    {
        if (!_tracer.IsEnabled) return;
        _tracer.EmitDetail(TraceEventKind.User, TaskId, Attempt, _workerSlot, value, message ?? string.Empty);
    }

    /// <summary>
    /// Keeps a message with this attempt, as <c>Receive-Job</c> keeps a job's streams: it is stored with the attempt's
    /// transition (success, retry, dead letter, cancel, or release at a stop), in the same transaction, and read back
    /// with the task (<see cref="TaskRecord.Output"/>), stamped with this attempt's number and the worker clock's time.
    /// Nothing is stored when the attempt's lease was lost, nor what is written after the handler has ended. Safe to call
    /// from any thread. Bounded: at most <see cref="TaskLimits.MaxOutputRecordsPerAttempt"/> records per attempt (later
    /// ones are counted, and one last record says how many were dropped), each at most
    /// <see cref="TaskLimits.MaxOutputRecordLength"/> characters (longer text is cut, ending with
    /// "… (N more characters)").
    /// </summary>
    /// <param name="stream">The stream: Warning, Verbose, Debug or Information.</param>
    /// <param name="text">The message (null is kept as empty text).</param>
    public void WriteOutput(TaskOutputStream stream, string text)
    {
        Tasks.TaskValidation.CheckOutputStream(stream, nameof(stream));
        AttemptOutput output = Volatile.Read(ref _output) ?? CreateOutput();
        output.Add(_clock.GetUtcNow(), stream, text ?? string.Empty);
    }

    /// <summary>The output written so far (null when none), once the handler has ended; later writes are not kept.</summary>
    internal IReadOnlyList<TaskOutputRecord>? TakeOutput() => Volatile.Read(ref _output)?.Take();

    private AttemptOutput CreateOutput()
    {
        Interlocked.CompareExchange(ref _output, new AttemptOutput(Attempt), null);
        return _output!;
    }
}
