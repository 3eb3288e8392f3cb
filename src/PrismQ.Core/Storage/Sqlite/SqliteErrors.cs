using System;
using Microsoft.Data.Sqlite;

namespace PrismQ.Storage.Sqlite;

/// <summary>SQLite result codes PrismQ reacts to, and their translation to <see cref="PrismQException"/>.</summary>
internal static class SqliteErrors
{
    public const int Perm = 3;
    public const int Busy = 5;
    public const int Locked = 6;
    public const int ReadOnly = 8;
    public const int IoErr = 10;
    public const int Corrupt = 11;
    public const int CantOpen = 14;
    public const int NotADb = 26;

    /// <summary>SQLITE_BUSY or SQLITE_LOCKED, extended codes included (the primary code is the low byte).</summary>
    public static bool IsBusy(SqliteException ex)
    {
        int primary = ex.SqliteErrorCode & 0xFF;
        return primary == Busy || primary == Locked;
    }

    /// <summary>Any other SQLite error as a <see cref="PrismQException"/> naming the database and the operation.</summary>
    public static PrismQException Translate(SqliteException ex, string path, string operation)
    {
        int primary = ex.SqliteErrorCode & 0xFF;
        return primary switch
        {
            NotADb => new PrismQException(PrismQErrorCode.NotADatabase,
                $"The file '{path}' is not a SQLite database (SQLite: {ex.Message}); PrismQ needs a PrismQ database or a path where it may create one.", "DatabasePath", path, ex),
            ReadOnly or Perm or CantOpen => new PrismQException(PrismQErrorCode.DatabaseNotWritable,
                $"The database '{path}' cannot be opened for writing during {operation} (SQLite: {ex.Message}); the file and its folder must be writable.", "DatabasePath", path, ex),
            _ => new PrismQException(PrismQErrorCode.StorageError,
                $"Storage failure during {operation} on '{path}' (SQLite error {ex.SqliteErrorCode}/{ex.SqliteExtendedErrorCode}: {ex.Message}).", "DatabasePath", path, ex),
        };
    }

    public static PrismQException BusyTimeout(string path, string operation, TimeSpan timeout, int retries, SqliteException last) =>
        new(PrismQErrorCode.DatabaseBusy,
            $"The database '{path}' stayed locked by another connection during {operation} for longer than QueueOptions.BusyTimeout ('{timeout}') after {retries} retries (SQLite: {last.Message}).",
            "BusyTimeout", timeout, last);
}
