using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using PrismQ.Internal;
using PrismQ.Tasks;

namespace PrismQ.Postgres;

/// <summary>
/// The writes of leased tasks' transitions, as the engine decided them (<see cref="LeaseTransition"/>): a batch is one
/// statement, each transition conditional on the lease it expects (see <see cref="WriteBatchAsync"/>); lease extension,
/// progress and the lease listing. Nothing here decides a state.
/// </summary>
public sealed partial class PostgresTaskStore
{
    /// <summary>The most leases one <see cref="GetLeasesAsync"/> call returns.</summary>
    internal const int MaxLeasesPerRead = 1000;

    /// <summary>The running tasks (through the partial index on running tasks).</summary>
    private const string LeaseColumnsSql =
        "SELECT id, lease_token, lease_owner, attempts, max_attempts, cancel_requested, lease_expires_at FROM {s}.tasks WHERE status = " + PostgresTaskRows.Running + " ";

    /// <inheritdoc />
    public async Task<IReadOnlyList<TransitionResult>> ApplyTransitionsAsync(IReadOnlyList<LeaseTransition> transitions, CancellationToken cancellationToken = default)
    {
        if (transitions is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "transitions is null; it must be a list of LeaseTransition.", nameof(transitions));
        if (transitions.Count > TaskLimits.MaxEnqueueBatchSize)
            throw new PrismQException(PrismQErrorCode.InvalidBatchSize,
                $"transitions holds {transitions.Count} items; at most {TaskLimits.MaxEnqueueBatchSize} may be written in one call.", nameof(transitions), transitions.Count);
        for (int i = 0; i < transitions.Count; i++)
        {
            LeaseTransition? t = transitions[i];
            if (t is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, $"transitions[{i}] is null.", nameof(transitions), i);
            TaskValidation.CheckResult(t.Result, _options);
            if (t.Error is not null) TaskValidation.CheckError(t.Error);
            if (t.Output is not null) TaskValidation.CheckOutput(t.Output);
        }
        if (transitions.Count == 0) return Array.Empty<TransitionResult>();
        var draws = new double[transitions.Count];
        for (int i = 0; i < draws.Length; i++) draws[i] = Exponential();
        // One statement per run of transitions with distinct task ids (almost always the whole list); a task named again
        // starts the next run, so it sees its earlier transition as the old per-item writes did. More than one run is one transaction.
        var runs = new List<List<int>> { new List<int>() };
        var seen = new HashSet<long>();
        for (int i = 0; i < transitions.Count; i++)
        {
            if (!seen.Add(transitions[i].Id))
            {
                runs.Add(new List<int>());
                seen.Clear();
                seen.Add(transitions[i].Id);
            }
            runs[^1].Add(i);
        }
        return await RunAsync("transitions", (transitions, runs, draws, now: Now()), static async (u, w) =>
        {
            var written = new TransitionResult[w.transitions.Count];
            foreach (List<int> run in w.runs) await WriteBatchAsync(u, w.transitions, run, w.draws, w.now, written).ConfigureAwait(false);
            return (IReadOnlyList<TransitionResult>)written;
        }, cancellationToken, transaction: runs.Count > 1).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ExtendResult>> ExtendLeasesAsync(IReadOnlyList<TaskLease> leases, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        if (leases is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "leases is null; it must be a list of TaskLease.", nameof(leases));
        TaskValidation.CheckLease(duration, nameof(duration));
        if (leases.Count == 0) return Array.Empty<ExtendResult>();
        long ms = UnixTime.SpanMs(duration);
        var ids = new long[leases.Count];
        var tokens = new Guid[leases.Count];
        for (int i = 0; i < leases.Count; i++)
        {
            ids[i] = leases[i].Id;
            tokens[i] = leases[i].Token.Value;
        }
        long now = Now();
        // One statement for the whole list, its rows taken in id order (as a batch of transitions takes them, so the two
        // do not deadlock); each lease then gets its own result, in order.
        long[] byId = (long[])ids.Clone();
        Guid[] tokensById = (Guid[])tokens.Clone();
        Array.Sort(byId, tokensById);
        Dictionary<(long, Guid), bool> held = await RunAsync("extend-many", (ids: byId, tokens: tokensById, expires: now + ms, now), static async (u, w) =>
        {
            await using NpgsqlCommand command = u.Command(
                "UPDATE {s}.tasks t SET lease_expires_at = @expires, updated_at = @now FROM unnest(@ids, @tokens) AS l(id, token) " +
                "WHERE t.id = l.id AND t.status = " + PostgresTaskRows.Running + " AND t.lease_token = l.token RETURNING t.id, t.lease_token, t.cancel_requested");
            Int64(command, "expires", w.expires);
            Int64(command, "now", w.now);
            Int64Array(command, "ids", w.ids);
            command.Parameters.Add(new NpgsqlParameter("tokens", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid) { Value = w.tokens });
            var applied = new Dictionary<(long, Guid), bool>();
            await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            while (await r.ReadAsync(u.Token).ConfigureAwait(false)) applied[(r.GetInt64(0), r.GetGuid(1))] = r.GetBoolean(2);
            return applied;
        }, cancellationToken, transaction: false).ConfigureAwait(false);
        var results = new ExtendResult[leases.Count];
        DateTimeOffset expiresAt = UnixTime.FromMs(now + ms);
        for (int i = 0; i < results.Length; i++)
        {
            results[i] = held.TryGetValue((ids[i], tokens[i]), out bool cancelRequested)
                ? new ExtendResult(LeaseOutcome.Applied, expiresAt, cancelRequested)
                : new ExtendResult(LeaseOutcome.LeaseLost, null, false);
        }
        return results;
    }

    /// <inheritdoc />
    public async Task<ExtendResult> ExtendLeaseAsync(long id, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckLease(duration, "duration");
        long ms = UnixTime.SpanMs(duration);
        return await RunAsync("extend", (id, token, ms, now: Now()), static (u, w) => ExtendAsync(u, w.id, w.token, w.now, w.ms), cancellationToken, transaction: false).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<LeaseOutcome> ReportProgressAsync(long id, LeaseToken token, int? percent, string? message, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckProgress(percent, message);
        return await RunAsync("progress", (id, token, percent, message, now: Now()), static async (u, w) =>
        {
            await using NpgsqlCommand command = u.Command(
                "UPDATE {s}.tasks SET progress_percent = COALESCE(@percent, progress_percent), progress_message = COALESCE(@message, progress_message), " +
                "updated_at = @now WHERE " + PostgresTaskRows.LeaseHeld);
            Int32(command, "percent", w.percent);
            Text(command, "message", w.message);
            Int64(command, "now", w.now);
            Int64(command, "id", w.id);
            Uuid(command, "token", w.token);
            return await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false) == 1 ? LeaseOutcome.Applied : LeaseOutcome.LeaseLost;
        }, cancellationToken, transaction: false).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<HeldLease>> GetLeasesAsync(string? workerId = null, bool expiredOnly = false, CancellationToken cancellationToken = default)
    {
        if (workerId is not null) TaskValidation.CheckWorkerId(workerId, nameof(workerId));
        string limit = " LIMIT " + MaxLeasesPerRead.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return await RunAsync("leases", (workerId, expiredOnly, now: Now()), async (u, q) =>
        {
            string sql = q.workerId is not null ? LeaseColumnsSql + "AND lease_owner = @owner" + limit
                : q.expiredOnly ? LeaseColumnsSql + "AND lease_expires_at < @now" + limit
                : LeaseColumnsSql + limit;
            await using NpgsqlCommand command = u.Command(sql);
            if (q.workerId is not null) Text(command, "owner", q.workerId);
            else if (q.expiredOnly) Int64(command, "now", q.now);
            var list = new List<HeldLease>();
            await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            while (await r.ReadAsync(u.Token).ConfigureAwait(false))
            {
                list.Add(new HeldLease(r.GetInt64(0), new LeaseToken(r.GetGuid(1)), r.IsDBNull(2) ? null : r.GetString(2),
                    r.GetInt32(3), r.GetInt32(4), r.GetBoolean(5), UnixTime.FromMs(r.GetInt64(6))));
            }
            return (IReadOnlyList<HeldLease>)list;
        }, cancellationToken, transaction: false).ConfigureAwait(false);
    }

    private static async Task<ExtendResult> ExtendAsync(Unit u, long id, LeaseToken token, long now, long ms)
    {
        await using NpgsqlCommand command = u.Command(
            "UPDATE {s}.tasks SET lease_expires_at = @expires, updated_at = @now WHERE " + PostgresTaskRows.LeaseHeld + " RETURNING cancel_requested");
        long expires = now + ms;
        Int64(command, "expires", expires);
        Int64(command, "now", now);
        Int64(command, "id", id);
        Uuid(command, "token", token);
        object? cancel = await command.ExecuteScalarAsync(u.Token).ConfigureAwait(false);
        if (cancel is not bool requested) return new ExtendResult(LeaseOutcome.LeaseLost, null, false);
        return new ExtendResult(LeaseOutcome.Applied, UnixTime.FromMs(expires), requested);
    }
}
