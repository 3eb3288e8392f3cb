using Microsoft.Data.Sqlite;

namespace PrismQ.Storage.Sqlite;

/// <summary>The column list every task read uses, and the reader that turns one row into a <see cref="TaskRecord"/> (<see cref="TaskRowReader"/>, with SQLite's integer status and flag).</summary>
internal static class TaskRows
{
    public const string Columns = TaskRowReader.Columns;

    /// <summary>The ordinal of <c>wr_key</c> (read by claims, not part of <see cref="TaskRecord"/>).</summary>
    public const int WrKeyOrdinal = TaskRowReader.WrKeyOrdinal;

    public static TaskRecord Read(SqliteDataReader r) =>
        TaskRowReader.Read(r, (TaskStatus)r.GetInt32(TaskRowReader.StatusOrdinal), r.GetInt64(TaskRowReader.CancelRequestedOrdinal) != 0);
}
