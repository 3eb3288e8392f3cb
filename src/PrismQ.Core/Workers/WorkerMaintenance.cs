using System;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tracing;

namespace PrismQ.Workers;

/// <summary>
/// The worker's upkeep, on its own loop: takes over the tasks of dead workers on this host at once, rescues expired
/// leases (both decided by <see cref="AttemptRules.Rescued"/>), and keeps a local database's WAL in bounds.
/// </summary>
internal sealed class WorkerMaintenance
{
    private static readonly TimeSpan WalCheckInterval = TimeSpan.FromSeconds(5);

    private readonly ITaskStore _store;
    private readonly WorkerOptions _options;
    private readonly string _workerId;
    private readonly string? _livenessFolder;
    private readonly string? _databasePath;
    private readonly TimeSpan _heartbeat;
    private readonly ITraceEmitter _tracer;
    private readonly Action _requeued;
    private short _traceSlot;

    public WorkerMaintenance(ITaskStore store, WorkerOptions options, string workerId, string? livenessFolder, string? databasePath, TimeSpan heartbeat, ITraceEmitter tracer, Action requeued)
    {
        _store = store;
        _options = options;
        _workerId = workerId;
        _livenessFolder = livenessFolder;
        _databasePath = databasePath;
        _heartbeat = heartbeat;
        _tracer = tracer;
        _requeued = requeued;
    }

    /// <summary>The worker's trace slot.</summary>
    public short TraceSlot
    {
        set => _traceSlot = value;
    }

    /// <summary>Runs until <paramref name="stop"/> fires.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        TimeProvider clock = _options.TimeProvider;
        var sweeper = new DeadWorkerSweeper(_store, _workerId, _livenessFolder);
        long lastExpiredReclaim = clock.GetTimestamp();
        long lastWalCheck = clock.GetTimestamp();
        TimeSpan expiredInterval = _heartbeat > _options.SweepInterval ? _heartbeat : _options.SweepInterval;
        DatabaseMaintenance? maintenance = null;
        try
        {
            while (await ClockWait.DelayAsync(clock, _options.SweepInterval, stop).ConfigureAwait(false))
            {
                try
                {
                    foreach ((string _, ReclaimResult result) in await sweeper.SweepAsync(CancellationToken.None).ConfigureAwait(false))
                        Reclaimed(result);
                    if (clock.GetElapsedTime(lastExpiredReclaim) >= expiredInterval)
                    {
                        lastExpiredReclaim = clock.GetTimestamp();
                        Reclaimed(await _store.ReclaimExpiredAsync(CancellationToken.None).ConfigureAwait(false));
                    }
                    if (_options.ManageWal && _databasePath is not null && clock.GetElapsedTime(lastWalCheck) >= WalCheckInterval)
                    {
                        lastWalCheck = clock.GetTimestamp();
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

    private void Reclaimed(ReclaimResult result)
    {
        if (result.Requeued + result.Failed > 0) _tracer.Emit(TraceEventKind.Reclaim, 0, 0, _traceSlot, result.Requeued + result.Failed);
        if (result.Requeued > 0) _requeued();
    }

}
