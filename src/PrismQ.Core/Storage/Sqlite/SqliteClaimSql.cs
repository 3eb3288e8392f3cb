using PrismQ.Scheduling;

namespace PrismQ.Storage.Sqlite;

/// <summary>
/// The SQL of a claim. Every statement walks one of the partial indexes on ready tasks (<c>WHERE status = 0</c>, queued) in
/// the strategy's order and stops after <c>$n</c> rows: none sorts the backlog (a test checks the query plans).
/// </summary>
internal static class SqliteClaimSql
{
    /// <summary>A new attempt starts clean: no progress, result or last error of an earlier attempt (the error history keeps those).</summary>
    public const string SetRunning =
        "UPDATE tasks SET status = " + SqliteStatus.Running + ", attempts = attempts + 1, lease_owner = $owner, lease_token = randomblob(16), " +
        "lease_expires_at = $expires, started_at = $now, updated_at = $now, progress_percent = NULL, progress_message = NULL, " +
        "result = NULL, error_message = NULL, error_type = NULL, error_detail = NULL ";

    /// <summary>The Weighted Random key of a task whose queue is not claimed that way: below every real key, outside the weighted index.</summary>
    public const string UnweightedKey = "-1";

    /// <summary>The condition of the weighted index (its partial WHERE beside the status), repeated by the queries that walk it.</summary>
    public const string WeightedIndexed = "wr_key >= 0";

    /// <summary>Marks the queue weighted (at its first Weighted Random claim); one row changed means its queued tasks need keys.</summary>
    public const string MarkWeighted = "UPDATE queues SET weighted = 1 WHERE name = $queue AND weighted = 0";

    /// <summary>Draws the keys of a newly weighted queue's queued tasks, as if each had just entered it.</summary>
    public const string DrawKeys =
        "UPDATE tasks SET wr_key = (SELECT wr_clock FROM queues WHERE name = $queue) + prismq_exp() * " + WeightedRandomRule.InverseWeightSql + " " +
        "WHERE queue = $queue AND status = " + SqliteStatus.Queued;

    /// <summary>The condition of the Priority index (its partial WHERE beside the status), repeated by the queries that walk it.</summary>
    public const string PriorityIndexed = "pq = 1";

    /// <summary>Marks the queue prioritized (at its first Priority claim); one row changed means its queued tasks need marking.</summary>
    public const string MarkPrioritized = "UPDATE queues SET prioritized = 1 WHERE name = $queue AND prioritized = 0";

    /// <summary>Puts a newly prioritized queue's queued tasks into the Priority index.</summary>
    public const string MarkQueuedPrioritized = "UPDATE tasks SET pq = 1 WHERE queue = $queue AND status = " + SqliteStatus.Queued;

    /// <summary>The <c>pq</c> of a task (re-)entering its queue: 1 when the queue is claimed by Priority.</summary>
    public const string EnteringPq = "COALESCE((SELECT prioritized FROM queues WHERE name = tasks.queue), 0)";

    /// <summary>The extra condition of a strategy's ready rows: Weighted Random and Priority walk only their partial indexes.</summary>
    public static string ReadyCondition(SchedulingStrategy strategy) => strategy switch
    {
        SchedulingStrategy.WeightedRandom => " AND " + WeightedIndexed,
        SchedulingStrategy.Priority => " AND " + PriorityIndexed,
        _ => "",
    };

    /// <summary>The index order of a strategy (the order in which its ready tasks are claimed).</summary>
    public static string IndexOrder(SchedulingStrategy strategy) => strategy switch
    {
        SchedulingStrategy.Lifo => "not_before DESC, id DESC",
        SchedulingStrategy.Priority => "priority DESC, not_before, id",
        SchedulingStrategy.WeightedRandom => "wr_key",
        _ => "not_before, id",
    };

    /// <summary>
    /// The index a strategy walks. Named with <c>INDEXED BY</c>: with statistics showing most tasks ready, SQLite's
    /// planner may otherwise prefer the not-before range of the FIFO index and sort what it finds.
    /// </summary>
    public static string Index(SchedulingStrategy strategy) => strategy switch
    {
        SchedulingStrategy.Priority => "ix_tasks_ready_priority",
        SchedulingStrategy.WeightedRandom => "ix_tasks_ready_weighted",
        _ => "ix_tasks_ready_fifo",
    };

    /// <summary>The ready tasks of one queue in strategy order (the subquery of a single-queue claim, and a merge's candidates).</summary>
    public static string ReadySelect(SchedulingStrategy strategy, string columns) =>
        $"SELECT {columns} FROM tasks INDEXED BY {Index(strategy)} WHERE queue = $queue AND status = {SqliteStatus.Queued}{ReadyCondition(strategy)} AND not_before <= $now ORDER BY {IndexOrder(strategy)} LIMIT $n";

    /// <summary>One queue: one statement.</summary>
    public static string SingleQueue(SchedulingStrategy strategy) =>
        SetRunning +
        $"WHERE id IN (SELECT id FROM tasks INDEXED BY {Index(strategy)} WHERE queue = $queue AND status = {SqliteStatus.Queued}{ReadyCondition(strategy)} AND not_before <= $now " +
        "AND NOT EXISTS (SELECT 1 FROM queues WHERE name = $queue AND paused = 1) " +
        $"ORDER BY {IndexOrder(strategy)} LIMIT $n) RETURNING {TaskRows.Columns}";

    /// <summary>Several queues: the chosen ids.</summary>
    public const string ByIds = SetRunning + "WHERE id IN (SELECT value FROM json_each($ids)) AND status = " + SqliteStatus.Queued + " RETURNING " + TaskRows.Columns;

    /// <summary>Aging: the next lower priority level that has queued tasks (one index seek).</summary>
    public const string NextLevel =
        "SELECT priority FROM tasks INDEXED BY ix_tasks_ready_priority WHERE queue = $queue AND status = " + SqliteStatus.Queued + " AND " + PriorityIndexed +
        " AND priority < $below ORDER BY priority DESC LIMIT 1";

    /// <summary>Aging: the oldest ready tasks of one level.</summary>
    public const string LevelHeads =
        "SELECT id, priority, not_before, wr_key FROM tasks INDEXED BY ix_tasks_ready_priority WHERE queue = $queue AND status = " + SqliteStatus.Queued + " AND " + PriorityIndexed +
        " AND priority = $priority AND not_before <= $now " +
        "ORDER BY not_before, id LIMIT $n";

    /// <summary>Aging: the oldest queued task of the queue, for the bound on what aging can add.</summary>
    public const string OldestQueued = "SELECT not_before FROM tasks INDEXED BY ix_tasks_ready_fifo WHERE queue = $queue AND status = " + SqliteStatus.Queued + " ORDER BY not_before LIMIT 1";

    public const string CandidateColumns = "id, priority, not_before, wr_key";
}
