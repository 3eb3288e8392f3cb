using System;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Storage;
using PrismQ.Tracing;

namespace PrismQ.Workers;

/// <summary>
/// The worker's share of the store's upkeep, on its own loop. Each round it asks the driver for the lead
/// (<see cref="IStorageDriver.TryLeadAsync"/>: one worker per store leads at a time); the leader takes over dead
/// workers' tasks (<see cref="IStorageDriver.SweepDeadWorkersAsync"/>), rescues expired leases (both decided by
/// <see cref="AttemptRules.Rescued"/>) and runs the backend's own upkeep (<see cref="IStorageDriver.RunUpkeep"/>: a
/// SQLite file's WAL). At its stop the worker resigns, so another takes the lead at its next round.
/// </summary>
internal sealed class WorkerMaintenance
{
    private static readonly TimeSpan UpkeepInterval = TimeSpan.FromSeconds(5);

    private readonly ITaskStore _store;
    private readonly IStorageDriver _driver;
    private readonly WorkerOptions _options;
    private readonly string _workerId;
    private readonly TimeSpan _heartbeat;
    private readonly ITraceEmitter _tracer;
    private readonly Action _requeued;
    private short _traceSlot;

    public WorkerMaintenance(ITaskStore store, IStorageDriver driver, WorkerOptions options, string workerId, TimeSpan heartbeat, ITraceEmitter tracer, Action requeued)
    {
        _store = store;
        _driver = driver;
        _options = options;
        _workerId = workerId;
        _heartbeat = heartbeat;
        _tracer = tracer;
        _requeued = requeued;
    }

    /// <summary>The worker's trace slot.</summary>
    public short TraceSlot
    {
        set => _traceSlot = value;
    }

    /// <summary>How long a leader keeps the lead without renewing it: ten rounds, at least 5 s.</summary>
    internal TimeSpan LeaderTerm => Max(TimeSpan.FromTicks(_options.SweepInterval.Ticks * 10), TimeSpan.FromSeconds(5));

    /// <summary>How old a worker's heartbeat must be for a backend that judges by heartbeat age to take its tasks back.</summary>
    internal TimeSpan DeadAfter => Max(WorkerRegistry.DefaultStaleAfter, _options.ResolveLeaseDuration());

    /// <summary>Runs until <paramref name="stop"/> fires, then resigns the lead.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        TimeProvider clock = _options.TimeProvider;
        long lastExpiredReclaim = clock.GetTimestamp();
        long lastUpkeep = clock.GetTimestamp();
        TimeSpan expiredInterval = _heartbeat > _options.SweepInterval ? _heartbeat : _options.SweepInterval;
        try
        {
            while (await ClockWait.DelayAsync(clock, _options.SweepInterval, stop).ConfigureAwait(false))
            {
                try
                {
                    if (!await _driver.TryLeadAsync(_workerId, LeaderTerm, CancellationToken.None).ConfigureAwait(false)) continue;
                    foreach ((string _, ReclaimResult result) in await _driver.SweepDeadWorkersAsync(_workerId, DeadAfter, CancellationToken.None).ConfigureAwait(false))
                        Reclaimed(result);
                    if (clock.GetElapsedTime(lastExpiredReclaim) >= expiredInterval)
                    {
                        lastExpiredReclaim = clock.GetTimestamp();
                        Reclaimed(await _store.ReclaimExpiredAsync(CancellationToken.None).ConfigureAwait(false));
                    }
                    if (_options.ManageWal && clock.GetElapsedTime(lastUpkeep) >= UpkeepInterval)
                    {
                        lastUpkeep = clock.GetTimestamp();
                        _driver.RunUpkeep();
                    }
                }
                catch (Exception)
                {
                    // A busy or unreachable database: sweep again next time.
                }
            }
        }
        finally
        {
            try
            {
                await _driver.ResignAsync(_workerId, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The lead then lapses after its term.
            }
        }
    }

    private void Reclaimed(ReclaimResult result)
    {
        if (result.Requeued + result.Failed > 0) _tracer.Emit(TraceEventKind.Reclaim, 0, 0, _traceSlot, result.Requeued + result.Failed);
        if (result.Requeued > 0) _requeued();
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
