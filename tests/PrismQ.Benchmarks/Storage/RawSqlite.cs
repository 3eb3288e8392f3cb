using System;
using Microsoft.Data.Sqlite;

namespace PrismQ.Benchmarks.Storage;

/// <summary>
/// The raw Microsoft.Data.Sqlite baseline: one connection on a database whose schema PrismQ created, with the same
/// PRAGMAs, doing the same SQL work by hand with prepared commands. No validation, no tracing, no retry.
/// </summary>
internal sealed class RawSqlite : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _claim;
    private readonly SqliteCommand _complete;

    public RawSqlite(string path, Durability durability)
    {
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _connection.Open();
        Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=" + (durability == Durability.Full ? "FULL" : "NORMAL") +
                "; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=134217728; PRAGMA cache_size=-20000;");

        _insert = _connection.CreateCommand();
        _insert.CommandText =
            "INSERT INTO tasks (queue, type, payload, priority, not_before, max_attempts, wr_key, created_at, updated_at) " +
            "VALUES ('default', 'bench', $payload, 0, $now, 5, 0, $now, $now)";
        _insert.Parameters.Add("$payload", SqliteType.Text);
        _insert.Parameters.Add("$now", SqliteType.Integer);
        _insert.Prepare();

        _claim = _connection.CreateCommand();
        _claim.CommandText =
            "UPDATE tasks SET status = 1, attempts = attempts + 1, lease_owner = 'raw', lease_token = randomblob(16), " +
            "lease_expires_at = $expires, started_at = $now, updated_at = $now " +
            "WHERE id = (SELECT id FROM tasks WHERE queue = 'default' AND status = 0 AND not_before <= $now ORDER BY not_before, id LIMIT 1) " +
            "RETURNING id, lease_token";
        _claim.Parameters.Add("$expires", SqliteType.Integer);
        _claim.Parameters.Add("$now", SqliteType.Integer);
        _claim.Prepare();

        _complete = _connection.CreateCommand();
        _complete.CommandText =
            "UPDATE tasks SET status = 2, result = NULL, finished_at = $now, updated_at = $now, lease_token = NULL, lease_expires_at = NULL " +
            "WHERE id = $id AND status = 1 AND lease_token = $token";
        _complete.Parameters.Add("$now", SqliteType.Integer);
        _complete.Parameters.Add("$id", SqliteType.Integer);
        _complete.Parameters.Add("$token", SqliteType.Blob);
        _complete.Prepare();
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>One prepared INSERT in its own (autocommit) transaction.</summary>
    public void InsertOne(string payload)
    {
        _insert.Parameters[0].Value = payload;
        _insert.Parameters[1].Value = Now;
        _insert.ExecuteNonQuery();
    }

    /// <summary><paramref name="count"/> prepared INSERTs in one transaction.</summary>
    public void InsertMany(int count, string payload)
    {
        using SqliteTransaction tx = _connection.BeginTransaction();
        _insert.Transaction = tx;
        _insert.Parameters[0].Value = payload;
        _insert.Parameters[1].Value = Now;
        for (int i = 0; i < count; i++) _insert.ExecuteNonQuery();
        tx.Commit();
        _insert.Transaction = null;
    }

    /// <summary>Claim one (UPDATE ... RETURNING under BEGIN IMMEDIATE, committed), then complete it (committed): two commits.</summary>
    public bool ClaimAndComplete()
    {
        long now = Now;
        long id;
        byte[] token;
        using (SqliteTransaction tx = _connection.BeginTransaction())
        {
            _claim.Transaction = tx;
            _claim.Parameters[0].Value = now + 30_000;
            _claim.Parameters[1].Value = now;
            using (SqliteDataReader reader = _claim.ExecuteReader())
            {
                if (!reader.Read()) return false;
                id = reader.GetInt64(0);
                token = (byte[])reader.GetValue(1);
            }

            tx.Commit();
            _claim.Transaction = null;
        }

        _complete.Parameters[0].Value = Now;
        _complete.Parameters[1].Value = id;
        _complete.Parameters[2].Value = token;
        return _complete.ExecuteNonQuery() == 1;
    }

    public void Execute(string sql)
    {
        using SqliteCommand command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _insert.Dispose();
        _claim.Dispose();
        _complete.Dispose();
        _connection.Dispose();
    }
}
