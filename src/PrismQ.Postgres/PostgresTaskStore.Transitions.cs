using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using PrismQ.Internal;
using PrismQ.Tasks;

namespace PrismQ.Postgres;

/// <summary>
/// The writes of leased tasks' transitions, as the engine decided them (<see cref="LeaseTransition"/>): each is one
/// conditional UPDATE on the lease it expects, a batch is one transaction. Nothing here decides a state.
/// </summary>
public sealed partial class PostgresTaskStore
{
    /// <summary>The most leases one <see cref="GetLeasesAsync"/> call returns.</summary>
    internal const int MaxLeasesPerRead = 1000;

    /// <summary>
    /// A task put back in its queue: claimable after the delay (or keeping its not-before, and so its FIFO place), with a
    /// fresh Weighted Random key, without the attempt's worker and progress.
    /// </summary>
    private static readonly string RequeueSql =
        "UPDATE {s}.tasks t SET status = " + PostgresTaskRows.Queued + ", attempts = attempts - @uncount, " +
        "not_before = CASE WHEN @delay::bigint IS NULL THEN not_before ELSE @now + @delay END, finished_at = NULL, " +
        "wr_key = " + PostgresClaimSql.EnteringKey("t.queue", "@exp") + ", lease_owner = NULL, progress_percent = NULL, progress_message = NULL, " +
        "error_message = @message, error_type = @type, error_detail = @detail, lease_token = NULL, lease_expires_at = NULL, updated_at = @now " +
        "WHERE " + PostgresTaskRows.LeaseHeld + " AND (NOT cancel_requested OR NOT @cancel_wins) AND (NOT @if_expired OR lease_expires_at < @now) " +
        "RETURNING attempts, not_before, queue, " + NotifyQueue;

    /// <summary>A task reaching a final state (a success is this statement with a result and no error).</summary>
    private const string FinishSql =
        "UPDATE {s}.tasks SET status = @status, attempts = attempts - @uncount, result = @result, " +
        "error_message = @message, error_type = @type, error_detail = @detail, " +
        "finished_at = @now, updated_at = @now, lease_token = NULL, lease_expires_at = NULL " +
        "WHERE " + PostgresTaskRows.LeaseHeld + " AND (NOT cancel_requested OR NOT @cancel_wins) AND (NOT @if_expired OR lease_expires_at < @now) " +
        "RETURNING attempts, not_before";

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
        // One transition that writes only its task's row runs on its own (the second statement of a won cancel runs
        // only when the first changed nothing); anything more (a batch, an error, output or takeover beside it) is one transaction.
        bool oneStatement = transitions.Count == 1 && transitions[0] is { Error: null, Output: null, TakenOverFrom: null };
        return await RunAsync("transitions", (transitions, draws, now: Now()), static async (u, w) =>
        {
            var written = new TransitionResult[w.transitions.Count];
            for (int i = 0; i < w.transitions.Count; i++) written[i] = await ApplyAsync(u, w.transitions[i], w.draws[i], w.now).ConfigureAwait(false);
            return (IReadOnlyList<TransitionResult>)written;
        }, cancellationToken, transaction: !oneStatement).ConfigureAwait(false);
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
        // One statement for the whole list; each lease then gets its own result, in order.
        Dictionary<(long, Guid), bool> held = await RunAsync("extend-many", (ids, tokens, expires: now + ms, now), static async (u, w) =>
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

    private static async Task<TransitionResult> ApplyAsync(Unit u, LeaseTransition t, double draw, long now)
    {
        TransitionResult result = await WriteAsync(u, t, t.Status, t.CancelWins, draw, now).ConfigureAwait(false);
        // A pending cancel won over the transition (the statement's condition kept it out): the task ends cancelled.
        if (result.Outcome == LeaseOutcome.LeaseLost && t.CancelWins) result = await WriteAsync(u, t, TaskStatus.Cancelled, cancelWins: false, draw, now).ConfigureAwait(false);
        if (result.Outcome == LeaseOutcome.Applied && t.Output is { Count: > 0 } output) await InsertOutputAsync(u, t.Id, output).ConfigureAwait(false);
        if (result.Outcome == LeaseOutcome.Applied && t.TakenOverFrom is { } owner)
        {
            await using NpgsqlCommand mark = u.Command("UPDATE {s}.workers SET taken_over_at = @now WHERE id = @owner");
            Int64(mark, "now", now);
            Text(mark, "owner", owner);
            await mark.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
        }
        return result;
    }

    private static async Task<TransitionResult> WriteAsync(Unit u, LeaseTransition t, TaskStatus status, bool cancelWins, double draw, long now)
    {
        bool requeue = status == TaskStatus.Queued;
        int attempts;
        long notBefore;
        await using (NpgsqlCommand command = u.Command(requeue ? RequeueSql : FinishSql))
        {
            Int32(command, "uncount", t.CountsAttempt ? 0 : 1);
            Int64(command, "now", now);
            Text(command, "message", t.Error?.Message);
            Text(command, "type", t.Error?.Type);
            Text(command, "detail", t.Error?.Detail);
            Int64(command, "id", t.Id);
            Uuid(command, "token", t.Token);
            Bool(command, "cancel_wins", cancelWins);
            Bool(command, "if_expired", t.OnlyIfExpired);
            if (requeue)
            {
                Int64(command, "delay", t.RetryDelay is { } delay ? UnixTime.SpanMs(delay) : null);
                Double(command, "exp", draw);
                Text(command, "channel", u.Store.Channel);
            }
            else
            {
                command.Parameters.Add(new NpgsqlParameter("status", NpgsqlTypes.NpgsqlDbType.Smallint) { Value = (short)status });
                Text(command, "result", status == TaskStatus.Succeeded ? t.Result : null);
            }
            await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            if (!await r.ReadAsync(u.Token).ConfigureAwait(false)) return TransitionResult.Lost;
            attempts = r.GetInt32(0);
            notBefore = r.GetInt64(1);
        }
        if (t.Error is not null) await InsertErrorAsync(u, t.Id, t.CountsAttempt ? attempts : attempts + 1, now, t.Error).ConfigureAwait(false);
        return new TransitionResult(LeaseOutcome.Applied, status, requeue ? UnixTime.FromMs(notBefore) : null);
    }
}
