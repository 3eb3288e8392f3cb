using System;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks.Storage;

/// <summary>
/// The raw baseline on the simplest queue schema: not PrismQ's schema, but the least a durable SQLite queue needs.
/// One table (id, queue, payload, status, not_before, attempts, lease_token, lease_expires_at, result) and ONE partial
/// index on the ready rows, <c>(queue, not_before, id) WHERE status = 0</c>, so a claim reads the first ready row from
/// that index and a claimed row leaves it. The connection uses the store's PRAGMAs (WAL, synchronous NORMAL or FULL,
/// the same cache and mmap sizes) and checkpoints as the store does (the same <see cref="WalCheckpointer"/> thread and
/// backstop), prepared statements, and reads every column of each claimed row.
/// </summary>
/// <remarks>
/// Two loops, both measured by <see cref="Workers.WorkerReport"/>:
/// <see cref="ClaimOneCompleteOne"/> is one claim (<c>UPDATE … WHERE id IN (SELECT … LIMIT 1) RETURNING</c> under
/// <c>BEGIN IMMEDIATE</c>, committed) then one conditional complete (its own commit): two commits per task, the most a
/// worker that neither prefetches nor groups its commits can reach. <see cref="ClaimBatchCompleteBatch"/> claims up to
/// 32 in one transaction and completes those 32 in a second: two commits per 32 tasks, the ceiling of batching.
/// </remarks>
internal sealed class RawQueue : IDisposable
{
    /// <summary>Tasks per claim and per complete transaction in the batched loop.</summary>
    public const int BatchSize = 32;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS tasks (
            id INTEGER PRIMARY KEY,
            queue TEXT NOT NULL,
            payload TEXT NOT NULL,
            status INTEGER NOT NULL DEFAULT 0,
            not_before INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_token BLOB,
            lease_expires_at INTEGER,
            result TEXT
        );
        CREATE INDEX IF NOT EXISTS ix_tasks_ready ON tasks (queue, not_before, id) WHERE status = 0;
        """;

    private const string ClaimSql = """
        UPDATE tasks
           SET status = 1, attempts = attempts + 1, lease_token = randomblob(16), lease_expires_at = $expires
         WHERE id IN (SELECT id FROM tasks
                       WHERE queue = $queue AND status = 0 AND not_before <= $now
                       ORDER BY not_before, id
                       LIMIT $n)
        RETURNING id, queue, payload, status, not_before, attempts, lease_token, lease_expires_at
        """;

    private const string CompleteSql = """
        UPDATE tasks
           SET status = 2, result = $result, lease_token = NULL, lease_expires_at = NULL
         WHERE id = $id AND status = 1 AND lease_token = $token
        """;

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _claim;
    private readonly SqliteCommand _complete;
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;
    private readonly WalCheckpointer _checkpointer;
    private readonly object[] _row = new object[8];
    private readonly long[] _ids = new long[BatchSize];
    private readonly byte[][] _tokens = new byte[BatchSize][];

    public RawQueue(string path, Durability durability)
    {
        _connection = RawSqlite.OpenLikeTheStore(path, durability);
        SqliteCommands.Execute(_connection, Schema);
        _checkpointer = new WalCheckpointer(_connection, path, durability);

        _insert = RawSqlite.Prepare(_connection, "INSERT INTO tasks (queue, payload, not_before) VALUES ($queue, $payload, $not_before)", "$queue", "$payload", "$not_before");
        _insert.Parameters["$queue"].Value = "default";
        _claim = RawSqlite.Prepare(_connection, ClaimSql, "$expires", "$queue", "$now", "$n");
        _claim.Parameters["$queue"].Value = "default";
        _complete = RawSqlite.Prepare(_connection, CompleteSql, "$result", "$id", "$token");
        _complete.Parameters["$result"].Value = DBNull.Value;
        _begin = RawSqlite.Prepare(_connection, "BEGIN IMMEDIATE");
        _commit = RawSqlite.Prepare(_connection, "COMMIT");
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>The SQLite library's version, for the report's header.</summary>
    public string SqliteVersion => _connection.ServerVersion;

    /// <summary>The claim's query plan (to check it reads the partial index), one line per step.</summary>
    public string ClaimPlan()
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + ClaimSql;
        command.Parameters.AddWithValue("$expires", 0);
        command.Parameters.AddWithValue("$queue", "default");
        command.Parameters.AddWithValue("$now", 0);
        command.Parameters.AddWithValue("$n", 1);
        using SqliteDataReader reader = command.ExecuteReader();
        var text = new System.Text.StringBuilder();
        while (reader.Read()) text.Append(reader.GetString(3)).Append("; ");
        return text.ToString();
    }

    /// <summary><paramref name="count"/> ready tasks, inserted in one transaction (setup, not measured).</summary>
    public void InsertMany(int count, string payload)
    {
        _begin.ExecuteNonQuery();
        _insert.Parameters["$payload"].Value = payload;
        _insert.Parameters["$not_before"].Value = Now;
        for (int i = 0; i < count; i++) _insert.ExecuteNonQuery();
        _commit.ExecuteNonQuery();
        _checkpointer.AfterWork();
    }

    /// <summary>
    /// Claims up to <paramref name="n"/> ready tasks in one committed <c>BEGIN IMMEDIATE</c> transaction, reading every
    /// column of each; their ids and lease tokens go to <see cref="_ids"/> and <see cref="_tokens"/>. Returns how many.
    /// </summary>
    private int Claim(int n)
    {
        long now = Now;
        _claim.Parameters["$expires"].Value = now + 30_000;
        _claim.Parameters["$now"].Value = now;
        _claim.Parameters["$n"].Value = n;
        int claimed = 0;
        _begin.ExecuteNonQuery();
        using (SqliteDataReader reader = _claim.ExecuteReader())
        {
            while (reader.Read())
            {
                reader.GetValues(_row); // the whole row, as a worker needs it (payload, attempts, lease, ...)
                _ids[claimed] = (long)_row[0];
                _tokens[claimed] = (byte[])_row[6];
                claimed++;
            }
        }

        _commit.ExecuteNonQuery();
        _checkpointer.AfterWork();
        return claimed;
    }

    private int Complete(int index)
    {
        _complete.Parameters["$id"].Value = _ids[index];
        _complete.Parameters["$token"].Value = _tokens[index];
        return _complete.ExecuteNonQuery();
    }

    /// <summary>Loop (a): claim one (committed), complete it (committed): two commits per task. False when none is ready.</summary>
    public bool ClaimOneCompleteOne()
    {
        if (Claim(1) == 0) return false;
        if (Complete(0) != 1) throw new InvalidOperationException($"task {_ids[0]} was not completed");
        _checkpointer.AfterWork();
        return true;
    }

    /// <summary>Loop (b): claim up to 32 (one commit), complete them in one transaction (one commit). Returns how many (0 when none is ready).</summary>
    public int ClaimBatchCompleteBatch()
    {
        int claimed = Claim(BatchSize);
        if (claimed == 0) return 0;
        _begin.ExecuteNonQuery();
        int completed = 0;
        for (int i = 0; i < claimed; i++) completed += Complete(i);
        _commit.ExecuteNonQuery();
        _checkpointer.AfterWork();
        if (completed != claimed) throw new InvalidOperationException($"completed {completed} of {claimed} claimed tasks");
        return claimed;
    }

    /// <summary>Tasks in each status (0 ready, 1 running, 2 done), to check a loop ran every task exactly once.</summary>
    public (long Ready, long Running, long Done, long MaxAttempts) Counts()
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = "SELECT sum(status = 0), sum(status = 1), sum(status = 2), max(attempts) FROM tasks";
        using SqliteDataReader reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }

    public void Dispose()
    {
        _checkpointer.Dispose();
        _insert.Dispose();
        _claim.Dispose();
        _complete.Dispose();
        _begin.Dispose();
        _commit.Dispose();
        _connection.Dispose();
    }
}
