using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using PrismQ.Internal;
using PrismQ.Tasks;

namespace PrismQ.Postgres;

/// <summary>
/// The store's side of the worker's driver seam (<see cref="Storage.IStorageDriver"/>): the new-work notifier
/// (LISTEN/NOTIFY), leader election by a row with a term, the dead-worker sweep by heartbeat age.
/// </summary>
public sealed partial class PostgresTaskStore
{
    /// <summary>The name of the maintenance leader's row.</summary>
    private const string LeaderName = "maintenance";

    /// <summary>
    /// Takes the lead, or keeps it, for a term from now (by the injected clock): one upsert that changes the row only
    /// when its term has run out or this worker already holds it. No session state, so safe behind PgBouncer.
    /// </summary>
    private const string TryLeadSql =
        "INSERT INTO {s}.leader AS l (name, worker_id, expires_at) VALUES (@name, @worker, @expires) " +
        "ON CONFLICT (name) DO UPDATE SET worker_id = excluded.worker_id, expires_at = excluded.expires_at " +
        "WHERE l.expires_at < @now OR l.worker_id = excluded.worker_id RETURNING worker_id";

    /// <summary>
    /// Calls <paramref name="wake"/> on every NOTIFY of this schema's channel (an enqueue, retry, release or resume
    /// committed by any process), until the result is disposed. One dedicated connection per store listens, reconnecting
    /// with backoff when it drops (workers poll meanwhile).
    /// </summary>
    IDisposable? Storage.IStorageDriver.SubscribeToNewWork(Action wake) => _notifier.Subscribe(wake);

    /// <summary>Null: PostgreSQL judges a worker's liveness by the age of its heartbeat.</summary>
    IDisposable? Storage.IStorageDriver.HoldLiveness(string workerId, TimeProvider clock) => null;

    /// <inheritdoc />
    Task<bool> Storage.IStorageDriver.TryLeadAsync(string workerId, TimeSpan term, CancellationToken cancellationToken) => TryLeadAsync(workerId, term, cancellationToken);

    /// <inheritdoc />
    Task Storage.IStorageDriver.ResignAsync(string workerId, CancellationToken cancellationToken) => ResignAsync(workerId, cancellationToken);

    /// <inheritdoc />
    Task<IReadOnlyList<(string WorkerId, ReclaimResult Result)>> Storage.IStorageDriver.SweepDeadWorkersAsync(string ownId, TimeSpan deadAfter, CancellationToken cancellationToken) =>
        SweepDeadWorkersAsync(ownId, deadAfter, cancellationToken);

    /// <summary>False: PostgreSQL cannot tell a worker is gone by more than its heartbeat (it may run on any host).</summary>
    bool Storage.IStorageDriver.IsGone(WorkerRecord worker) => false;

    /// <summary>Nothing to do: autovacuum keeps the tasks table and its indexes in bounds. Never throws.</summary>
    void Storage.IStorageDriver.RunUpkeep()
    {
    }

    internal async Task<bool> TryLeadAsync(string workerId, TimeSpan term, CancellationToken cancellationToken)
    {
        TaskValidation.CheckWorkerId(workerId, nameof(workerId));
        long now = Now();
        return await RunAsync("lead", (workerId, now, expires: now + UnixTime.SpanMs(term)), static async (u, w) =>
        {
            await using NpgsqlCommand command = u.Command(TryLeadSql);
            Text(command, "name", LeaderName);
            Text(command, "worker", w.workerId);
            Int64(command, "expires", w.expires);
            Int64(command, "now", w.now);
            return await command.ExecuteScalarAsync(u.Token).ConfigureAwait(false) is string;
        }, cancellationToken, transaction: false).ConfigureAwait(false);
    }

    internal async Task ResignAsync(string workerId, CancellationToken cancellationToken)
    {
        TaskValidation.CheckWorkerId(workerId, nameof(workerId));
        await RunAsync("resign", workerId, static async (u, id) =>
        {
            await using NpgsqlCommand command = u.Command("DELETE FROM {s}.leader WHERE name = @name AND worker_id = @worker");
            Text(command, "name", LeaderName);
            Text(command, "worker", id);
            return await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
        }, cancellationToken, transaction: false).ConfigureAwait(false);
    }

    /// <summary>
    /// Workers other than <paramref name="ownId"/> whose last heartbeat is older than <paramref name="deadAfter"/> (by the
    /// injected clock) are dead: their leases are taken back (<see cref="LeaseOperations.ReclaimWorkerAsync"/>), then
    /// their registration removed.
    /// </summary>
    internal async Task<IReadOnlyList<(string WorkerId, ReclaimResult Result)>> SweepDeadWorkersAsync(string ownId, TimeSpan deadAfter, CancellationToken cancellationToken)
    {
        long cutoff = Now() - UnixTime.SpanMs(deadAfter);
        List<string> dead = await RunAsync("find-dead-workers", (ownId, cutoff), static async (u, w) =>
        {
            await using NpgsqlCommand command = u.Command("SELECT id FROM {s}.workers WHERE id <> @own AND last_heartbeat_at < @cutoff ORDER BY id");
            Text(command, "own", w.ownId);
            Int64(command, "cutoff", w.cutoff);
            var ids = new List<string>();
            await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            while (await r.ReadAsync(u.Token).ConfigureAwait(false)) ids.Add(r.GetString(0));
            return ids;
        }, cancellationToken, transaction: false).ConfigureAwait(false);

        var swept = new List<(string, ReclaimResult)>(dead.Count);
        foreach (string id in dead)
        {
            ReclaimResult result = await this.ReclaimWorkerAsync(id, cancellationToken).ConfigureAwait(false);
            // Removed only while still silent: a worker that heartbeats again in between keeps its registration.
            await RunAsync("unregister-dead-worker", (id, cutoff), static async (u, w) =>
            {
                await using NpgsqlCommand command = u.Command("DELETE FROM {s}.workers WHERE id = @id AND last_heartbeat_at < @cutoff");
                Text(command, "id", w.id);
                Int64(command, "cutoff", w.cutoff);
                return await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
            }, cancellationToken, transaction: false).ConfigureAwait(false);
            swept.Add((id, result));
        }
        return swept;
    }
}
