using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Internal;
using PrismQ.Storage;
using PrismQ.Storage.Sqlite;
using PrismQ.Tracing;
using PrismQ.Workers;

namespace PrismQ.Storage.Sqlite;

/// <summary>The SQLite store as a storage driver: the services a worker needs beside the task store, on one host.</summary>
public sealed partial class SqliteTaskStore : IStorageDriver, IReadyCounter
{
    private readonly Dictionary<string, FileStream> _leaderLocks = new(StringComparer.Ordinal);
    private DatabaseMaintenance? _upkeep;

    /// <summary>The folder of the workers' liveness lock files: <c>&lt;database&gt;-workers</c>.</summary>
    internal string LivenessFolder => DatabasePath + "-workers";

    /// <summary>The leader's lock file, in the liveness folder under a name no worker id maps to.</summary>
    internal string LeaderLockPath => Path.Combine(LivenessFolder, "~leader.lock");

    string IStorageDriver.BackendName => "SQLite";

    string IStorageDriver.Location => DatabasePath;

    ITraceEmitter IStorageDriver.Tracer => _tracer;

    /// <summary>
    /// This process's enqueues on the file (<see cref="EnqueueSignal"/>, at once) and every other commit to it, by any
    /// process (<see cref="DatabaseChangeWatcher"/>, within about 20 ms).
    /// </summary>
    IDisposable? IStorageDriver.SubscribeToNewWork(Action wake) =>
        new Subscriptions(EnqueueSignal.Subscribe(DatabasePath, wake), DatabaseChangeWatcher.Subscribe(DatabasePath, wake));

    IDisposable? IStorageDriver.HoldLiveness(string workerId, TimeProvider clock) =>
        WorkerLivenessLock.Acquire(LivenessFolder, workerId, TimeSpan.FromSeconds(5), clock);

    /// <summary>
    /// The leader holds <see cref="LeaderLockPath"/> open exclusively: the operating system frees it when the process
    /// dies, so the term does not matter here. The file is never deleted (an unlinked lock file could let two lead).
    /// </summary>
    Task<bool> IStorageDriver.TryLeadAsync(string workerId, TimeSpan term, CancellationToken cancellationToken)
    {
        lock (_leaderLocks)
        {
            if (_leaderLocks.ContainsKey(workerId)) return Task.FromResult(true);
            try
            {
                OwnerOnlyFiles.CreateDirectory(LivenessFolder);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException)
            {
                return Task.FromResult(true); // no folder for locks: every worker maintains, as without election
            }
            FileStream? stream = WorkerLivenessLock.TryOpenExclusive(LeaderLockPath, create: true, out bool held);
            if (stream is not null) _leaderLocks[workerId] = stream;
            return Task.FromResult(stream is not null || !held);
        }
    }

    Task IStorageDriver.ResignAsync(string workerId, CancellationToken cancellationToken)
    {
        lock (_leaderLocks)
        {
            if (_leaderLocks.TryGetValue(workerId, out FileStream? stream))
            {
                _leaderLocks.Remove(workerId);
                stream.Dispose();
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>Workers of this host whose process is gone (their lock file is free, or no process has their id).</summary>
    Task<IReadOnlyList<(string WorkerId, ReclaimResult Result)>> IStorageDriver.SweepDeadWorkersAsync(string ownId, TimeSpan deadAfter, CancellationToken cancellationToken) =>
        new DeadWorkerSweeper(this, ownId, LivenessFolder).SweepAsync(cancellationToken);

    bool IStorageDriver.IsGone(WorkerRecord worker) => DeadWorkerSweeper.IsGoneFromThisHost(worker, LivenessFolder);

    /// <summary>Keeps the WAL in bounds (<see cref="DatabaseMaintenance.ManageWal"/>), on a connection of its own.</summary>
    void IStorageDriver.RunUpkeep()
    {
        try
        {
            lock (_leaderLocks)
            {
                if (_disposed) return;
                _upkeep ??= DatabaseMaintenance.Open(DatabasePath);
                _upkeep.ManageWal();
            }
        }
        catch (Exception)
        {
            // A busy database: the next round tries again.
        }
    }

    /// <summary>Closes what the driver holds (at the store's disposal).</summary>
    private void DisposeDriver()
    {
        lock (_leaderLocks)
        {
            foreach (FileStream stream in _leaderLocks.Values) stream.Dispose();
            _leaderLocks.Clear();
            _upkeep?.Dispose();
            _upkeep = null;
        }
    }

    private sealed class Subscriptions : IDisposable
    {
        private readonly IDisposable _first;
        private readonly IDisposable _second;

        public Subscriptions(IDisposable first, IDisposable second)
        {
            _first = first;
            _second = second;
        }

        public void Dispose()
        {
            _first.Dispose();
            _second.Dispose();
        }
    }
}
