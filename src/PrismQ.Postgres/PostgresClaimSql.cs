using PrismQ.Scheduling;

namespace PrismQ.Postgres;

/// <summary>
/// The SQL of claims and of the Weighted Random keys. Every claim walks one of the partial indexes on ready tasks
/// (<c>WHERE status = 0</c>) in the strategy's order and stops after <c>@n</c> rows, locking them with
/// <c>FOR UPDATE SKIP LOCKED</c> so that concurrent claimers take different tasks without waiting on each other; none
/// sorts the backlog (a test reads the plans).
/// </summary>
/// <remarks>
/// <para>
/// Weighted Random is the exponential race of <see cref="WeightedRandomRule"/>: a task entering a queue (enqueue, retry,
/// re-queue) gets the key <c>V + E / w</c>, where <c>V</c> is the queue's clock and <c>E</c> a unit exponential
/// variate drawn from <see cref="QueueOptions.RandomSource"/>; a claim takes the smallest keys, walking
/// <c>ix_tasks_ready_weighted</c>. Unlike the SQLite store, no claim writes a per-queue row: the clock is read, when a
/// task enters the queue, as the largest key any claim of that queue has taken (<c>tasks.wr_claimed</c>, set by the
/// claim on the claimed row, found with one backward seek of <c>ix_tasks_clock</c>), or the queue row's
/// <c>wr_clock</c> when that is larger. The queue row is written only by what the tasks cannot record: a claim over
/// several queues advances every queue it raced in, and deleting claimed tasks keeps their largest key there (a trigger).
/// Every task carries a key and sits in all three ready indexes whatever strategy claims its queue (the SQLite store's
/// per-queue marking is not needed: no claim rewrites keys). The cost: <c>ix_tasks_clock</c> holds every task ever
/// claimed (until deleted). Retrying many tasks at once (<see cref="ITaskStore.RetryManyAsync"/>) draws their keys with
/// the server's <c>random()</c>, not the configured random source.
/// </para>
/// <para>
/// Priority aging follows the SQLite store: the distinct priority levels of a queue are walked from the top (one index
/// seek each), taking the oldest ready tasks of each level, until no lower level can reach the n-th best effective
/// priority even with the age of the queue's oldest task; the candidates are merged in memory.
/// </para>
/// </remarks>
internal static class PostgresClaimSql
{
    /// <summary>A new attempt starts clean: no progress, result or last error of an earlier attempt (the error history keeps those).</summary>
    public const string SetRunning =
        "UPDATE {s}.tasks SET status = " + PostgresTaskRows.Running + ", attempts = attempts + 1, lease_owner = @owner, lease_token = gen_random_uuid(), " +
        "lease_expires_at = @expires, started_at = @now, updated_at = @now, progress_percent = NULL, progress_message = NULL, " +
        "result = NULL, error_message = NULL, error_type = NULL, error_detail = NULL, wr_claimed = wr_key ";

    /// <summary>The Weighted Random clock of the queue named by the SQL expression <paramref name="queue"/>.</summary>
    public static string Clock(string queue) =>
        "GREATEST(COALESCE((SELECT q.wr_clock FROM {s}.queues q WHERE q.name = " + queue + "), 0), " +
        "COALESCE((SELECT c.wr_claimed FROM {s}.tasks c WHERE c.queue = " + queue + " AND c.wr_claimed IS NOT NULL ORDER BY c.wr_claimed DESC LIMIT 1), 0))";

    /// <summary>The key of a task entering the queue <paramref name="queue"/>, with its unit exponential variate in <paramref name="exponential"/> (over the row's <c>priority</c>).</summary>
    public static string EnteringKey(string queue, string exponential) =>
        Clock(queue) + " + " + exponential + " * " + WeightedRandomRule.InverseWeightSql;

    /// <summary>The index order of a strategy (the order in which its ready tasks are claimed).</summary>
    public static string IndexOrder(SchedulingStrategy strategy) => strategy switch
    {
        SchedulingStrategy.Lifo => "not_before DESC, id DESC",
        SchedulingStrategy.Priority => "priority DESC, not_before, id",
        SchedulingStrategy.WeightedRandom => "wr_key",
        _ => "not_before, id",
    };

    /// <summary>The ready tasks of one queue in strategy order, locked (a merge's candidates).</summary>
    public static string ReadySelect(SchedulingStrategy strategy) =>
        "SELECT " + CandidateColumns + " FROM {s}.tasks WHERE queue = @queue AND status = " + PostgresTaskRows.Queued + " AND not_before <= @now " +
        $"ORDER BY {IndexOrder(strategy)} LIMIT @n FOR UPDATE SKIP LOCKED";

    /// <summary>
    /// One queue, no aging: one statement; nothing when the queue is paused. The chosen ids are a materialized CTE:
    /// written as <c>WHERE id IN (SELECT ... LIMIT n)</c>, the planner may run the subquery more than once (a semi-join
    /// rescanned per row) and so claim more than n rows.
    /// </summary>
    public static string SingleQueue(SchedulingStrategy strategy) =>
        "WITH picked AS MATERIALIZED (SELECT id FROM {s}.tasks WHERE queue = @queue AND status = " + PostgresTaskRows.Queued + " AND not_before <= @now " +
        "AND NOT EXISTS (SELECT 1 FROM {s}.queues WHERE name = @queue AND paused) " +
        $"ORDER BY {IndexOrder(strategy)} LIMIT @n FOR UPDATE SKIP LOCKED) " +
        SetRunning + "FROM picked WHERE tasks.id = picked.id AND tasks.status = " + PostgresTaskRows.Queued + " RETURNING " + ReturnedColumns;

    /// <summary><see cref="PostgresTaskRows.Columns"/> qualified by the table (the claim's UPDATE also reads the CTE).</summary>
    private static readonly string ReturnedColumns = "tasks." + PostgresTaskRows.Columns.Replace(", ", ", tasks.");

    /// <summary>Several queues, or aging: the chosen (and already locked) ids.</summary>
    public const string ByIds = SetRunning + "WHERE id = ANY(@ids) AND status = " + PostgresTaskRows.Queued + " RETURNING " + PostgresTaskRows.Columns;

    /// <summary>The state of a queue for a merge: paused, and its Weighted Random clock.</summary>
    public static readonly string QueueState = "SELECT paused, " + Clock("@queue") + " FROM {s}.queues WHERE name = @queue";

    /// <summary>A merge over several queues raced for <c>@by</c> in each: the queue's clock moves on from <c>@from</c>.</summary>
    public const string AdvanceClock = "UPDATE {s}.queues SET wr_clock = GREATEST(wr_clock, @from + @by) WHERE name = @queue";

    /// <summary>Aging: the next lower priority level that has queued tasks (one index seek).</summary>
    public const string NextLevel =
        "SELECT priority FROM {s}.tasks WHERE queue = @queue AND status = " + PostgresTaskRows.Queued +
        " AND priority < @below ORDER BY priority DESC LIMIT 1";

    /// <summary>Aging: the oldest ready tasks of one level, locked.</summary>
    public const string LevelHeads =
        "SELECT " + CandidateColumns + " FROM {s}.tasks WHERE queue = @queue AND status = " + PostgresTaskRows.Queued +
        " AND priority = @priority AND not_before <= @now ORDER BY priority DESC, not_before, id LIMIT @n FOR UPDATE SKIP LOCKED";

    /// <summary>Aging: the oldest queued task of the queue, for the bound on what aging can add.</summary>
    public const string OldestQueued =
        "SELECT not_before FROM {s}.tasks WHERE queue = @queue AND status = " + PostgresTaskRows.Queued + " ORDER BY not_before, id LIMIT 1";

    public const string CandidateColumns = "id, priority, not_before, wr_key";
}
