using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Scheduling;
using PrismQ.Storage.Sqlite;
using PrismQ.Tasks;

namespace PrismQ.Storage.Sqlite;

public sealed partial class SqliteTaskStore
{
    /// <summary>
    /// The new Weighted Random key of a task put back in its queue: the queue's clock plus a fresh draw for its weight
    /// when the queue is claimed that way (<c>queues.weighted</c>), else the key that keeps it out of the weighted index.
    /// </summary>
    private const string RequeueKeySql =
        "COALESCE((SELECT CASE WHEN weighted = 1 THEN wr_clock + prismq_exp() * " + WeightedRandomRule.InverseWeightSql + " ELSE " +
        SqliteClaimSql.UnweightedKey + " END FROM queues WHERE name = tasks.queue), " + SqliteClaimSql.UnweightedKey + ")";

    private const string LeaseHeldSql = "WHERE " + SqliteStatus.LeaseHeld;

    /// <summary>The UPDATE of a success (internal: the benchmarks' raw baseline runs the same statement).</summary>
    internal const string CompleteSql =
        "UPDATE tasks SET status = " + SqliteStatus.Succeeded + ", result = $result, finished_at = $now, updated_at = $now, lease_token = NULL, lease_expires_at = NULL " + LeaseHeldSql;

    private PreparedStatement? _extend;
    private PreparedStatement? _progress;

    /// <inheritdoc />
    public Task<ExtendResult> ExtendLeaseAsync(long id, LeaseToken token, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        TaskValidation.CheckLease(duration, "duration");
        var work = new LeaseWork(id, token, UnixTime.SpanMs(duration));
        ExtendResult result = Run("extend", TxMode.None, work, static (s, w) => s.Extend(w), cancellationToken, static (t, w, n) => t.Emit(TraceEventKind.BusyRetry, w.Id, 0, 0, n));
        return Task.FromResult(result);
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
}
