using System;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace PrismQ.Storage.Sqlite;

/// <summary>One-off statements on a connection (PRAGMAs, DDL, maintenance): run once, not prepared for reuse.</summary>
internal static class SqliteCommands
{
    /// <summary>
    /// Runs <paramref name="sql"/>. <paramref name="timeoutSeconds"/> is how long Microsoft.Data.Sqlite itself retries
    /// a busy statement (null: the connection's default).
    /// </summary>
    public static void Execute(SqliteConnection connection, string sql, int? timeoutSeconds = null)
    {
        using SqliteCommand command = Create(connection, sql, timeoutSeconds);
        command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row, or null.</summary>
    public static object? Scalar(SqliteConnection connection, string sql, int? timeoutSeconds = null)
    {
        using SqliteCommand command = Create(connection, sql, timeoutSeconds);
        return command.ExecuteScalar();
    }

    /// <summary>The first column of the first row as an integer.</summary>
    public static long ScalarLong(SqliteConnection connection, string sql, int? timeoutSeconds = null) =>
        Convert.ToInt64(Scalar(connection, sql, timeoutSeconds), CultureInfo.InvariantCulture);

    /// <summary>
    /// Runs <c>PRAGMA wal_checkpoint(<paramref name="mode"/>)</c> and reads its one row: whether another connection was
    /// in the way (busy), the frames in the WAL, and the frames copied into the database (-1 each when the database is
    /// not in WAL mode).
    /// </summary>
    public static (bool Busy, long WalFrames, long CopiedFrames) WalCheckpoint(SqliteConnection connection, string mode, int? timeoutSeconds = null)
    {
        using SqliteCommand command = Create(connection, "PRAGMA wal_checkpoint(" + mode + ")", timeoutSeconds);
        using SqliteDataReader reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0) != 0, reader.GetInt64(1), reader.GetInt64(2));
    }

    private static SqliteCommand Create(SqliteConnection connection, string sql, int? timeoutSeconds)
    {
        SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        if (timeoutSeconds is int seconds) command.CommandTimeout = seconds;
        return command;
    }
}
