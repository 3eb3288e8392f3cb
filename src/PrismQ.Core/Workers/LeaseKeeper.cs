using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tracing;

namespace PrismQ.Workers;

/// <summary>
/// Heartbeats: every heartbeat interval it extends every lease the worker holds — running, prefetched and completing
/// attempts alike — in one transaction, and reports to the producer each lease found lost and each cancel a user
/// requested. It also refreshes the worker's registry row. It changes no attempt itself.
/// </summary>
internal sealed class LeaseKeeper
{
    private readonly ITaskStore _store;
    private readonly string _workerId;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _lease;
    private readonly TimeSpan _heartbeat;
    private readonly ITraceEmitter _tracer;
    private readonly Func<Task<RunningAttempt[]>> _held;
    private readonly Action<RunningAttempt> _leaseLost;
    private readonly Action<RunningAttempt> _cancelRequested;
    private short _traceSlot;

    public LeaseKeeper(ITaskStore store, string workerId, TimeProvider clock, TimeSpan lease, TimeSpan heartbeat, ITraceEmitter tracer,
        Func<Task<RunningAttempt[]>> held, Action<RunningAttempt> leaseLost, Action<RunningAttempt> cancelRequested)
    {
        _store = store;
        _workerId = workerId;
        _clock = clock;
        _lease = lease;
        _heartbeat = heartbeat;
        _tracer = tracer;
        _held = held;
        _leaseLost = leaseLost;
        _cancelRequested = cancelRequested;
    }

    /// <summary>The worker's trace slot.</summary>
    public short TraceSlot
    {
        set => _traceSlot = value;
    }

    /// <summary>Beats until <paramref name="stop"/> fires.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        // The registry row is refreshed at least every few seconds, so that Get-PrismQWorker shows current tasks.
        TimeSpan interval = _heartbeat < WorkerRegistry.MaxRegistryHeartbeatInterval ? _heartbeat : WorkerRegistry.MaxRegistryHeartbeatInterval;
        long lastExtend = _clock.GetTimestamp();
        while (await ClockWait.DelayAsync(_clock, interval, stop).ConfigureAwait(false))
        {
            RunningAttempt[] held;
            try
            {
                held = await _held().ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (_clock.GetElapsedTime(lastExtend) >= _heartbeat - TimeSpan.FromTicks(interval.Ticks / 10))
            {
                lastExtend = _clock.GetTimestamp();
                await ExtendAsync(held).ConfigureAwait(false);
            }
            try
            {
                var ids = new long[held.Length];
                for (int i = 0; i < held.Length; i++) ids[i] = held[i].Id;
                await _store.HeartbeatWorkerAsync(_workerId, ids, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Try again at the next beat.
            }
        }
    }

    private async Task ExtendAsync(RunningAttempt[] held)
    {
        var attempts = new List<RunningAttempt>(held.Length);
        foreach (RunningAttempt attempt in held)
            if (!attempt.LeaseLost && !attempt.AbandonSignal.IsCompleted) attempts.Add(attempt);
        if (attempts.Count == 0) return;
        var leases = new TaskLease[attempts.Count];
        for (int i = 0; i < leases.Length; i++) leases[i] = new TaskLease(attempts[i].Id, attempts[i].Token);
        IReadOnlyList<ExtendResult> results;
        try
        {
            results = await _store.ExtendLeasesAsync(leases, _lease, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A busy database: the next heartbeat tries again (the lease outlives two missed heartbeats by default).
            return;
        }
        for (int i = 0; i < results.Count; i++)
        {
            RunningAttempt attempt = attempts[i];
            if (results[i].Outcome == LeaseOutcome.LeaseLost)
            {
                _leaseLost(attempt);
                continue;
            }
            _tracer.Emit(TraceEventKind.LeaseExtended, attempt.Id, attempt.Attempt, _traceSlot, 0);
            if (results[i].CancelRequested && !attempt.HandlerFinished) _cancelRequested(attempt);
        }
    }

}
