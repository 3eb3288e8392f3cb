using Npgsql;

namespace PrismQ.Postgres;

/// <summary>The stored value of each <see cref="TaskStatus"/> as SQL text, the task column list, and the reader of one task row.</summary>
internal static class PostgresTaskRows
{
    public const string Queued = "0";
    public const string Running = "1";
    public const string Succeeded = "2";
    public const string Failed = "3";
    public const string Cancelled = "4";

    /// <summary>The condition of every lease operation: the task is running under the caller's token.</summary>
    public const string LeaseHeld = "id = @id AND status = " + Running + " AND lease_token = @token";

    public const string Columns = Storage.TaskRowReader.Columns;

    /// <summary>The ordinal of <c>wr_key</c> (read by claims, not part of <see cref="TaskRecord"/>).</summary>
    public const int WrKeyOrdinal = Storage.TaskRowReader.WrKeyOrdinal;

    /// <summary>The task of the current row (<see cref="Storage.TaskRowReader"/>, with PostgreSQL's smallint status and boolean flag).</summary>
    public static TaskRecord Read(NpgsqlDataReader r) =>
        Storage.TaskRowReader.Read(r, (TaskStatus)r.GetInt16(Storage.TaskRowReader.StatusOrdinal), r.GetBoolean(Storage.TaskRowReader.CancelRequestedOrdinal));
}
