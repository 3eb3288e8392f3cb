using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Scheduling;
using PrismQ.Storage.Sqlite;
using PrismQ.Tasks;

namespace PrismQ.Storage.Sqlite;

/// <summary>
/// The writes of leased tasks' transitions, as the engine decided them (<see cref="LeaseTransition"/>): each is one
/// conditional UPDATE on the lease it expects, a batch is one transaction. Nothing here decides a state.
/// </summary>
public sealed partial class SqliteTaskStore
{
    /// <summary>The most leases one <see cref="GetLeasesAsync"/> call returns.</summary>
    internal const int MaxLeasesPerRead = 1000;

    /// <summary>
    /// A task put back in its queue: claimable after the delay (or keeping its not-before, and so its FIFO place), with a
    /// fresh Weighted Random key, without the attempt's worker and progress.
    /// </summary>
    internal const string RequeueSql =
        "UPDATE tasks SET status = " + SqliteStatus.Queued + ", attempts = attempts - $uncount, " +
        "not_before = CASE WHEN $delay IS NULL THEN not_before ELSE $now + $delay END, finished_at = NULL, " +
        "wr_key = " + RequeueKeySql + ", pq = " + SqliteClaimSql.EnteringPq + ", lease_owner = NULL, progress_percent = NULL, progress_message = NULL, " +
        "error_message = $message, error_type = $type, error_detail = $detail, lease_token = NULL, lease_expires_at = NULL, updated_at = $now " +
        "WHERE " + SqliteStatus.LeaseHeld + " AND (cancel_requested = 0 OR $cancel_wins = 0) AND ($if_expired = 0 OR lease_expires_at < $now) RETURNING attempts, not_before";

    /// <summary>A task reaching a final state (the complete of a success is this statement with a result and no error).</summary>
    internal const string FinishSql =
        "UPDATE tasks SET status = $status, attempts = attempts - $uncount, result = $result, " +
        "error_message = $message, error_type = $type, error_detail = $detail, " +
        "finished_at = $now, updated_at = $now, lease_token = NULL, lease_expires_at = NULL " +
        "WHERE " + SqliteStatus.LeaseHeld + " AND (cancel_requested = 0 OR $cancel_wins = 0) AND ($if_expired = 0 OR lease_expires_at < $now) RETURNING attempts";

    /// <summary>The running tasks (through the partial index on <c>(queue, status, started_at)</c>, one seek per queue).</summary>
    internal const string LeaseColumnsSql =
        "SELECT id, lease_token, lease_owner, attempts, max_attempts, cancel_requested, lease_expires_at FROM tasks " +
        "WHERE queue IN (SELECT name FROM queues) AND status <> " + SqliteStatus.Queued + " AND status = " + SqliteStatus.Running + " ";

    private PreparedStatement? _requeue;
    private PreparedStatement? _finish;
    private PreparedStatement? _succeed;
    private PreparedStatement? _markTakenOver;
    private PreparedStatement? _leasesExpired;
    private PreparedStatement? _leasesOfOwner;
    private PreparedStatement? _leasesAll;

    /// <inheritdoc />
    public Task<IReadOnlyList<TransitionResult>> ApplyTransitionsAsync(IReadOnlyList<LeaseTransition> transitions, CancellationToken cancellationToken = default)
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
        if (transitions.Count == 0) return Task.FromResult<IReadOnlyList<TransitionResult>>(Array.Empty<TransitionResult>());

        bool requeued = false;
        // One transition that is one statement runs in autocommit; anything more (a batch, or an error, output or
        // takeover written beside the task's row) is one transaction.
        TxMode mode = transitions.Count == 1 && IsOneStatement(transitions[0]) ? TxMode.None : TxMode.Write;
        IReadOnlyList<TransitionResult> results = Run("transitions", mode, transitions, static (s, list) =>
        {
            long now = s.Now();
            var written = new TransitionResult[list.Count];
            for (int i = 0; i < list.Count; i++) written[i] = s.Apply(list[i], now);
            return (IReadOnlyList<TransitionResult>)written;
        }, cancellationToken, static (t, list, n) =>
        {
            for (int i = 0; i < list.Count; i++) t.Emit(TraceEventKind.BusyRetry, list[i].Id, 0, 0, n);
        });
        foreach (TransitionResult r in results) requeued |= r.Outcome == LeaseOutcome.Applied && r.Status == TaskStatus.Queued;
        if (requeued) EnqueueSignal.Raise(DatabasePath); // a retry due now wakes this process's idle workers
        return Task.FromResult(results);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ExtendResult>> ExtendLeasesAsync(IReadOnlyList<TaskLease> leases, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        if (leases is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "leases is null; it must be a list of TaskLease.", nameof(leases));
        TaskValidation.CheckLease(duration, nameof(duration));
        if (leases.Count == 0) return Task.FromResult<IReadOnlyList<ExtendResult>>(Array.Empty<ExtendResult>());
        long ms = UnixTime.SpanMs(duration);
        IReadOnlyList<ExtendResult> results = Run("extend-many", leases.Count == 1 ? TxMode.None : TxMode.Write, leases, (s, list) =>
        {
            var extended = new ExtendResult[list.Count];
            for (int i = 0; i < list.Count; i++) extended[i] = s.Extend(new LeaseWork(list[i].Id, list[i].Token, ms));
            return (IReadOnlyList<ExtendResult>)extended;
        }, cancellationToken, static (t, list, n) =>
        {
            for (int i = 0; i < list.Count; i++) t.Emit(TraceEventKind.BusyRetry, list[i].Id, 0, 0, n);
        });
        return Task.FromResult(results);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<HeldLease>> GetLeasesAsync(string? workerId = null, bool expiredOnly = false, CancellationToken cancellationToken = default)
    {
        if (workerId is not null) TaskValidation.CheckWorkerId(workerId, nameof(workerId));
        IReadOnlyList<HeldLease> leases = Run("leases", TxMode.None, (workerId, expiredOnly), static (s, q) =>
        {
            PreparedStatement st;
            if (q.workerId is not null)
            {
                st = s.Prepare(ref s._leasesOfOwner, LeaseColumnsSql + "AND lease_owner = $owner LIMIT " + MaxLeasesPerRead.ToString(CultureInfo.InvariantCulture), "$owner");
                st.P[0].Value = q.workerId;
            }
            else if (q.expiredOnly)
            {
                st = s.Prepare(ref s._leasesExpired, LeaseColumnsSql + "AND lease_expires_at < $now LIMIT " + MaxLeasesPerRead.ToString(CultureInfo.InvariantCulture), "$now");
                st.P[0].Value = s.Now();
            }
            else
            {
                st = s.Prepare(ref s._leasesAll, LeaseColumnsSql + "LIMIT " + MaxLeasesPerRead.ToString(CultureInfo.InvariantCulture));
            }
            var list = new List<HeldLease>();
            using SqliteDataReader r = st.Command.ExecuteReader();
            while (r.Read())
            {
                list.Add(new HeldLease(r.GetInt64(0), new LeaseToken(new Guid((byte[])r.GetValue(1))), r.IsDBNull(2) ? null : r.GetString(2),
                    r.GetInt32(3), r.GetInt32(4), r.GetInt64(5) != 0, UnixTime.FromMs(r.GetInt64(6))));
            }
            return (IReadOnlyList<HeldLease>)list;
        }, cancellationToken);
        return Task.FromResult(leases);
    }

    /// <summary>True when <paramref name="t"/> writes only the task's row (the second statement of a won cancel runs only when the first changed nothing).</summary>
    private static bool IsOneStatement(LeaseTransition t) => t.Error is null && t.Output is null && t.TakenOverFrom is null;

    private TransitionResult Apply(LeaseTransition t, long now)
    {
        TransitionResult result = Write(t, t.Status, t.CancelWins, now);
        // A pending cancel won over the transition (the statement's condition kept it out): the task ends cancelled.
        if (result.Outcome == LeaseOutcome.LeaseLost && t.CancelWins) result = Write(t, TaskStatus.Cancelled, cancelWins: false, now);
        if (result.Outcome == LeaseOutcome.Applied && t.Output is { Count: > 0 } output) InsertOutput(t.Id, output);
        if (result.Outcome == LeaseOutcome.Applied && t.TakenOverFrom is { } owner)
        {
            PreparedStatement mark = Prepare(ref _markTakenOver, "UPDATE workers SET taken_over_at = $now WHERE id = $owner", "$now", "$owner");
            mark.P[0].Value = now;
            mark.P[1].Value = owner;
            mark.Command.ExecuteNonQuery();
        }
        return result;
    }

    private TransitionResult Write(LeaseTransition t, TaskStatus status, bool cancelWins, long now)
    {
        if (status == TaskStatus.Succeeded && t.Error is null && !t.OnlyIfExpired) return Succeed(t, now);
        bool requeue = status == TaskStatus.Queued;
        PreparedStatement st = requeue
            ? Prepare(ref _requeue, RequeueSql, "$uncount", "$delay", "$now", "$message", "$type", "$detail", "$id", "$token", "$cancel_wins", "$status", "$result", "$if_expired")
            : Prepare(ref _finish, FinishSql, "$uncount", "$delay", "$now", "$message", "$type", "$detail", "$id", "$token", "$cancel_wins", "$status", "$result", "$if_expired");
        st.P[0].Value = t.CountsAttempt ? 0 : 1;
        st.P[1].Value = t.RetryDelay is { } delay ? UnixTime.SpanMs(delay) : DBNull.Value;
        st.P[2].Value = now;
        st.P[3].Value = DbValue(t.Error?.Message);
        st.P[4].Value = DbValue(t.Error?.Type);
        st.P[5].Value = DbValue(t.Error?.Detail);
        st.P[6].Value = t.Id;
        st.P[7].Value = t.Token.Value.ToByteArray();
        st.P[8].Value = cancelWins ? 1 : 0;
        st.P[9].Value = (int)status;
        st.P[10].Value = status == TaskStatus.Succeeded ? DbValue(t.Result) : DBNull.Value;
        st.P[11].Value = t.OnlyIfExpired ? 1 : 0;
        int attempts;
        long? notBefore = null;
        using (SqliteDataReader r = st.Command.ExecuteReader())
        {
            if (!r.Read()) return TransitionResult.Lost;
            attempts = r.GetInt32(0);
            if (requeue) notBefore = r.GetInt64(1);
        }
        if (t.Error is not null) InsertError(t.Id, t.CountsAttempt ? attempts : attempts + 1, now, t.Error);
        return new TransitionResult(LeaseOutcome.Applied, status, notBefore is long nb ? UnixTime.FromMs(nb) : null);
    }

    /// <summary>The hot path, a success: <see cref="CompleteSql"/> sets the same columns as <see cref="FinishSql"/>, with nothing to read back.</summary>
    private TransitionResult Succeed(LeaseTransition t, long now)
    {
        PreparedStatement st = Prepare(ref _succeed, CompleteSql, "$result", "$now", "$id", "$token");
        st.P[0].Value = DbValue(t.Result);
        st.P[1].Value = now;
        st.P[2].Value = t.Id;
        st.P[3].Value = t.Token.Value.ToByteArray();
        return st.Command.ExecuteNonQuery() == 1 ? new TransitionResult(LeaseOutcome.Applied, TaskStatus.Succeeded, null) : TransitionResult.Lost;
    }
}
