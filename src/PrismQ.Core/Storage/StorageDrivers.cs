using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tracing;
using PrismQ.Workers;

namespace PrismQ.Storage;

/// <summary>Finds the <see cref="IStorageDriver"/> of a store: its own, or the polling fallback.</summary>
internal static class StorageDrivers
{
    /// <summary>
    /// The driver <paramref name="store"/> declares, or <see cref="Fallback"/> when it declares none. With
    /// <paramref name="livenessDirectory"/> (<see cref="WorkerOptions.LivenessDirectory"/>), the workers' liveness and
    /// the dead-worker sweep use lock files in that folder instead of the driver's own rule.
    /// </summary>
    public static IStorageDriver Of(ITaskStore store, string? livenessDirectory = null)
    {
        IStorageDriver driver = store as IStorageDriver ?? new Fallback(store);
        return livenessDirectory is null ? driver : new LockFileLiveness(driver, store, livenessDirectory);
    }

    /// <summary>
    /// A store that declares no driver (a decorator, a user's own store): no notifier (workers poll), no liveness beyond
    /// heartbeats, every worker leads (each rescues expired leases), no upkeep, no tracer.
    /// </summary>
    internal sealed class Fallback : IStorageDriver
    {
        public Fallback(ITaskStore store) => Location = store.GetType().Name;

        public string BackendName => "custom";

        public string Location { get; }

        public ITraceEmitter Tracer => NullTraceEmitter.Instance;

        public IDisposable? SubscribeToNewWork(Action wake) => null;

        public IDisposable? HoldLiveness(string workerId, TimeProvider clock) => null;

        public Task<bool> TryLeadAsync(string workerId, TimeSpan term, CancellationToken cancellationToken) => Task.FromResult(true);

        public Task ResignAsync(string workerId, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IReadOnlyList<(string WorkerId, ReclaimResult Result)>> SweepDeadWorkersAsync(string ownId, TimeSpan deadAfter, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<(string, ReclaimResult)>>(Array.Empty<(string, ReclaimResult)>());

        public bool IsGone(WorkerRecord worker) => false;

        public void RunUpkeep()
        {
        }
    }

    /// <summary>A driver whose workers prove liveness by lock files in a given folder (this host only).</summary>
    private sealed class LockFileLiveness : IStorageDriver
    {
        private readonly IStorageDriver _inner;
        private readonly ITaskStore _store;
        private readonly string _folder;

        public LockFileLiveness(IStorageDriver inner, ITaskStore store, string folder)
        {
            _inner = inner;
            _store = store;
            _folder = folder;
        }

        public string BackendName => _inner.BackendName;

        public string Location => _inner.Location;

        public ITraceEmitter Tracer => _inner.Tracer;

        public IDisposable? SubscribeToNewWork(Action wake) => _inner.SubscribeToNewWork(wake);

        public IDisposable? HoldLiveness(string workerId, TimeProvider clock) => WorkerLivenessLock.Acquire(_folder, workerId, TimeSpan.FromSeconds(5), clock);

        public Task<bool> TryLeadAsync(string workerId, TimeSpan term, CancellationToken cancellationToken) => _inner.TryLeadAsync(workerId, term, cancellationToken);

        public Task ResignAsync(string workerId, CancellationToken cancellationToken) => _inner.ResignAsync(workerId, cancellationToken);

        public Task<IReadOnlyList<(string WorkerId, ReclaimResult Result)>> SweepDeadWorkersAsync(string ownId, TimeSpan deadAfter, CancellationToken cancellationToken) =>
            new DeadWorkerSweeper(_store, ownId, _folder).SweepAsync(cancellationToken);

        public bool IsGone(WorkerRecord worker) => DeadWorkerSweeper.IsGoneFromThisHost(worker, _folder);

        public void RunUpkeep() => _inner.RunUpkeep();
    }
}
