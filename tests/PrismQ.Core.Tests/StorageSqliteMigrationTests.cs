using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using PrismQ.Storage.Sqlite;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>Schema migrations on a real older database, and the plans of the statements version 2 changed.</summary>
public sealed class StorageSqliteMigrationTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static List<string> Column(string db, string sql, int column = 0)
    {
        using SqliteConnection c = RawDb.Open(db);
        using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        var values = new List<string>();
        using SqliteDataReader r = cmd.ExecuteReader();
        while (r.Read()) values.Add(Convert.ToString(r.GetValue(column), System.Globalization.CultureInfo.InvariantCulture)!);
        return values;
    }

    /// <summary>A new database file at schema <paramref name="version"/>, as that version's PrismQ created it.</summary>
    private string DatabaseAt(int version)
    {
        string db = _folder.File($"v{version}.db");
        RawDb.Exec(db, "PRAGMA journal_mode = WAL; " + string.Concat(SqliteSchema.Migrations.Take(version)) +
                 $"PRAGMA application_id = {SqliteSchema.ApplicationId}; PRAGMA user_version = {version};");
        return db;
    }

    [Fact]
    public async Task A_version_1_database_is_migrated_to_the_current_version_and_keeps_its_tasks()
    {
        string db = DatabaseAt(1);
        RawDb.Exec(db, "INSERT INTO queues (name) VALUES ('default');" +
                 "INSERT INTO tasks (queue, type, payload, not_before, max_attempts, created_at, updated_at) VALUES ('default', 'old', '{}', 0, 5, 0, 0);" +
                 "INSERT INTO tasks (queue, type, payload, not_before, max_attempts, status, started_at, finished_at, created_at, updated_at) VALUES ('default', 'done', '{}', 0, 5, 2, 1, 2, 0, 2);");
        Assert.Equal(new[] { "queue", "status" }, Column(db, "SELECT name FROM pragma_index_info('ix_tasks_queue_status')"));

        using (SqliteTaskStore store = SqliteTaskStore.Open(db))
        {
            Assert.Equal((long)SqliteSchema.CurrentVersion, store.PragmaValue("user_version"));
            QueueStats stats = (await store.GetQueueStatsAsync(new[] { QueueNames.Default })).Single();
            Assert.Equal(1, stats.Queued);
            Assert.Equal(1, stats.Succeeded);
            TaskRecord claimed = (await store.ClaimAsync(new ClaimRequest("w"))).Single();
            Assert.Equal("old", claimed.Type);
        }

        Assert.Equal(new[] { "queue", "status", "started_at" }, Column(db, "SELECT name FROM pragma_index_info('ix_tasks_queue_status')"));
        Assert.Contains("WHERE status <> 0", Column(db, "SELECT sql FROM sqlite_master WHERE name = 'ix_tasks_queue_status'").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_2_database_gets_the_error_history_seeded_from_last_errors_and_clean_queued_tasks()
    {
        string db = DatabaseAt(2);
        RawDb.Exec(db, "INSERT INTO queues (name) VALUES ('default');" +
                 // A failed task with its last error; a queued one (given back) still showing its old worker and progress.
                 "INSERT INTO tasks (queue, type, payload, not_before, max_attempts, attempts, status, lease_owner, error_message, error_type, error_detail, finished_at, created_at, updated_at) " +
                 "VALUES ('default', 'bad', '{}', 0, 1, 1, 3, 'w-old', 'it broke', 'System.Exception', 'at x', 5, 0, 5);" +
                 "INSERT INTO tasks (queue, type, payload, not_before, max_attempts, status, lease_owner, progress_percent, progress_message, created_at, updated_at) " +
                 "VALUES ('default', 'again', '{}', 0, 5, 0, 'w-old', 50, 'half', 0, 0);" +
                 "INSERT INTO workers (id, host, process_id, queues, started_at, last_heartbeat_at, current_task_ids) VALUES ('w-old', 'h', 1, '[]', 0, 0, '[]');");

        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        Assert.Equal((long)SqliteSchema.CurrentVersion, store.PragmaValue("user_version"));
        TaskRecord bad = (await store.GetAsync(1))!;
        TaskAttemptError seeded = Assert.Single(bad.Errors);
        Assert.Equal(1, seeded.Attempt);
        Assert.Equal("it broke", seeded.Message);
        Assert.Equal("System.Exception", seeded.Type);
        Assert.Equal("at x", seeded.Detail);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(5), seeded.At);
        Assert.Equal("w-old", bad.LeaseOwner); // a finished task keeps who ran it last
        TaskRecord again = (await store.GetAsync(2))!;
        Assert.Null(again.LeaseOwner);
        Assert.Null(again.ProgressPercent);
        Assert.Null(again.ProgressMessage);
        Assert.Empty(again.Errors);
        Assert.Null(Assert.Single(await store.ListWorkersAsync()).TakenOverAt);
        Assert.True(await store.DeleteAsync(1));
        Assert.Equal(new[] { "0" }, Column(db, "SELECT COUNT(*) FROM task_errors"));
    }

    [Fact]
    public async Task Queue_statistics_count_every_status_from_the_two_indexes()
    {
        string db = _folder.File("stats.db");
        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        await store.EnqueueManyAsync(Enumerable.Range(0, 7).Select(_ => new EnqueueRequest("t")));
        await store.EnqueueAsync(new EnqueueRequest("later") { Delay = TimeSpan.FromHours(1) });
        IReadOnlyList<TaskRecord> claimed = await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 4 });
        await store.CompleteAsync(claimed[0].Id, claimed[0].LeaseToken!.Value);
        await store.FailAsync(claimed[1].Id, claimed[1].LeaseToken!.Value, new TaskError("x"), new RetryPolicy());
        await store.CancelAsync((await store.EnqueueAsync(new EnqueueRequest("c"))).Task.Id);

        QueueStats stats = (await store.GetQueueStatsAsync(new[] { QueueNames.Default })).Single();
        // 7 + 1 delayed + 1 cancelled enqueued; 4 claimed: 1 succeeded, 1 failed back to the queue (retry), 2 running.
        Assert.Equal(3 + 1 + 1, stats.Queued);
        Assert.Equal(2, stats.Scheduled);
        Assert.Equal(2, stats.Running);
        Assert.Equal(1, stats.Succeeded);
        Assert.Equal(0, stats.Failed);
        Assert.Equal(1, stats.Cancelled);
    }

    [Theory]
    [InlineData(TaskStatus.Failed)]
    [InlineData(TaskStatus.Succeeded)]
    [InlineData(TaskStatus.Running)]
    public async Task A_query_by_a_status_other_than_queued_uses_the_status_index(TaskStatus status)
    {
        string db = _folder.File("plan.db");
        using (SqliteTaskStore store = SqliteTaskStore.Open(db))
        {
            await store.EnqueueManyAsync(Enumerable.Range(0, 500).Select(_ => new EnqueueRequest("t")));
        }

        using SqliteConnection connection = RawDb.Open(db);
        using SqliteCommand command = connection.CreateCommand();
        var query = new TaskQuery { Filter = new TaskFilter { Queue = QueueNames.Default, Statuses = new[] { status } } };
        var sql = new System.Text.StringBuilder("EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE 1 = 1");
        TaskFilterSql.Append(query.Filter, sql, command);
        command.CommandText = sql.ToString();
        var plan = new List<string>();
        using (SqliteDataReader r = command.ExecuteReader())
        {
            while (r.Read()) plan.Add(r.GetString(3));
        }
        Assert.Contains("ix_tasks_queue_status", string.Join(" | ", plan), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_version_3_database_loses_the_lease_expiry_index_and_still_rescues_expired_leases()
    {
        string db = DatabaseAt(3);
        // A task running under a lease that expired long ago, and one whose lease is current.
        RawDb.Exec(db, "INSERT INTO queues (name) VALUES ('default');" +
                 "INSERT INTO tasks (queue, type, payload, not_before, max_attempts, attempts, status, lease_owner, lease_token, lease_expires_at, started_at, created_at, updated_at) " +
                 "VALUES ('default', 'lost', '{}', 0, 5, 1, 1, 'w-old', randomblob(16), 1, 1, 0, 1);" +
                 "INSERT INTO tasks (queue, type, payload, not_before, max_attempts, attempts, status, lease_owner, lease_token, lease_expires_at, started_at, created_at, updated_at) " +
                 "VALUES ('default', 'held', '{}', 0, 5, 1, 1, 'w-live', randomblob(16), 99999999999999, 1, 0, 1);");
        Assert.Single(Column(db, "SELECT name FROM sqlite_master WHERE name = 'ix_tasks_running_lease'"));

        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        Assert.Equal((long)SqliteSchema.CurrentVersion, store.PragmaValue("user_version"));
        Assert.Empty(Column(db, "SELECT name FROM sqlite_master WHERE name = 'ix_tasks_running_lease'"));
        ReclaimResult reclaimed = await store.ReclaimExpiredAsync();
        Assert.Equal(1, reclaimed.Requeued);
        Assert.Equal(TaskStatus.Queued, (await store.GetAsync(1))!.Status);
        Assert.Equal(TaskStatus.Running, (await store.GetAsync(2))!.Status);
        Assert.Equal("PrismQ.LeaseExpired", Assert.Single((await store.GetAsync(1))!.Errors).Type);
    }

    [Theory]
    [InlineData("AND lease_expires_at < 0")]
    [InlineData("AND lease_owner = 'w'")]
    public async Task Reading_the_leases_to_rescue_seeks_the_status_index_per_queue(string condition)
    {
        string db = _folder.File("leases-plan.db");
        using (SqliteTaskStore store = SqliteTaskStore.Open(db))
        {
            await store.EnqueueManyAsync(Enumerable.Range(0, 500).Select(_ => new EnqueueRequest("t")));
            await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 10 });
        }

        List<string> plan = Column(db, "EXPLAIN QUERY PLAN " + SqliteTaskStore.LeaseColumnsSql + condition, column: 3);
        Assert.Contains("SEARCH tasks USING INDEX ix_tasks_queue_status (queue=? AND status=?)", string.Join(" | ", plan), StringComparison.Ordinal);
    }

    [Fact]
    public void Status_values_in_sql_are_the_enum_values()
    {
        Assert.Equal(SqliteStatus.Queued, ((int)TaskStatus.Queued).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(SqliteStatus.Running, ((int)TaskStatus.Running).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(SqliteStatus.Succeeded, ((int)TaskStatus.Succeeded).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(SqliteStatus.Failed, ((int)TaskStatus.Failed).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(SqliteStatus.Cancelled, ((int)TaskStatus.Cancelled).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_version_4_database_keeps_weighted_keys_only_for_queues_claimed_that_way()
    {
        string db = DatabaseAt(4);
        // 'w' was claimed by Weighted Random before (its clock moved); 'f' never was.
        RawDb.Exec(db, "INSERT INTO queues (name, wr_clock) VALUES ('w', 2.5), ('f', 0);" +
                 "INSERT INTO tasks (queue, type, payload, not_before, max_attempts, wr_key, created_at, updated_at) VALUES " +
                 "('w', 't', '{}', 0, 5, 3.0, 0, 0), ('f', 't', '{}', 0, 5, 0.7, 0, 0);");

        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        Assert.Equal((long)SqliteSchema.CurrentVersion, store.PragmaValue("user_version"));
        Assert.Equal(new[] { "1", "0" }, Column(db, "SELECT weighted FROM queues ORDER BY name DESC"));
        Assert.Equal(new[] { "3", "-1" }, Column(db, "SELECT wr_key FROM tasks ORDER BY id"));
        Assert.Contains("wr_key >= 0", Column(db, "SELECT sql FROM sqlite_master WHERE name = 'ix_tasks_ready_weighted'").Single(), StringComparison.Ordinal);
        // Both are still claimed by Weighted Random: the first such claim of 'f' draws its key.
        Assert.Single(await store.ClaimAsync(new ClaimRequest("x") { Queues = new[] { "w" }, Strategy = SchedulingStrategy.WeightedRandom }));
        Assert.Single(await store.ClaimAsync(new ClaimRequest("x") { Queues = new[] { "f" }, Strategy = SchedulingStrategy.WeightedRandom }));
    }

    [Fact]
    public async Task A_queue_stays_out_of_the_weighted_index_until_its_first_weighted_random_claim()
    {
        string db = _folder.File("lazy.db");
        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        await store.EnqueueManyAsync(Enumerable.Range(0, 10).Select(i => new EnqueueRequest("t") { Priority = i % 3 }));
        const string InIndex = "SELECT COUNT(*) FROM tasks INDEXED BY ix_tasks_ready_weighted WHERE queue = 'default' AND status = 0 AND wr_key >= 0";
        Assert.Equal(new[] { "0" }, Column(db, InIndex));

        // FIFO claims and a retry leave it out.
        TaskRecord fifo = (await store.ClaimAsync(new ClaimRequest("w"))).Single();
        await store.FailAsync(fifo.Id, fifo.LeaseToken!.Value, new TaskError("again"), new RetryPolicy { BaseDelay = TimeSpan.Zero });
        Assert.Equal(new[] { "0" }, Column(db, InIndex));

        // The first Weighted Random claim draws every queued task's key, in its own transaction.
        Assert.Equal(3, (await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 3, Strategy = SchedulingStrategy.WeightedRandom })).Count);
        Assert.Equal(new[] { "7" }, Column(db, InIndex));
        await store.EnqueueAsync(new EnqueueRequest("t"));
        Assert.Equal(new[] { "8" }, Column(db, InIndex));
        Assert.Equal(8, (await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 100, Strategy = SchedulingStrategy.WeightedRandom })).Count);
    }

    [Fact]
    public async Task A_version_5_database_keeps_every_queue_in_the_priority_index()
    {
        string db = DatabaseAt(5);
        RawDb.Exec(db, "INSERT INTO queues (name) VALUES ('default');" +
                 "INSERT INTO tasks (queue, type, payload, priority, not_before, max_attempts, created_at, updated_at) VALUES " +
                 "('default', 'low', '{}', 1, 0, 5, 0, 0), ('default', 'high', '{}', 9, 0, 5, 0, 0);");

        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        Assert.Equal((long)SqliteSchema.CurrentVersion, store.PragmaValue("user_version"));
        Assert.Equal(new[] { "1" }, Column(db, "SELECT prioritized FROM queues"));
        Assert.Equal(new[] { "2" }, Column(db, "SELECT COUNT(*) FROM tasks INDEXED BY ix_tasks_ready_priority WHERE queue = 'default' AND status = 0 AND pq = 1"));
        Assert.Equal("high", (await store.ClaimAsync(new ClaimRequest("w") { Strategy = SchedulingStrategy.Priority })).Single().Type);
    }

    [Fact]
    public async Task A_queue_stays_out_of_the_priority_index_until_its_first_priority_claim()
    {
        string db = _folder.File("lazy-priority.db");
        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        await store.EnqueueManyAsync(Enumerable.Range(0, 10).Select(i => new EnqueueRequest("p" + i) { Priority = i }));
        const string InIndex = "SELECT COUNT(*) FROM tasks INDEXED BY ix_tasks_ready_priority WHERE queue = 'default' AND status = 0 AND pq = 1";
        Assert.Equal(new[] { "0" }, Column(db, InIndex));

        // FIFO claims and a retry leave it out.
        TaskRecord fifo = (await store.ClaimAsync(new ClaimRequest("w"))).Single();
        Assert.Equal("p0", fifo.Type);
        await store.FailAsync(fifo.Id, fifo.LeaseToken!.Value, new TaskError("again"), new RetryPolicy { BaseDelay = TimeSpan.Zero });
        Assert.Equal(new[] { "0" }, Column(db, InIndex));

        // The first Priority claim puts every queued task in, and claims the highest first.
        TaskRecord first = (await store.ClaimAsync(new ClaimRequest("w") { Strategy = SchedulingStrategy.Priority })).Single();
        Assert.Equal("p9", first.Type);
        Assert.Equal(new[] { "9" }, Column(db, InIndex));
        // Tasks that enter later, or come back, are in it too.
        await store.EnqueueAsync(new EnqueueRequest("p20") { Priority = 20 });
        Assert.Equal(LeaseOutcome.Applied, await store.ReleaseAsync(first.Id, first.LeaseToken!.Value));
        Assert.Equal(new[] { "11" }, Column(db, InIndex));
        Assert.Equal(new[] { "p20", "p9", "p8" },
            (await store.ClaimAsync(new ClaimRequest("w") { Strategy = SchedulingStrategy.Priority, MaxCount = 3 })).Select(t => t.Type));
        // With aging, too.
        TaskRecord aged = (await store.ClaimAsync(new ClaimRequest("w") { Strategy = SchedulingStrategy.Priority, PriorityAging = TimeSpan.FromHours(1) })).Single();
        Assert.Equal("p7", aged.Type);
    }

    [Fact]
    public async Task A_version_6_database_gets_the_output_table_and_keeps_its_tasks_and_error_history()
    {
        string db = DatabaseAt(6);
        RawDb.Exec(db, "INSERT INTO queues (name) VALUES ('default');" +
                 "INSERT INTO tasks (queue, type, payload, not_before, max_attempts, attempts, status, error_message, finished_at, created_at, updated_at) " +
                 "VALUES ('default', 'bad', '{}', 0, 1, 1, 3, 'it broke', 5, 0, 5);" +
                 "INSERT INTO task_errors (task_id, attempt, at, message) VALUES (1, 1, 5, 'it broke');" +
                 "INSERT INTO tasks (queue, type, payload, not_before, max_attempts, pq, created_at, updated_at) VALUES ('default', 'next', '{}', 0, 5, 1, 0, 0);");
        Assert.Empty(Column(db, "SELECT name FROM sqlite_master WHERE name = 'task_output'"));

        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        Assert.Equal((long)SqliteSchema.CurrentVersion, store.PragmaValue("user_version"));
        Assert.Equal(new[] { "task_id", "id" }, Column(db, "SELECT name FROM pragma_index_info('ix_task_output_task')"));
        TaskRecord bad = (await store.GetAsync(1))!;
        Assert.Equal("it broke", Assert.Single(bad.Errors).Message);
        Assert.Empty(bad.Output);

        // The migrated database takes output with a transition, and its trigger deletes it with the task.
        TaskRecord next = (await store.ClaimAsync(new ClaimRequest("w"))).Single();
        var output = new[] { new TaskOutputRecord(1, DateTimeOffset.FromUnixTimeMilliseconds(7), TaskOutputStream.Verbose, "done") };
        await store.ApplyTransitionsAsync(new[] { LeaseTransition.Succeed(next.Id, next.LeaseToken!.Value, null).WithOutput(output) });
        TaskOutputRecord kept = Assert.Single((await store.GetAsync(next.Id))!.Output);
        Assert.Equal((1, DateTimeOffset.FromUnixTimeMilliseconds(7), TaskOutputStream.Verbose, "done"), (kept.Attempt, kept.At, kept.Stream, kept.Text));
        Assert.Equal(new[] { "4" }, Column(db, "SELECT stream FROM task_output"));
        Assert.True(await store.DeleteAsync(next.Id));
        Assert.Equal(new[] { "0" }, Column(db, "SELECT COUNT(*) FROM task_output"));
    }
}
