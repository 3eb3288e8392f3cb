using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Scheduling;
using PrismQ.Storage.Sqlite;
using PrismQ.Tasks;

namespace PrismQ;

public sealed partial class SqliteTaskStore
{
    /// <summary>The new Weighted Random key of a task put back in its queue: the queue's clock plus a fresh draw for its weight.</summary>
    private const string RequeueKeySql =
        "COALESCE((SELECT wr_clock FROM queues WHERE name = tasks.queue), 0) + prismq_exp() * " + WeightedRandomRule.InverseWeightSql;

    private const string LeaseHeldSql = "WHERE id = $id AND status = 1 AND lease_token = $token";

    /// <summary>The complete UPDATE (internal: the benchmarks' raw baseline runs the same statement).</summary>
    internal const string CompleteSql =
        "UPDATE tasks SET status = 2, result = $result, finished_at = $now, updated_at = $now, lease_token = NULL, lease_expires_at = NULL " + LeaseHeldSql;

    private PreparedStatement? _extend;
    private PreparedStatement? _complete;
    private PreparedStatement? _failRead;
    private PreparedStatement? _failWrite;
    private PreparedStatement? _release;
    private PreparedStatement? _progress;
    private PreparedStatement? _reclaimExpired;
    private PreparedStatement? _reclaimWorker;
    private PreparedStatement? _reclaimExpiredMark;
    private PreparedStatement? _reclaimWorkerMark;

    /// <inheritdoc />
    public Task<ExtendResult> ExtendLeaseAsync(long id, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckLease(duration, "duration");
        var work = new LeaseWork(id, token, UnixTime.SpanMs(duration));
        ExtendResult result = Run("extend", TxMode.None, work, static (s, w) => s.Extend(w), cancellationToken, static (t, w, n) => t.Emit(TraceEventKind.BusyRetry, w.Id, 0, 0, n));
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public Task<LeaseOutcome> CompleteAsync(long id, LeaseToken token, string? resultJson = null, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckResult(resultJson, _options);
        var work = new LeaseWork(id, token, 0, resultJson);
        LeaseOutcome outcome = Run("complete", TxMode.None, work, static (s, w) => s.Complete(w.Id, w.Token, w.Text, s.Now()), cancellationToken, static (t, w, n) => t.Emit(TraceEventKind.BusyRetry, w.Id, 0, 0, n));
        return Task.FromResult(outcome);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LeaseOutcome>> CompleteManyAsync(IReadOnlyList<TaskCompletion> completions, CancellationToken cancellationToken = default)
    {
        if (completions is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "completions is null; it must be a list of TaskCompletion.", nameof(completions));
        if (completions.Count > TaskLimits.MaxEnqueueBatchSize)
            throw new PrismQException(PrismQErrorCode.InvalidBatchSize,
                $"completions holds {completions.Count} items; at most {TaskLimits.MaxEnqueueBatchSize} may be completed in one call.", nameof(completions), completions.Count);
        for (int i = 0; i < completions.Count; i++) TaskValidation.CheckResult(completions[i].ResultJson, _options);
        if (completions.Count == 0) return Task.FromResult<IReadOnlyList<LeaseOutcome>>(Array.Empty<LeaseOutcome>());
        IReadOnlyList<LeaseOutcome> outcomes = Run("complete-many", TxMode.Write, completions, static (s, list) =>
        {
            long now = s.Now();
            var result = new LeaseOutcome[list.Count];
            for (int i = 0; i < list.Count; i++) result[i] = s.Complete(list[i].Id, list[i].Token, list[i].ResultJson, now);
            return (IReadOnlyList<LeaseOutcome>)result;
        }, cancellationToken, static (t, list, n) =>
        {
            for (int i = 0; i < list.Count; i++) t.Emit(TraceEventKind.BusyRetry, list[i].Id, 0, 0, n);
        });
        return Task.FromResult(outcomes);
    }

    /// <inheritdoc />
    public Task<FailResult> FailAsync(long id, LeaseToken token, TaskError error, RetryPolicy? retryPolicy = null, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckError(error);
        RetryPolicy policy = retryPolicy ?? _options.RetryPolicy;
        policy.Validate();
        var work = new FailWork(id, token, error, policy);
        FailResult result = Run("fail", TxMode.Write, work, static (s, w) => s.Fail(w), cancellationToken, static (t, w, n) => t.Emit(TraceEventKind.BusyRetry, w.Id, 0, 0, n));
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public Task<LeaseOutcome> ReleaseAsync(long id, LeaseToken token, CancellationToken cancellationToken = default)
    {
        var work = new LeaseWork(id, token, 0);
        LeaseOutcome outcome = Run("release", TxMode.None, work, static (s, w) => s.Release(w), cancellationToken, static (t, w, n) => t.Emit(TraceEventKind.BusyRetry, w.Id, 0, 0, n));
        return Task.FromResult(outcome);
    }

    /// <inheritdoc />
    public Task<LeaseOutcome> ReportProgressAsync(long id, LeaseToken token, int? percent, string? message, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckProgress(percent, message);
        var work = new LeaseWork(id, token, percent ?? -1, message);
        LeaseOutcome outcome = Run("progress", TxMode.None, work, static (s, w) =>
        {
            PreparedStatement st = s.Prepare(ref s._progress,
                "UPDATE tasks SET progress_percent = COALESCE($percent, progress_percent), progress_message = COALESCE($message, progress_message), " +
                "updated_at = $now " + LeaseHeldSql, "$percent", "$message", "$now", "$id", "$token");
            st.P[0].Value = w.Number >= 0 ? w.Number : DBNull.Value;
            st.P[1].Value = DbValue(w.Text);
            st.P[2].Value = s.Now();
            st.P[3].Value = w.Id;
            st.P[4].Value = w.Token.Value.ToByteArray();
            return st.Command.ExecuteNonQuery() == 1 ? LeaseOutcome.Applied : LeaseOutcome.LeaseLost;
        }, cancellationToken, static (t, w, n) => t.Emit(TraceEventKind.BusyRetry, w.Id, 0, 0, n));
        return Task.FromResult(outcome);
    }

    /// <inheritdoc />
    public Task<ReclaimResult> ReclaimExpiredAsync(CancellationToken cancellationToken = default)
    {
        ReclaimResult result = Run("reclaim-expired", TxMode.Write, 0, static (s, _) =>
        {
            long now = s.Now();
            const string message = "The lease expired before the worker completed, failed or released the task.";
            s.RecordTakeover(ref s._reclaimExpiredMark, ExpiredWhereSql, now, message, null);
            PreparedStatement st = s.Prepare(ref s._reclaimExpired,
                ReclaimSetSql + ExpiredWhereSql + " RETURNING status", "$now", "$message");
            st.P[0].Value = now;
            st.P[1].Value = message;
            return CountReclaimed(st.Command);
        }, cancellationToken);
        if (result.Requeued + result.Failed > 0) _tracer.Emit(TraceEventKind.Reclaim, 0, 0, 0, result.Requeued + result.Failed);
        return Task.FromResult(result);
    }

    /// <inheritdoc />
    public Task<ReclaimResult> ReclaimWorkerAsync(string workerId, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckWorkerId(workerId, nameof(workerId));
        ReclaimResult result = Run("reclaim-worker", TxMode.Write, workerId, static (s, worker) =>
        {
            long now = s.Now();
            string message = "The worker '" + worker + "' was declared dead; its lease was taken back.";
            s.RecordTakeover(ref s._reclaimWorkerMark, OwnerWhereSql, now, message, worker);
            PreparedStatement st = s.Prepare(ref s._reclaimWorker,
                ReclaimSetSql + OwnerWhereSql + " RETURNING status", "$now", "$message", "$owner");
            st.P[0].Value = now;
            st.P[1].Value = message;
            st.P[2].Value = worker;
            return CountReclaimed(st.Command);
        }, cancellationToken);
        if (result.Requeued + result.Failed > 0) _tracer.Emit(TraceEventKind.Reclaim, 0, 0, 0, result.Requeued + result.Failed);
        return Task.FromResult(result);
    }

    /// <summary>
    /// A reclaimed task: cancelled when a cancel was requested, failed when no attempt is left, else queued again
    /// (keeping its not-before, so it keeps its FIFO place) with a fresh Weighted Random key and without the lost
    /// attempt's worker and progress. The attempt stays counted.
    /// </summary>
    private const string ReclaimSetSql =
        "UPDATE tasks SET status = CASE WHEN cancel_requested = 1 THEN 4 WHEN attempts >= max_attempts THEN 3 ELSE 0 END, " +
        "finished_at = CASE WHEN cancel_requested = 1 OR attempts >= max_attempts THEN $now ELSE NULL END, " +
        "lease_owner = CASE WHEN cancel_requested = 0 AND attempts < max_attempts THEN NULL ELSE lease_owner END, " +
        "progress_percent = CASE WHEN cancel_requested = 0 AND attempts < max_attempts THEN NULL ELSE progress_percent END, " +
        "progress_message = CASE WHEN cancel_requested = 0 AND attempts < max_attempts THEN NULL ELSE progress_message END, " +
        "wr_key = " + RequeueKeySql + ", lease_token = NULL, lease_expires_at = NULL, " +
        "error_message = $message, error_type = 'PrismQ.LeaseExpired', error_detail = NULL, updated_at = $now ";

    private const string ExpiredWhereSql = "WHERE status = 1 AND lease_expires_at < $now";
    private const string OwnerWhereSql = "WHERE status = 1 AND lease_owner = $owner";

    /// <summary>
    /// Before a reclaim (in its write transaction): marks the owners of the leases it takes over
    /// (<c>workers.taken_over_at</c>, so the registry shows them dead) and adds each lost attempt to its task's history.
    /// </summary>
    private void RecordTakeover(ref PreparedStatement? field, string where, long now, string message, string? owner)
    {
        PreparedStatement st = Prepare(ref field,
            "UPDATE workers SET taken_over_at = $now WHERE id IN (SELECT lease_owner FROM tasks " + where + "); " +
            "INSERT INTO task_errors (task_id, attempt, at, message, type) SELECT id, attempts, $now, $message, 'PrismQ.LeaseExpired' FROM tasks " + where + ";",
            "$now", "$message", "$owner");
        st.P[0].Value = now;
        st.P[1].Value = message;
        st.P[2].Value = DbValue(owner);
        st.Command.ExecuteNonQuery();
    }

    private static ReclaimResult CountReclaimed(SqliteCommand command)
    {
        int requeued = 0, failed = 0;
        using SqliteDataReader r = command.ExecuteReader();
        while (r.Read())
        {
            long status = r.GetInt64(0);
            if (status == (long)TaskStatus.Queued) requeued++;
            else if (status == (long)TaskStatus.Failed) failed++;
        }
        return new ReclaimResult(requeued, failed);
    }

    private readonly struct LeaseWork
    {
        public LeaseWork(long id, LeaseToken token, long number, string? text = null)
        {
            Id = id;
            Token = token;
            Number = number;
            Text = text;
        }

        public long Id { get; }
        public LeaseToken Token { get; }
        public long Number { get; }
        public string? Text { get; }
    }

    private sealed class FailWork
    {
        public FailWork(long id, LeaseToken token, TaskError error, RetryPolicy policy)
        {
            Id = id;
            Token = token;
            Error = error;
            Policy = policy;
        }

        public long Id { get; }
        public LeaseToken Token { get; }
        public TaskError Error { get; }
        public RetryPolicy Policy { get; }
    }

    private ExtendResult Extend(LeaseWork w)
    {
        PreparedStatement st = Prepare(ref _extend,
            "UPDATE tasks SET lease_expires_at = $expires, updated_at = $now " + LeaseHeldSql + " RETURNING cancel_requested",
            "$expires", "$now", "$id", "$token");
        long now = Now();
        long expires = now + w.Number;
        st.P[0].Value = expires;
        st.P[1].Value = now;
        st.P[2].Value = w.Id;
        st.P[3].Value = w.Token.Value.ToByteArray();
        object? cancel = st.Command.ExecuteScalar();
        if (cancel is null || cancel is DBNull) return new ExtendResult(LeaseOutcome.LeaseLost, null, false);
        return new ExtendResult(LeaseOutcome.Applied, UnixTime.FromMs(expires), Convert.ToInt64(cancel, System.Globalization.CultureInfo.InvariantCulture) != 0);
    }

    private LeaseOutcome Complete(long id, LeaseToken token, string? resultJson, long now)
    {
        PreparedStatement st = Prepare(ref _complete, CompleteSql, "$result", "$now", "$id", "$token");
        st.P[0].Value = DbValue(resultJson);
        st.P[1].Value = now;
        st.P[2].Value = id;
        st.P[3].Value = token.Value.ToByteArray();
        return st.Command.ExecuteNonQuery() == 1 ? LeaseOutcome.Applied : LeaseOutcome.LeaseLost;
    }

    private FailResult Fail(FailWork w)
    {
        PreparedStatement read = Prepare(ref _failRead,
            "SELECT attempts, max_attempts, cancel_requested FROM tasks " + LeaseHeldSql, "$id", "$token");
        read.P[0].Value = w.Id;
        read.P[1].Value = w.Token.Value.ToByteArray();
        int attempts, maxAttempts;
        bool cancelRequested;
        using (SqliteDataReader r = read.Command.ExecuteReader())
        {
            if (!r.Read()) return new FailResult(FailOutcome.LeaseLost);
            attempts = r.GetInt32(0);
            maxAttempts = r.GetInt32(1);
            cancelRequested = r.GetInt64(2) != 0;
        }

        long now = Now();
        FailOutcome outcome;
        long? retryAt = null;
        if (cancelRequested) outcome = FailOutcome.Cancelled;
        else if (attempts >= maxAttempts) outcome = FailOutcome.Failed;
        else
        {
            outcome = FailOutcome.RetryScheduled;
            retryAt = now + UnixTime.SpanMs(w.Policy.ComputeDelay(attempts, _random()));
        }

        PreparedStatement write = Prepare(ref _failWrite,
            "UPDATE tasks SET status = $status, not_before = COALESCE($retry_at, not_before), " +
            "finished_at = CASE WHEN $status = 0 THEN NULL ELSE $now END, " +
            "wr_key = CASE WHEN $status = 0 THEN " + RequeueKeySql + " ELSE wr_key END, " +
            "lease_owner = CASE WHEN $status = 0 THEN NULL ELSE lease_owner END, " +
            "progress_percent = CASE WHEN $status = 0 THEN NULL ELSE progress_percent END, " +
            "progress_message = CASE WHEN $status = 0 THEN NULL ELSE progress_message END, " +
            "error_message = $message, error_type = $type, error_detail = $detail, lease_token = NULL, lease_expires_at = NULL, updated_at = $now " +
            LeaseHeldSql,
            "$status", "$retry_at", "$now", "$message", "$type", "$detail", "$id", "$token");
        write.P[0].Value = outcome switch { FailOutcome.RetryScheduled => 0, FailOutcome.Failed => 3, _ => 4 };
        write.P[1].Value = retryAt is long at ? at : DBNull.Value;
        write.P[2].Value = now;
        write.P[3].Value = w.Error.Message;
        write.P[4].Value = DbValue(w.Error.Type);
        write.P[5].Value = DbValue(w.Error.Detail);
        write.P[6].Value = w.Id;
        write.P[7].Value = w.Token.Value.ToByteArray();
        if (write.Command.ExecuteNonQuery() != 1) return new FailResult(FailOutcome.LeaseLost);
        InsertError(w.Id, attempts, now, w.Error);
        return new FailResult(outcome, retryAt is long ms ? UnixTime.FromMs(ms) : null);
    }

    private LeaseOutcome Release(LeaseWork w)
    {
        PreparedStatement st = Prepare(ref _release,
            "UPDATE tasks SET status = CASE WHEN cancel_requested = 1 THEN 4 ELSE 0 END, attempts = MAX(attempts - 1, 0), " +
            "finished_at = CASE WHEN cancel_requested = 1 THEN $now ELSE NULL END, " +
            "lease_owner = CASE WHEN cancel_requested = 1 THEN lease_owner ELSE NULL END, progress_percent = NULL, progress_message = NULL, " +
            "wr_key = " + RequeueKeySql + ", lease_token = NULL, lease_expires_at = NULL, updated_at = $now " + LeaseHeldSql,
            "$now", "$id", "$token");
        st.P[0].Value = Now();
        st.P[1].Value = w.Id;
        st.P[2].Value = w.Token.Value.ToByteArray();
        return st.Command.ExecuteNonQuery() == 1 ? LeaseOutcome.Applied : LeaseOutcome.LeaseLost;
    }
}
