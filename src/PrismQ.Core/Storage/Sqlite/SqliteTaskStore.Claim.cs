using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
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
    private readonly PreparedStatement?[] _claimSingle = new PreparedStatement?[4];
    private readonly PreparedStatement?[] _candidates = new PreparedStatement?[4];
    private PreparedStatement? _claimByIds;
    private PreparedStatement? _queueState;
    private PreparedStatement? _advanceClockMax;
    private PreparedStatement? _advanceClockBy;
    private PreparedStatement? _nextLevel;
    private PreparedStatement? _levelHeads;
    private PreparedStatement? _oldestQueued;

    /// <inheritdoc />
    public Task<IReadOnlyList<TaskRecord>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        string[] queues = TaskValidation.CheckClaim(request);
        long leaseMs = request.LeaseDuration is TimeSpan lease ? UnixTime.SpanMs(lease) : _defaultLeaseMs;
        var work = new ClaimWork(request, queues, leaseMs);
        IReadOnlyList<TaskRecord> claimed = Run("claim", TxMode.Write, work, static (s, w) => s.Claim(w), cancellationToken);
        return Task.FromResult(claimed);
    }

    private sealed class ClaimWork
    {
        public ClaimWork(ClaimRequest request, string[] queues, long leaseMs)
        {
            WorkerId = request.WorkerId;
            Queues = queues;
            Strategy = request.Strategy;
            MaxCount = request.MaxCount;
            LeaseMs = leaseMs;
            AgingMs = request.Strategy == SchedulingStrategy.Priority && request.PriorityAging is TimeSpan aging ? UnixTime.SpanMs(aging) : 0;
        }

        public string WorkerId { get; }
        public string[] Queues { get; }
        public SchedulingStrategy Strategy { get; }
        public int MaxCount { get; }
        public long LeaseMs { get; }

        /// <summary>The aging step in milliseconds; 0 for no aging.</summary>
        public long AgingMs { get; }
    }

    private PreparedStatement? _markWeighted;
    private PreparedStatement? _drawKeys;
    private PreparedStatement? _markPrioritized;
    private PreparedStatement? _markQueuedPrioritized;

    private IReadOnlyList<TaskRecord> Claim(ClaimWork w)
    {
        long now = Now();
        if (w.Strategy == SchedulingStrategy.WeightedRandom)
            foreach (string queue in w.Queues) EnsureWeighted(queue);
        else if (w.Strategy == SchedulingStrategy.Priority)
            foreach (string queue in w.Queues) EnsurePrioritized(queue);
        return w.Queues.Length == 1 && w.AgingMs == 0 ? ClaimSingleQueue(w, now) : ClaimMerged(w, now);
    }

    /// <summary>One queue, no aging: one <c>UPDATE ... WHERE id IN (SELECT ... ORDER BY index order LIMIT n) RETURNING</c>.</summary>
    private IReadOnlyList<TaskRecord> ClaimSingleQueue(ClaimWork w, long now)
    {
        int s = (int)w.Strategy;
        PreparedStatement st = _claimSingle[s] ??= Track(new PreparedStatement(_connection,
            SqliteClaimSql.SingleQueue(w.Strategy), "$owner", "$expires", "$now", "$queue", "$n"));
        st.P[0].Value = w.WorkerId;
        st.P[1].Value = now + w.LeaseMs;
        st.P[2].Value = now;
        st.P[3].Value = w.Queues[0];
        st.P[4].Value = w.MaxCount;
        List<ClaimedRow> rows = ReadClaimed(st.Command);
        if (rows.Count == 0) return Array.Empty<TaskRecord>();
        if (w.Strategy == SchedulingStrategy.WeightedRandom)
        {
            double maxKey = double.MinValue;
            foreach (ClaimedRow row in rows) maxKey = Math.Max(maxKey, row.Key);
            PreparedStatement clock = Prepare(ref _advanceClockMax, "UPDATE queues SET wr_clock = MAX(wr_clock, $key) WHERE name = $queue", "$key", "$queue");
            clock.P[0].Value = maxKey;
            clock.P[1].Value = w.Queues[0];
            clock.Command.ExecuteNonQuery();
        }
        return Ordered(rows, w.Strategy);
    }

    /// <summary>Several queues, or priority aging: candidates per queue (and per priority level) from the indexes, merged here.</summary>
    private IReadOnlyList<TaskRecord> ClaimMerged(ClaimWork w, long now)
    {
        var candidates = new List<ClaimCandidate>();
        var active = new List<string>(w.Queues.Length);
        foreach (string queue in w.Queues)
        {
            PreparedStatement state = Prepare(ref _queueState, "SELECT paused, wr_clock FROM queues WHERE name = $queue", "$queue");
            state.P[0].Value = queue;
            bool paused;
            double clock;
            using (SqliteDataReader r = state.Command.ExecuteReader())
            {
                if (!r.Read()) continue;
                paused = r.GetInt64(0) != 0;
                clock = r.GetDouble(1);
            }
            if (paused) continue;
            active.Add(queue);
            if (w.AgingMs > 0) AddAgingCandidates(candidates, queue, w, now);
            else AddCandidates(candidates, queue, w, now, clock);
        }
        if (candidates.Count == 0) return Array.Empty<TaskRecord>();

        ClaimCandidate.SortAndTrim(candidates, ClaimCandidate.Order(w.Strategy, w.AgingMs > 0), w.MaxCount);
        var ids = new StringBuilder(candidates.Count * 8).Append('[');
        var rank = new Dictionary<long, int>(candidates.Count);
        double maxResidual = 0;
        for (int i = 0; i < candidates.Count; i++)
        {
            if (i > 0) ids.Append(',');
            ids.Append(candidates[i].Id.ToString(CultureInfo.InvariantCulture));
            rank[candidates[i].Id] = i;
            maxResidual = Math.Max(maxResidual, candidates[i].Key);
        }
        ids.Append(']');

        PreparedStatement st = Prepare(ref _claimByIds, SqliteClaimSql.ByIds, "$owner", "$expires", "$now", "$ids");
        st.P[0].Value = w.WorkerId;
        st.P[1].Value = now + w.LeaseMs;
        st.P[2].Value = now;
        st.P[3].Value = ids.ToString();
        List<ClaimedRow> rows = ReadClaimed(st.Command);

        if (w.Strategy == SchedulingStrategy.WeightedRandom && maxResidual > 0)
        {
            // The race has run for maxResidual in every queue it covered: every unclaimed key is above that.
            PreparedStatement advance = Prepare(ref _advanceClockBy, "UPDATE queues SET wr_clock = wr_clock + $by WHERE name = $queue", "$by", "$queue");
            foreach (string queue in active)
            {
                advance.P[0].Value = maxResidual;
                advance.P[1].Value = queue;
                advance.Command.ExecuteNonQuery();
            }
        }

        var result = new TaskRecord[rows.Count];
        rows.Sort((a, b) => rank[a.Record.Id].CompareTo(rank[b.Record.Id]));
        for (int i = 0; i < rows.Count; i++) result[i] = rows[i].Record;
        return result;
    }

    private void AddCandidates(List<ClaimCandidate> candidates, string queue, ClaimWork w, long now, double clock)
    {
        int s = (int)w.Strategy;
        PreparedStatement st = _candidates[s] ??= Track(new PreparedStatement(_connection,
            SqliteClaimSql.ReadySelect(w.Strategy, SqliteClaimSql.CandidateColumns), "$queue", "$now", "$n"));
        st.P[0].Value = queue;
        st.P[1].Value = now;
        st.P[2].Value = w.MaxCount;
        using SqliteDataReader r = st.Command.ExecuteReader();
        while (r.Read())
        {
            double key = w.Strategy == SchedulingStrategy.WeightedRandom ? r.GetDouble(3) - clock : 0;
            candidates.Add(new ClaimCandidate(r.GetInt64(0), r.GetInt32(1), r.GetInt64(2), key));
        }
    }

    /// <summary>
    /// Priority with aging: walks the distinct priority levels of the queue from the top (one index seek each), takes
    /// the oldest ready tasks of each level, and stops when no lower level can reach the current best even with the
    /// age of the queue's oldest task.
    /// </summary>
    private void AddAgingCandidates(List<ClaimCandidate> candidates, string queue, ClaimWork w, long now)
    {
        PreparedStatement oldest = Prepare(ref _oldestQueued, SqliteClaimSql.OldestQueued, "$queue");
        oldest.P[0].Value = queue;
        object? oldestValue = oldest.Command.ExecuteScalar();
        if (oldestValue is null || oldestValue is DBNull) return;
        long oldestNotBefore = Convert.ToInt64(oldestValue, CultureInfo.InvariantCulture);
        double maxAgeBonus = (double)Math.Max(0, now - oldestNotBefore) / w.AgingMs;

        PreparedStatement next = Prepare(ref _nextLevel, SqliteClaimSql.NextLevel, "$queue", "$below");
        PreparedStatement heads = Prepare(ref _levelHeads, SqliteClaimSql.LevelHeads, "$queue", "$priority", "$now", "$n");
        var local = new List<ClaimCandidate>();
        Comparison<ClaimCandidate> order = ClaimCandidate.Order(SchedulingStrategy.Priority, aging: true);
        long below = (long)int.MaxValue + 1;
        while (true)
        {
            next.P[0].Value = queue;
            next.P[1].Value = below;
            object? level = next.Command.ExecuteScalar();
            if (level is null || level is DBNull) break;
            int priority = Convert.ToInt32(level, CultureInfo.InvariantCulture);
            // Nothing at this level or below can beat the n-th best found so far.
            if (local.Count >= w.MaxCount && priority + maxAgeBonus < local[w.MaxCount - 1].Key) break;

            heads.P[0].Value = queue;
            heads.P[1].Value = priority;
            heads.P[2].Value = now;
            heads.P[3].Value = w.MaxCount;
            using (SqliteDataReader r = heads.Command.ExecuteReader())
            {
                while (r.Read())
                {
                    long notBefore = r.GetInt64(2);
                    local.Add(new ClaimCandidate(r.GetInt64(0), priority, notBefore, ClaimCandidate.EffectivePriority(priority, notBefore, now, w.AgingMs)));
                }
            }
            ClaimCandidate.SortAndTrim(local, order, w.MaxCount);
            below = priority;
        }
        candidates.AddRange(local);
    }

    private readonly struct ClaimedRow
    {
        public ClaimedRow(TaskRecord record, double key)
        {
            Record = record;
            Key = key;
        }

        public TaskRecord Record { get; }
        public double Key { get; }
    }

    private static List<ClaimedRow> ReadClaimed(SqliteCommand command)
    {
        var rows = new List<ClaimedRow>();
        using SqliteDataReader r = command.ExecuteReader();
        while (r.Read()) rows.Add(new ClaimedRow(TaskRows.Read(r), r.GetDouble(TaskRows.WrKeyOrdinal)));
        return rows;
    }

    /// <summary>RETURNING does not keep the subquery's order: put the rows back in strategy order.</summary>
    private static IReadOnlyList<TaskRecord> Ordered(List<ClaimedRow> rows, SchedulingStrategy strategy)
    {
        if (rows.Count > 1)
        {
            Comparison<ClaimCandidate> order = ClaimCandidate.Order(strategy, aging: false);
            rows.Sort((a, b) => order(
                new ClaimCandidate(a.Record.Id, a.Record.Priority, UnixTime.ToMs(a.Record.NotBefore), a.Key),
                new ClaimCandidate(b.Record.Id, b.Record.Priority, UnixTime.ToMs(b.Record.NotBefore), b.Key)));
        }
        var result = new TaskRecord[rows.Count];
        for (int i = 0; i < rows.Count; i++) result[i] = rows[i].Record;
        return result;
    }

    /// <summary>
    /// At a queue's first Weighted Random claim (in the claim's transaction): marks it weighted and draws the keys of its
    /// queued tasks, which until then stayed out of the weighted index (schema version 5).
    /// </summary>
    private void EnsureWeighted(string queue) =>
        MarkQueueOnce(ref _markWeighted, SqliteClaimSql.MarkWeighted, ref _drawKeys, SqliteClaimSql.DrawKeys, queue);

    /// <summary>
    /// At a queue's first Priority claim (in the claim's transaction): marks it prioritized and puts its queued tasks into
    /// the Priority index, which until then they stayed out of (schema version 6).
    /// </summary>
    private void EnsurePrioritized(string queue) =>
        MarkQueueOnce(ref _markPrioritized, SqliteClaimSql.MarkPrioritized, ref _markQueuedPrioritized, SqliteClaimSql.MarkQueuedPrioritized, queue);

    /// <summary>
    /// Runs <paramref name="markSql"/> (an UPDATE of the queue row that changes it only once) and, when it changed the
    /// row, <paramref name="backfillSql"/> for the queue's queued tasks. A queue row that does not exist yet (no task ever)
    /// is marked by a later claim. Nothing is cached: a claim that rolls back takes its mark with it.
    /// </summary>
    private void MarkQueueOnce(ref PreparedStatement? mark, string markSql, ref PreparedStatement? backfill, string backfillSql, string queue)
    {
        PreparedStatement marking = Prepare(ref mark, markSql, "$queue");
        marking.P[0].Value = queue;
        if (marking.Command.ExecuteNonQuery() != 1) return;
        PreparedStatement filling = Prepare(ref backfill, backfillSql, "$queue");
        filling.P[0].Value = queue;
        filling.Command.ExecuteNonQuery();
    }

    private PreparedStatement Track(PreparedStatement statement)
    {
        _prepared.Add(statement);
        return statement;
    }
}
