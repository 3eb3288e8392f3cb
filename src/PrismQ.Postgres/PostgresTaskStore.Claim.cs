using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using PrismQ.Internal;
using PrismQ.Scheduling;
using PrismQ.Tasks;

namespace PrismQ.Postgres;

public sealed partial class PostgresTaskStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskRecord>> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        string[] queues = TaskValidation.CheckClaim(request);
        long leaseMs = request.LeaseDuration is TimeSpan lease ? UnixTime.SpanMs(lease) : _defaultLeaseMs;
        long agingMs = request.Strategy == SchedulingStrategy.Priority && request.PriorityAging is TimeSpan aging ? UnixTime.SpanMs(aging) : 0;
        var work = new ClaimWork(request.WorkerId, queues, request.Strategy, request.MaxCount, leaseMs, agingMs, Now());
        bool single = queues.Length == 1 && agingMs == 0;
        return await RunAsync("claim", work, static (u, w) =>
            w.Queues.Length == 1 && w.AgingMs == 0 ? ClaimSingleQueueAsync(u, w) : ClaimMergedAsync(u, w), cancellationToken, transaction: !single).ConfigureAwait(false);
    }

    private sealed record ClaimWork(string WorkerId, string[] Queues, SchedulingStrategy Strategy, int MaxCount, long LeaseMs, long AgingMs, long Now);

    /// <summary>One queue, no aging: one <c>UPDATE ... WHERE id IN (SELECT ... ORDER BY index order LIMIT n FOR UPDATE SKIP LOCKED) RETURNING</c>.</summary>
    private static async Task<IReadOnlyList<TaskRecord>> ClaimSingleQueueAsync(Unit u, ClaimWork w)
    {
        await using NpgsqlCommand command = u.Command(PostgresClaimSql.SingleQueue(w.Strategy));
        AddClaimParameters(command, w);
        Text(command, "queue", w.Queues[0]);
        Int32(command, "n", w.MaxCount);
        List<ClaimedRow> rows = await ReadClaimedAsync(command, u.Token).ConfigureAwait(false);
        return Ordered(rows, w.Strategy);
    }

    private static void AddClaimParameters(NpgsqlCommand command, ClaimWork w)
    {
        Text(command, "owner", w.WorkerId);
        Int64(command, "expires", w.Now + w.LeaseMs);
        Int64(command, "now", w.Now);
    }

    /// <summary>Several queues, or priority aging: locked candidates per queue (and per priority level) from the indexes, merged here.</summary>
    private static async Task<IReadOnlyList<TaskRecord>> ClaimMergedAsync(Unit u, ClaimWork w)
    {
        var candidates = new List<ClaimCandidate>();
        var active = new List<(string Queue, double Clock)>(w.Queues.Length);
        foreach (string queue in w.Queues)
        {
            bool paused;
            double clock;
            await using (NpgsqlCommand state = u.Command(PostgresClaimSql.QueueState))
            {
                Text(state, "queue", queue);
                await using NpgsqlDataReader r = await state.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
                if (!await r.ReadAsync(u.Token).ConfigureAwait(false)) continue;
                paused = r.GetBoolean(0);
                clock = r.GetDouble(1);
            }
            if (paused) continue;
            active.Add((queue, clock));
            if (w.AgingMs > 0) await AddAgingCandidatesAsync(u, candidates, queue, w).ConfigureAwait(false);
            else await AddCandidatesAsync(u, candidates, queue, w, clock).ConfigureAwait(false);
        }
        if (candidates.Count == 0) return Array.Empty<TaskRecord>();

        ClaimCandidate.SortAndTrim(candidates, ClaimCandidate.Order(w.Strategy, w.AgingMs > 0), w.MaxCount);
        var ids = new long[candidates.Count];
        var rank = new Dictionary<long, int>(candidates.Count);
        double maxResidual = 0;
        for (int i = 0; i < candidates.Count; i++)
        {
            ids[i] = candidates[i].Id;
            rank[candidates[i].Id] = i;
            maxResidual = Math.Max(maxResidual, candidates[i].Key);
        }

        List<ClaimedRow> rows;
        await using (NpgsqlCommand command = u.Command(PostgresClaimSql.ByIds))
        {
            AddClaimParameters(command, w);
            Int64Array(command, "ids", ids);
            rows = await ReadClaimedAsync(command, u.Token).ConfigureAwait(false);
        }

        if (w.Strategy == SchedulingStrategy.WeightedRandom && maxResidual > 0)
        {
            // The race has run for maxResidual in every queue it covered: every unclaimed key there is above clock + maxResidual.
            // The queue rows are updated in name order, so that merges over the same queues never deadlock.
            active.Sort((a, b) => string.CompareOrdinal(a.Queue, b.Queue));
            foreach ((string queue, double clock) in active)
            {
                await using NpgsqlCommand advance = u.Command(PostgresClaimSql.AdvanceClock);
                Double(advance, "from", clock);
                Double(advance, "by", maxResidual);
                Text(advance, "queue", queue);
                await advance.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
            }
        }

        var result = new TaskRecord[rows.Count];
        rows.Sort((a, b) => rank[a.Record.Id].CompareTo(rank[b.Record.Id]));
        for (int i = 0; i < rows.Count; i++) result[i] = rows[i].Record;
        return result;
    }

    private static async Task AddCandidatesAsync(Unit u, List<ClaimCandidate> candidates, string queue, ClaimWork w, double clock)
    {
        await using NpgsqlCommand command = u.Command(PostgresClaimSql.ReadySelect(w.Strategy));
        Text(command, "queue", queue);
        Int64(command, "now", w.Now);
        Int32(command, "n", w.MaxCount);
        await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
        while (await r.ReadAsync(u.Token).ConfigureAwait(false))
        {
            double key = w.Strategy == SchedulingStrategy.WeightedRandom ? r.GetDouble(3) - clock : 0;
            candidates.Add(new ClaimCandidate(r.GetInt64(0), r.GetInt32(1), r.GetInt64(2), key));
        }
    }

    /// <summary>
    /// Priority with aging: walks the distinct priority levels of the queue from the top (one index seek each), takes
    /// the oldest ready tasks of each level, and stops when no lower level can reach the current n-th best even with
    /// the age of the queue's oldest task.
    /// </summary>
    private static async Task AddAgingCandidatesAsync(Unit u, List<ClaimCandidate> candidates, string queue, ClaimWork w)
    {
        long oldestNotBefore;
        await using (NpgsqlCommand oldest = u.Command(PostgresClaimSql.OldestQueued))
        {
            Text(oldest, "queue", queue);
            object? value = await oldest.ExecuteScalarAsync(u.Token).ConfigureAwait(false);
            if (value is not long nb) return;
            oldestNotBefore = nb;
        }
        double maxAgeBonus = (double)Math.Max(0, w.Now - oldestNotBefore) / w.AgingMs;

        var local = new List<ClaimCandidate>();
        Comparison<ClaimCandidate> order = ClaimCandidate.Order(SchedulingStrategy.Priority, aging: true);
        long below = (long)int.MaxValue + 1;
        while (true)
        {
            int priority;
            await using (NpgsqlCommand next = u.Command(PostgresClaimSql.NextLevel))
            {
                Text(next, "queue", queue);
                Int64(next, "below", below);
                object? level = await next.ExecuteScalarAsync(u.Token).ConfigureAwait(false);
                if (level is not int p) break;
                priority = p;
            }
            // Nothing at this level or below can beat the n-th best found so far.
            if (local.Count >= w.MaxCount && priority + maxAgeBonus < local[w.MaxCount - 1].Key) break;

            await using (NpgsqlCommand heads = u.Command(PostgresClaimSql.LevelHeads))
            {
                Text(heads, "queue", queue);
                Int32(heads, "priority", priority);
                Int64(heads, "now", w.Now);
                Int32(heads, "n", w.MaxCount);
                await using NpgsqlDataReader r = await heads.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
                while (await r.ReadAsync(u.Token).ConfigureAwait(false))
                {
                    long notBefore = r.GetInt64(2);
                    local.Add(new ClaimCandidate(r.GetInt64(0), priority, notBefore, ClaimCandidate.EffectivePriority(priority, notBefore, w.Now, w.AgingMs)));
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

    private static async Task<List<ClaimedRow>> ReadClaimedAsync(NpgsqlCommand command, CancellationToken token)
    {
        var rows = new List<ClaimedRow>();
        await using NpgsqlDataReader r = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
        while (await r.ReadAsync(token).ConfigureAwait(false)) rows.Add(new ClaimedRow(PostgresTaskRows.Read(r), r.GetDouble(PostgresTaskRows.WrKeyOrdinal)));
        return rows;
    }

    /// <summary>RETURNING does not keep the subquery's order: put the rows back in strategy order.</summary>
    private static IReadOnlyList<TaskRecord> Ordered(List<ClaimedRow> rows, SchedulingStrategy strategy)
    {
        if (rows.Count == 0) return Array.Empty<TaskRecord>();
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
}
