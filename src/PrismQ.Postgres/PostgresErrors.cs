using System;
using System.IO;
using System.Net.Sockets;
using Npgsql;

namespace PrismQ.Postgres;

/// <summary>
/// Translates Npgsql and PostgreSQL errors to <see cref="PrismQException"/>: transient ones (serialization failures,
/// deadlocks, lock and statement timeouts, connection failures) to <see cref="PrismQErrorCode.DatabaseBusy"/>, which the
/// worker retries; the rest to <see cref="PrismQErrorCode.StorageError"/>. Messages name the SQLSTATE and the redacted
/// location, never the password.
/// </summary>
internal static class PostgresErrors
{
    public const string SerializationFailure = "40001";
    public const string DeadlockDetected = "40P01";
    public const string LockNotAvailable = "55P03";
    public const string QueryCanceled = "57014";
    public const string TooManyConnections = "53300";
    public const string AdminShutdown = "57P01";
    public const string CrashShutdown = "57P02";
    public const string CannotConnectNow = "57P03";
    public const string InvalidPassword = "28P01";
    public const string InvalidAuthorization = "28000";

    /// <summary>True for errors worth retrying the whole transaction at once (the server chose a victim).</summary>
    public static bool IsRetryable(Exception ex) =>
        ex is PostgresException pg && (pg.SqlState == SerializationFailure || pg.SqlState == DeadlockDetected);

    /// <summary>True for errors that say the database is busy or out of reach for now.</summary>
    public static bool IsTransient(Exception ex)
    {
        if (ex is PostgresException pg)
        {
            string state = pg.SqlState;
            return state == SerializationFailure || state == DeadlockDetected || state == LockNotAvailable || state == QueryCanceled ||
                   state == TooManyConnections || state == AdminShutdown || state == CrashShutdown || state == CannotConnectNow ||
                   state.StartsWith("08", StringComparison.Ordinal);
        }
        if (ex is NpgsqlException npgsql)
            return npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException;
        return ex is TimeoutException or SocketException;
    }

    /// <summary>True for exceptions this class translates.</summary>
    public static bool Handles(Exception ex) => ex is NpgsqlException or SocketException or TimeoutException or IOException;

    public static PrismQException Translate(Exception ex, string location, string operation)
    {
        if (ex is PrismQException prismQ) return prismQ;
        string state = ex is PostgresException pg ? pg.SqlState : "none";
        string text = ex is PostgresException p ? p.MessageText : ex.Message;
        if (IsTransient(ex))
        {
            return new PrismQException(PrismQErrorCode.DatabaseBusy,
                $"The PostgreSQL database '{location}' is busy or out of reach during {operation} (SQLSTATE {state}: {text}); the operation may be retried.",
                "connection", location, ex);
        }
        if (state == InvalidPassword || state == InvalidAuthorization)
        {
            return new PrismQException(PrismQErrorCode.StorageError,
                $"PostgreSQL refused the login to '{location}' during {operation} (SQLSTATE {state}: {text}); check the user and its password (URI, PGPASSWORD or .pgpass).",
                "connection", location, ex);
        }
        return new PrismQException(PrismQErrorCode.StorageError,
            $"Storage failure during {operation} on PostgreSQL '{location}' (SQLSTATE {state}: {text}).", "connection", location, ex);
    }
}
