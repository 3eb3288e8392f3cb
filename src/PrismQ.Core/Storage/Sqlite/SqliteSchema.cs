namespace PrismQ.Storage.Sqlite;

/// <summary>
/// The schema, versioned in <c>PRAGMA user_version</c> and marked with <c>PRAGMA application_id</c>.
/// Migration <c>n</c> brings a database from version <c>n-1</c> to <c>n</c>; all pending ones run in one transaction.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The version this code writes and understands.</summary>
    public const int CurrentVersion = 7;

    /// <summary>'PrMQ': marks a PrismQ database (<c>PRAGMA application_id</c>).</summary>
    public const int ApplicationId = 0x50724D51;

    /// <summary>The steps, index 0 bringing version 0 to 1.</summary>
    public static readonly string[] Migrations =
    {
        // Version 1: tasks, queues, workers.
        """
        CREATE TABLE queues (
            name      TEXT    NOT NULL PRIMARY KEY,
            paused    INTEGER NOT NULL DEFAULT 0,
            wr_clock  REAL    NOT NULL DEFAULT 0
        );
        CREATE TABLE tasks (
            id                INTEGER PRIMARY KEY AUTOINCREMENT,
            queue             TEXT    NOT NULL,
            type              TEXT    NOT NULL,
            payload           TEXT    NOT NULL,
            priority          INTEGER NOT NULL DEFAULT 0,
            not_before        INTEGER NOT NULL,
            max_attempts      INTEGER NOT NULL,
            attempts          INTEGER NOT NULL DEFAULT 0,
            timeout_ms        INTEGER,
            idempotency_key   TEXT,
            status            INTEGER NOT NULL DEFAULT 0,
            cancel_requested  INTEGER NOT NULL DEFAULT 0,
            lease_owner       TEXT,
            lease_token       BLOB,
            lease_expires_at  INTEGER,
            progress_percent  INTEGER,
            progress_message  TEXT,
            result            TEXT,
            error_message     TEXT,
            error_type        TEXT,
            error_detail      TEXT,
            wr_key            REAL    NOT NULL DEFAULT 0,
            created_at        INTEGER NOT NULL,
            started_at        INTEGER,
            finished_at       INTEGER,
            updated_at        INTEGER NOT NULL
        );
        CREATE INDEX ix_tasks_ready_fifo     ON tasks (queue, not_before, id)                WHERE status = 0;
        CREATE INDEX ix_tasks_ready_priority ON tasks (queue, priority DESC, not_before, id) WHERE status = 0;
        CREATE INDEX ix_tasks_ready_weighted ON tasks (queue, wr_key, not_before)            WHERE status = 0;
        CREATE INDEX ix_tasks_running_lease  ON tasks (lease_expires_at)                     WHERE status = 1;
        CREATE INDEX ix_tasks_queue_status   ON tasks (queue, status);
        CREATE INDEX ix_tasks_finished       ON tasks (finished_at)                          WHERE finished_at IS NOT NULL;
        CREATE UNIQUE INDEX ux_tasks_idempotency_key ON tasks (idempotency_key)              WHERE idempotency_key IS NOT NULL;
        CREATE TABLE workers (
            id                 TEXT    NOT NULL PRIMARY KEY,
            host               TEXT    NOT NULL,
            process_id         INTEGER NOT NULL,
            queues             TEXT    NOT NULL,
            started_at         INTEGER NOT NULL,
            last_heartbeat_at  INTEGER NOT NULL,
            current_task_ids   TEXT    NOT NULL
        );
        """,

        // Version 2: the per-status index leaves queued rows out and orders each status by start time. Queued rows are
        // counted through the ready index instead. A claim used to rewrite the claimed row's (queue, status) entry,
        // which for Weighted Random sits at a random place (ordered by id): at a million queued tasks that random
        // page write made claims 1.5-1.8x dearer. Now a claim appends to the (queue, Running) range.
        """
        DROP INDEX ix_tasks_queue_status;
        CREATE INDEX ix_tasks_queue_status ON tasks (queue, status, started_at) WHERE status <> 0;
        """,

        // Version 3: the history of failed attempts (one row per failed or taken-over attempt, kept across restarts,
        // deleted with its task by a trigger, so every delete and prune path keeps it in step without a foreign key);
        // when a worker's lease was last taken over (its registry row then shows it dead); and queued tasks lose the
        // fields of an earlier attempt (a new attempt starts clean). Existing last errors seed the history.
        """
        CREATE TABLE task_errors (
            id       INTEGER PRIMARY KEY,
            task_id  INTEGER NOT NULL,
            attempt  INTEGER NOT NULL,
            at       INTEGER NOT NULL,
            message  TEXT    NOT NULL,
            type     TEXT,
            detail   TEXT
        );
        CREATE INDEX ix_task_errors_task ON task_errors (task_id, id);
        CREATE TRIGGER tr_tasks_delete_errors AFTER DELETE ON tasks
        BEGIN
            DELETE FROM task_errors WHERE task_id = old.id;
        END;
        INSERT INTO task_errors (task_id, attempt, at, message, type, detail)
            SELECT id, attempts, updated_at, error_message, error_type, error_detail FROM tasks WHERE error_message IS NOT NULL ORDER BY id;
        UPDATE tasks SET lease_owner = NULL, progress_percent = NULL, progress_message = NULL, result = NULL WHERE status = 0;
        ALTER TABLE workers ADD COLUMN taken_over_at INTEGER;
        """,

        // Version 4: fewer index writes per claim and none per heartbeat. The index on running tasks' lease expiry was
        // rewritten by every claim, every heartbeat and every completion; running tasks are few (at most the workers'
        // concurrency and prefetch), so rescues now find them through ix_tasks_queue_status, one seek per queue. A claim
        // writes four index entries instead of five; a heartbeat writes none.
        """
        DROP INDEX ix_tasks_running_lease;
        """,

        // Version 5: the Weighted Random index holds only the queues that are claimed that way. Every queued task sat in
        // it at a random place (its key is random), so every FIFO or Priority claim also rewrote a random page of it:
        // claims of 64 cost about twice as much. A queue is marked weighted at its first Weighted Random claim, which
        // then draws the keys of its queued tasks; until then its tasks carry the key -1, outside the partial index.
        // Queues whose clock has moved were claimed that way before, and stay so.
        """
        ALTER TABLE queues ADD COLUMN weighted INTEGER NOT NULL DEFAULT 0;
        UPDATE queues SET weighted = 1 WHERE wr_clock > 0;
        UPDATE tasks SET wr_key = -1 WHERE status = 0 AND queue NOT IN (SELECT name FROM queues WHERE weighted = 1);
        DROP INDEX ix_tasks_ready_weighted;
        CREATE INDEX ix_tasks_ready_weighted ON tasks (queue, wr_key, not_before) WHERE status = 0 AND wr_key >= 0;
        """,

        // Version 6: the Priority index likewise holds only the queues claimed that way (tasks.pq = 1, set for the queued
        // tasks of a queue at its first Priority claim and for every task that enters a queue marked prioritized). No
        // trace says which queues were claimed by Priority before, so every existing queue stays prioritized.
        """
        ALTER TABLE queues ADD COLUMN prioritized INTEGER NOT NULL DEFAULT 0;
        UPDATE queues SET prioritized = 1;
        ALTER TABLE tasks ADD COLUMN pq INTEGER NOT NULL DEFAULT 0;
        UPDATE tasks SET pq = 1 WHERE status = 0;
        DROP INDEX ix_tasks_ready_priority;
        CREATE INDEX ix_tasks_ready_priority ON tasks (queue, priority DESC, not_before, id) WHERE status = 0 AND pq = 1;
        """,

        // Version 7: the output of attempts (the warning, verbose, debug and information records a handler wrote, at
        // most 100 per attempt), written with the attempt's transition, kept across restarts, and deleted with its task
        // by a trigger, as task_errors is. Stream values are TaskOutputStream's (PowerShell's stream numbers).
        """
        CREATE TABLE task_output (
            id       INTEGER PRIMARY KEY,
            task_id  INTEGER NOT NULL,
            attempt  INTEGER NOT NULL,
            at       INTEGER NOT NULL,
            stream   INTEGER NOT NULL,
            text     TEXT    NOT NULL
        );
        CREATE INDEX ix_task_output_task ON task_output (task_id, id);
        CREATE TRIGGER tr_tasks_delete_output AFTER DELETE ON tasks
        BEGIN
            DELETE FROM task_output WHERE task_id = old.id;
        END;
        """,
    };
}
