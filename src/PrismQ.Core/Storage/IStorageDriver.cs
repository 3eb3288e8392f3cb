using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tracing;

namespace PrismQ.Storage;

/// <summary>
/// What a backend offers a worker beside its <see cref="ITaskStore"/>, declared by the store itself (it implements this
/// interface): where it is, its tracer, its new-work notifier, how its workers prove they are alive, leader election
/// for maintenance, its dead-worker sweep and its own upkeep. The worker names no backend: it asks
/// <c>StorageDrivers.Of</c>, which gives a store that declares nothing (a decorator, a user's own store) the
/// polling fallback.
/// </summary>
/// <remarks>
/// The shape follows River's driver (<c>riverdriver</c>) and Oban's engine/notifier/peer split. Implementations:
/// the SQLite store (<c>Storage/Sqlite</c>) and the PostgreSQL store (the <c>PrismQ.Postgres</c> assembly).
/// </remarks>
internal interface IStorageDriver
{
    /// <summary>The backend's name for messages: <c>SQLite</c>, <c>PostgreSQL</c>.</summary>
    string BackendName { get; }

    /// <summary>Where the store is, safe to show: a full file path, or a URI without its password.</summary>
    string Location { get; }

    /// <summary>Where this store, and the workers that run on it, send trace events (the no-op emitter when none).</summary>
    ITraceEmitter Tracer { get; }

    /// <summary>
    /// Calls <paramref name="wake"/> whenever new work may be ready (an enqueue, retry or release committed by anyone,
    /// in any process), until the result is disposed. Null when the backend has no notifier: the worker then polls.
    /// <paramref name="wake"/> must be cheap and must not throw; it may be called on any thread.
    /// </summary>
    IDisposable? SubscribeToNewWork(Action wake);

    /// <summary>
    /// Proves the worker alive to other workers' sweeps for as long as the result is not disposed (SQLite: a lock file
    /// the operating system frees when the process dies). Null when the backend judges liveness by heartbeat age only.
    /// Throws when another live worker holds the id.
    /// </summary>
    IDisposable? HoldLiveness(string workerId, TimeProvider clock);

    /// <summary>
    /// Takes leadership of the store's maintenance for <paramref name="workerId"/>, or keeps it, for
    /// <paramref name="term"/> from now; true while this worker leads. Only the leader rescues expired leases, sweeps
    /// dead workers and runs <see cref="RunUpkeep"/>. A leader that stops renewing loses the lead after its term.
    /// </summary>
    Task<bool> TryLeadAsync(string workerId, TimeSpan term, CancellationToken cancellationToken);

    /// <summary>Gives up leadership if <paramref name="workerId"/> holds it (at the worker's stop), so another takes over at once.</summary>
    Task ResignAsync(string workerId, CancellationToken cancellationToken);

    /// <summary>
    /// Finds registered workers that are dead (by the backend's rule: SQLite, a process gone from this host; PostgreSQL,
    /// a heartbeat older than <paramref name="deadAfter"/>), takes their leases back by
    /// <see cref="LeaseOperations.ReclaimWorkerAsync"/> and removes their registration. Never judges
    /// <paramref name="ownId"/>. Returns one reclaim per dead worker.
    /// </summary>
    Task<IReadOnlyList<(string WorkerId, ReclaimResult Result)>> SweepDeadWorkersAsync(string ownId, TimeSpan deadAfter, CancellationToken cancellationToken);

    /// <summary>
    /// True when <paramref name="worker"/> is known to be gone by more than its heartbeat (SQLite: a worker of this
    /// host whose process is gone), so that the registry shows it dead at once. False when the backend cannot tell.
    /// </summary>
    bool IsGone(WorkerRecord worker);

    /// <summary>The backend's own upkeep, run by the leader now and then (SQLite: keeps the WAL in bounds). Must not throw.</summary>
    void RunUpkeep();
}
