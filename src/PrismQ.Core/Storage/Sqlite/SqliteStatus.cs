namespace PrismQ.Storage.Sqlite;

/// <summary>
/// The stored value of each <see cref="TaskStatus"/>, as SQL text, so that SQL names states instead of numbers. They
/// are constants because SQLite uses a partial index (<c>WHERE status = 0</c>) only when the query repeats its condition
/// literally; a test checks each against the enum.
/// </summary>
internal static class SqliteStatus
{
    public const string Queued = "0";
    public const string Running = "1";
    public const string Succeeded = "2";
    public const string Failed = "3";
    public const string Cancelled = "4";

    /// <summary>The final states, for <c>status IN (...)</c>.</summary>
    public const string Final = Succeeded + ", " + Failed + ", " + Cancelled;

    /// <summary>The condition of every lease operation: the task is running under the caller's token.</summary>
    public const string LeaseHeld = "id = $id AND status = " + Running + " AND lease_token = $token";
}
