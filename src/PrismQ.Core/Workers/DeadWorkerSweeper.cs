using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.Workers;

/// <summary>
/// Finds registered workers on this host whose process is gone and takes their tasks back at once
/// (<see cref="LeaseOperations.ReclaimWorkerAsync"/>), then removes their registration. A worker is judged dead when its
/// liveness lock file exists and can be locked (the OS freed it when the process died), or, when it has no lock
/// file, when no process has its id. Either way the sweeper holds that worker's lock while it reclaims, so a worker
/// restarted with the same id waits and never loses its new leases to the reclaim.
/// Workers on other hosts are never judged here: only lease expiry applies to them.
/// </summary>
internal sealed class DeadWorkerSweeper
{
    private readonly ITaskStore _store;
    private readonly string _ownId;
    private readonly string? _livenessFolder;

    public DeadWorkerSweeper(ITaskStore store, string ownId, string? livenessFolder)
    {
        _store = store;
        _ownId = ownId;
        _livenessFolder = livenessFolder;
    }

    /// <summary>One sweep. Returns the reclaims it made (one per dead worker).</summary>
    public async Task<IReadOnlyList<(string WorkerId, ReclaimResult Result)>> SweepAsync(CancellationToken cancellationToken)
    {
        var reclaimed = new List<(string, ReclaimResult)>();
        IReadOnlyList<WorkerRecord> workers = await _store.ListWorkersAsync(cancellationToken).ConfigureAwait(false);
        foreach (WorkerRecord worker in workers)
        {
            if (worker.Id == _ownId || !IsThisHost(worker.Host)) continue;
            FileStream? heldLock = null;
            string? lockPath = _livenessFolder is null ? null : WorkerLivenessLock.PathFor(_livenessFolder, worker.Id);
            bool dead;
            if (lockPath is not null && File.Exists(lockPath))
            {
                heldLock = WorkerLivenessLock.TryOpenExclusive(lockPath, create: false, out bool held);
                dead = heldLock is not null;
                if (heldLock is null && !held) dead = !ProcessExists(worker.ProcessId);
            }
            else
            {
                dead = !ProcessExists(worker.ProcessId);
                if (dead && lockPath is not null)
                {
                    // Take the (absent) lock ourselves for the reclaim: a worker restarted with this id takes its lock
                    // before it registers or claims, so it cannot start in between and lose its new leases to us.
                    heldLock = WorkerLivenessLock.TryOpenExclusive(lockPath, create: true, out bool held);
                    if (heldLock is null && held) continue; // a worker with this id holds it now: it is alive
                }
            }
            if (!dead) continue;
            try
            {
                // While this sweeper holds the dead worker's lock, a new worker with the same id cannot start
                // (it waits for the lock), so only the dead worker's leases are taken back.
                ReclaimResult result = await _store.ReclaimWorkerAsync(worker.Id, cancellationToken).ConfigureAwait(false);
                await _store.UnregisterWorkerAsync(worker.Id, cancellationToken).ConfigureAwait(false);
                reclaimed.Add((worker.Id, result));
            }
            finally
            {
                if (heldLock is not null)
                {
                    WorkerLivenessLock.TryDelete(lockPath!);
                    heldLock.Dispose();
                    WorkerLivenessLock.TryDelete(lockPath!);
                }
            }
        }
        return reclaimed;
    }

    /// <summary>
    /// True when <paramref name="worker"/> runs on this host and its process is gone: its liveness lock file in
    /// <paramref name="livenessFolder"/> can be locked (probed and let go at once), or it has none and no process has
    /// its id. False for workers of other hosts and of this process (only heartbeats and takeovers judge those).
    /// </summary>
    internal static bool IsGoneFromThisHost(WorkerRecord worker, string? livenessFolder)
    {
        if (!IsThisHost(worker.Host) || worker.ProcessId == WorkerIdentity.ProcessId) return false;
        string? lockPath = livenessFolder is null ? null : WorkerLivenessLock.PathFor(livenessFolder, worker.Id);
        if (lockPath is not null && File.Exists(lockPath))
        {
            using FileStream? probe = WorkerLivenessLock.TryOpenExclusive(lockPath, create: false, out bool held);
            if (probe is not null) return true;
            if (held) return false;
        }
        return !ProcessExists(worker.ProcessId);
    }

    private static bool IsThisHost(string host) => string.Equals(host, WorkerIdentity.HostName, StringComparison.OrdinalIgnoreCase);

    /// <summary>True when a process with this id runs (or cannot be inspected); false when none does.</summary>
    internal static bool ProcessExists(int processId)
    {
        if (processId <= 0) return true;
        if (processId == WorkerIdentity.ProcessId) return true;
        try
        {
            using Process process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (Exception e) when (e is InvalidOperationException || e is System.ComponentModel.Win32Exception || e is NotSupportedException || e is UnauthorizedAccessException)
        {
            return true;
        }
    }
}
