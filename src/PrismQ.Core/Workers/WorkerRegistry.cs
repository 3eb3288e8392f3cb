using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ;

/// <summary>Lists the workers registered in a queue database, each with its computed <see cref="WorkerState"/>.</summary>
public static class WorkerRegistry
{
    /// <summary>
    /// A worker is shown <see cref="WorkerState.Dead"/> when its last heartbeat is older than this: 30 s. Workers
    /// refresh their registration at least every 5 s (see docs/operations.md).
    /// </summary>
    public static readonly TimeSpan DefaultStaleAfter = TimeSpan.FromSeconds(30);

    /// <summary>The longest interval between two registry heartbeats of a running worker: 5 s.</summary>
    public static readonly TimeSpan MaxRegistryHeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Every registered worker, oldest start first, with its state. A worker is <see cref="WorkerState.Dead"/> when its
    /// last heartbeat is older than <paramref name="staleAfter"/>; when another worker took over one of its leases after
    /// its last heartbeat (<see cref="WorkerRecord.TakenOverAt"/>); or, for a worker of this host, as soon as its
    /// process is gone (its liveness lock file <c>&lt;database&gt;-workers/&lt;id&gt;.lock</c> is free, or it has none and
    /// no process has its id): a killed worker shows dead at once, not after the heartbeat threshold.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="staleAfter">Heartbeat age beyond which a worker is dead. Null: <see cref="DefaultStaleAfter"/>.</param>
    /// <param name="timeProvider">The clock. Null: the system clock.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public static async Task<IReadOnlyList<WorkerInfo>> ListAsync(ITaskStore store, TimeSpan? staleAfter = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        if (store is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "The store is null; it must be an open store.", nameof(store));
        TimeSpan threshold = staleAfter ?? DefaultStaleAfter;
        if (threshold <= TimeSpan.Zero)
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"staleAfter is '{threshold}'; it must be positive.", nameof(staleAfter), threshold);
        DateTimeOffset now = (timeProvider ?? TimeProvider.System).GetUtcNow();
        IReadOnlyList<WorkerRecord> records = await store.ListWorkersAsync(cancellationToken).ConfigureAwait(false);
        Storage.IStorageDriver driver = Storage.StorageDrivers.Of(store);
        var list = new List<WorkerInfo>(records.Count);
        foreach (WorkerRecord record in records)
        {
            TimeSpan age = now - record.LastHeartbeatAt;
            if (age < TimeSpan.Zero) age = TimeSpan.Zero;
            WorkerState state = StateOf(age, threshold);
            if (state == WorkerState.Alive && record.TakenOverAt is { } takenOver && takenOver >= record.LastHeartbeatAt) state = WorkerState.Dead;
            if (state == WorkerState.Alive && driver.IsGone(record)) state = WorkerState.Dead;
            list.Add(new WorkerInfo(record, state, age));
        }
        list.Sort((a, b) => a.Record.StartedAt.CompareTo(b.Record.StartedAt));
        return list;
    }

    /// <summary>The state of a worker whose last heartbeat is <paramref name="heartbeatAge"/> old.</summary>
    public static WorkerState StateOf(TimeSpan heartbeatAge, TimeSpan staleAfter) => heartbeatAge > staleAfter ? WorkerState.Dead : WorkerState.Alive;
}
