using System;
using Npgsql;
using PrismQ.Internal;

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

    public const string Columns =
        "id, queue, type, payload, priority, not_before, max_attempts, attempts, timeout_ms, idempotency_key, status, " +
        "cancel_requested, lease_owner, lease_token, lease_expires_at, progress_percent, progress_message, result, " +
        "error_message, error_type, error_detail, created_at, started_at, finished_at, updated_at, wr_key";

    /// <summary>The ordinal of <c>wr_key</c> (read by claims, not part of <see cref="TaskRecord"/>).</summary>
    public const int WrKeyOrdinal = 25;

    public static TaskRecord Read(NpgsqlDataReader r)
    {
        string? errorMessage = r.IsDBNull(18) ? null : r.GetString(18);
        return new TaskRecord
        {
            Id = r.GetInt64(0),
            Queue = r.GetString(1),
            Type = r.GetString(2),
            Payload = r.GetString(3),
            Priority = r.GetInt32(4),
            NotBefore = UnixTime.FromMs(r.GetInt64(5)),
            MaxAttempts = r.GetInt32(6),
            Attempts = r.GetInt32(7),
            Timeout = r.IsDBNull(8) ? null : TimeSpan.FromMilliseconds(r.GetInt64(8)),
            IdempotencyKey = r.IsDBNull(9) ? null : r.GetString(9),
            Status = (TaskStatus)r.GetInt16(10),
            CancelRequested = r.GetBoolean(11),
            LeaseOwner = r.IsDBNull(12) ? null : r.GetString(12),
            LeaseToken = r.IsDBNull(13) ? null : new LeaseToken(r.GetGuid(13)),
            LeaseExpiresAt = r.IsDBNull(14) ? null : UnixTime.FromMs(r.GetInt64(14)),
            ProgressPercent = r.IsDBNull(15) ? null : r.GetInt32(15),
            ProgressMessage = r.IsDBNull(16) ? null : r.GetString(16),
            Result = r.IsDBNull(17) ? null : r.GetString(17),
            LastError = errorMessage is null ? null : new TaskError(errorMessage, r.IsDBNull(19) ? null : r.GetString(19), r.IsDBNull(20) ? null : r.GetString(20)),
            CreatedAt = UnixTime.FromMs(r.GetInt64(21)),
            StartedAt = r.IsDBNull(22) ? null : UnixTime.FromMs(r.GetInt64(22)),
            FinishedAt = r.IsDBNull(23) ? null : UnixTime.FromMs(r.GetInt64(23)),
            UpdatedAt = UnixTime.FromMs(r.GetInt64(24)),
        };
    }
}
