using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Storage;
using PrismQ.Tracing;
using PrismQ.Workers;

namespace PrismQ;

/// <summary>
/// Runs handlers for the tasks of one or more queues, as four roles (see docs/architecture.md, "The worker's roles"):
/// a producer that alone owns the attempts (claims ahead of its free slots, starts handlers, decides each outcome by
/// the engine's rules), executors that run handlers, a completer that writes outcomes in batches (group commit), and a
/// lease keeper that heartbeats every held lease; beside them, maintenance takes over dead workers' tasks. Stops
/// cleanly on its bounds or its token. One instance runs once.
/// </summary>
public sealed class Worker
{
    private readonly ITaskStore _store;
    private readonly WorkerOptions _options;
    private readonly TimeProvider _clock;
    private readonly ITraceEmitter _tracer;
    private readonly TimeSpan _heartbeat;
    private readonly IHandlerInvoker _invoker;
    private readonly IStorageDriver _driver;
    private Producer? _producer;
    private int _started;

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
        _driver = StorageDrivers.Of(store, options.LivenessDirectory);
        _tracer = options.Tracer is NullTraceEmitter ? _driver.Tracer : options.Tracer;
        _heartbeat = options.ResolveHeartbeatInterval();
        WorkerId = options.ResolveWorkerId();
        _invoker = options.Invoker ?? new HandlerTable(options, WorkerId);
    }

    /// <summary>This worker's id (as registered and written as lease owner).</summary>
    public string WorkerId { get; }

    /// <summary>Handlers running now.</summary>
    public int RunningCount => _producer?.RunningCount ?? 0;

    /// <summary>
    /// Runs until a bound is reached or <paramref name="cancellationToken"/> fires, then stops cleanly and returns
    /// what it did. A stop by token or <see cref="WorkerOptions.MaxRunTime"/> is graceful: no more claims, prefetched
    /// tasks are given back at once, in-flight handlers get <see cref="WorkerOptions.GracePeriod"/> to finish, then they
    /// are cancelled and their tasks are released (the attempt is not counted). Storage errors other than a busy
    /// database end the run with an exception, after the same graceful stop.
    /// </summary>
    public async Task<WorkerRunSummary> RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"Worker '{WorkerId}' has already run; create a new Worker to run again.", nameof(RunAsync));
        long start = _clock.GetTimestamp();
        short traceSlot = _tracer.RegisterWorker(WorkerId);

        IDisposable? livenessLock = _driver.HoldLiveness(WorkerId, _clock);
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

        var producer = new Producer(_store, _options, WorkerId, _tracer, _invoker) { TraceSlot = traceSlot };
        _producer = producer;
        var keeper = new LeaseKeeper(_store, WorkerId, _clock, _options.ResolveLeaseDuration(), _heartbeat, _tracer, producer.HeldAsync, producer.LeaseLost, producer.CancelRequested) { TraceSlot = traceSlot };
        var maintenance = new WorkerMaintenance(_store, _driver, _options, WorkerId, _heartbeat, _tracer, producer.WorkArrived) { TraceSlot = traceSlot };

        // New work committed by anyone (this process, other processes, other hosts): claim at once instead of at the next poll.
        using IDisposable? newWork = _driver.SubscribeToNewWork(producer.WorkArrived);
        using CancellationTokenSource? maxRunTime = _options.MaxRunTime is { } limit ? TimeProviderTaskExtensions.CreateCancellationTokenSource(_clock, limit) : null;
        using CancellationTokenSource background = new();
        Task completerLoop = producer.Completer.RunAsync(background.Token);
        Task keeperLoop = keeper.RunAsync(background.Token);
        Task maintenanceLoop = maintenance.RunAsync(background.Token);
        Task queueDepthLoop = QueueDepthSampler.RunAsync(_store, _options.Queues, _tracer, traceSlot, _clock, background.Token);

        WorkerStopReason reason;
        Exception? fatal = null;
        try
        {
            reason = await producer.RunAsync(cancellationToken, maxRunTime?.Token ?? CancellationToken.None).ConfigureAwait(false);
            fatal = producer.Fatal;
        }
        catch (Exception e)
        {
            reason = WorkerStopReason.Cancelled;
            fatal = e;
        }

        background.Cancel();
        await Task.WhenAll(completerLoop, keeperLoop, maintenanceLoop, queueDepthLoop).ConfigureAwait(false);
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
            Succeeded = producer.Succeeded,
            Failed = producer.Failed,
            Retried = producer.Retried,
            LeasesLost = producer.LeasesLost,
            Released = producer.Released,
            Cancelled = producer.Cancelled,
            TimedOut = producer.TimedOut,
            Abandoned = producer.Abandoned,
            RunTime = _clock.GetElapsedTime(start),
            StopReason = reason,
        };
    }
}
