using System;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks.Storage;

/// <summary>
/// The raw Microsoft.Data.Sqlite baseline: one connection on a database whose schema PrismQ created, with the same
/// PRAGMAs, running PrismQ's own SQL statements (the same INSERT, the same claim UPDATE ... RETURNING of the task's
/// columns, the same conditional complete UPDATE), prepared once. What it leaves out is the engine: validation, the
/// store lock, busy retry, mapping rows to records, tasks and tracing. A ratio against it is the engine's overhead.
/// It checkpoints the WAL as the store does (the same <see cref="WalCheckpointer"/> thread, SQLite's own automatic
/// checkpoint as the backstop), so that the ratio does not count that design as the engine's gain.
/// </summary>
internal sealed class RawSqlite : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _claim;
    private readonly SqliteCommand _complete;
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _commit;
    private readonly WalCheckpointer _checkpointer;

    public RawSqlite(string path, Durability durability)
    {
        _connection = OpenLikeTheStore(path, durability);
        _checkpointer = new WalCheckpointer(_connection, path, durability);
        SqliteCommands.Execute(_connection, "INSERT INTO queues (name) VALUES ('default') ON CONFLICT (name) DO NOTHING");

        _insert = Prepare(_connection, SqliteTaskStore.InsertSql, "$queue", "$type", "$payload", "$priority", "$not_before", "$max_attempts", "$timeout_ms", "$key", "$wr_draw", "$now");
        _insert.Parameters["$queue"].Value = "default";
        _insert.Parameters["$type"].Value = "bench";
        _insert.Parameters["$priority"].Value = 0;
        _insert.Parameters["$max_attempts"].Value = 5;
        _insert.Parameters["$timeout_ms"].Value = DBNull.Value;
        _insert.Parameters["$key"].Value = DBNull.Value;

        _claim = Prepare(_connection, SqliteClaimSql.SingleQueue(SchedulingStrategy.Fifo), "$owner", "$expires", "$now", "$queue", "$n");
        _claim.Parameters["$owner"].Value = "raw";
        _claim.Parameters["$queue"].Value = "default";
        _claim.Parameters["$n"].Value = 1;

        _complete = Prepare(_connection, SqliteTaskStore.CompleteSql, "$result", "$now", "$id", "$token");
        _complete.Parameters["$result"].Value = DBNull.Value;
        _begin = Prepare(_connection, "BEGIN IMMEDIATE");
        _commit = Prepare(_connection, "COMMIT");
    }

    private readonly Random _random = new(42);

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>The same Weighted Random key draw PrismQ stores (a unit exponential at priority 0): each insert lands at
    /// a random place in the weighted index, as PrismQ's do.</summary>
    private double Draw() => -Math.Log(1.0 - _random.NextDouble());

    /// <summary>One prepared INSERT in its own (autocommit) transaction.</summary>
    public void InsertOne(string payload)
    {
        long now = Now;
        _insert.Parameters["$payload"].Value = payload;
        _insert.Parameters["$not_before"].Value = now;
        _insert.Parameters["$now"].Value = now;
        _insert.Parameters["$wr_draw"].Value = Draw();
        _insert.ExecuteNonQuery();
        _checkpointer.AfterWork();
    }

    /// <summary><paramref name="count"/> prepared INSERTs in one transaction.</summary>
    public void InsertMany(int count, string payload)
    {
        _begin.ExecuteNonQuery();
        long now = Now;
        _insert.Parameters["$payload"].Value = payload;
        _insert.Parameters["$not_before"].Value = now;
        _insert.Parameters["$now"].Value = now;
        for (int i = 0; i < count; i++)
        {
            _insert.Parameters["$wr_draw"].Value = Draw();
            _insert.ExecuteNonQuery();
        }
        _commit.ExecuteNonQuery();
        _checkpointer.AfterWork();
    }

    /// <summary>Claim one (UPDATE ... RETURNING under BEGIN IMMEDIATE, committed), then complete it (committed): two commits.</summary>
    public bool ClaimAndComplete()
    {
        long now = Now;
        long id;
        byte[] token;
        _begin.ExecuteNonQuery();
        _claim.Parameters["$expires"].Value = now + 30_000;
        _claim.Parameters["$now"].Value = now;
        using (SqliteDataReader reader = _claim.ExecuteReader())
        {
            if (!reader.Read())
            {
                reader.Dispose();
                _commit.ExecuteNonQuery();
                _checkpointer.AfterWork();
                return false;
            }

            // Read the whole row, as a worker needs it (payload, type, attempts, ...).
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            id = reader.GetInt64(reader.GetOrdinal("id"));
            token = (byte[])reader.GetValue(reader.GetOrdinal("lease_token"));
        }

        _commit.ExecuteNonQuery();
        _checkpointer.AfterWork();
        _complete.Parameters["$now"].Value = Now;
        _complete.Parameters["$id"].Value = id;
        _complete.Parameters["$token"].Value = token;
        bool completed = _complete.ExecuteNonQuery() == 1;
        _checkpointer.AfterWork();
        return completed;
    }

    /// <summary>A connection with the store's PRAGMAs (WAL, the durability's synchronous mode, the same caches and backstop).</summary>
    internal static SqliteConnection OpenLikeTheStore(string path, Durability durability)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        SqliteCommands.Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=" + (durability == Durability.Full ? "FULL" : "NORMAL") +
            "; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=134217728; PRAGMA cache_size=-20000;" +
            $" PRAGMA wal_autocheckpoint={WalCheckpointer.BackstopPages};");
        return connection;
    }

    /// <summary>A statement prepared once, with its parameters declared.</summary>
    internal static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (string name in parameters) command.Parameters.Add(new SqliteParameter(name, null));
        command.Prepare();
        return command;
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
