using System;
using System.Data.Common;
using PrismQ.Internal;

namespace PrismQ.Storage;

/// <summary>
/// The task columns both stores read, in one order, and the reader of one such row into a <see cref="TaskRecord"/>.
/// The two columns whose stored type differs by backend (the status and the cancel flag) are read by the store and
/// passed in; every other column has the same type in SQLite and PostgreSQL.
/// </summary>
internal static class TaskRowReader
{
    public const string Columns =
        "id, queue, type, payload, priority, not_before, max_attempts, attempts, timeout_ms, idempotency_key, status, " +
        "cancel_requested, lease_owner, lease_token, lease_expires_at, progress_percent, progress_message, result, " +
        "error_message, error_type, error_detail, created_at, started_at, finished_at, updated_at, wr_key";

    /// <summary>The ordinal of <c>status</c>.</summary>
    public const int StatusOrdinal = 10;

    /// <summary>The ordinal of <c>cancel_requested</c>.</summary>
    public const int CancelRequestedOrdinal = 11;

    /// <summary>The ordinal of <c>wr_key</c> (read by claims, not part of <see cref="TaskRecord"/>).</summary>
    public const int WrKeyOrdinal = 25;

    /// <summary>The task of the current row of <paramref name="r"/> (selected with <see cref="Columns"/>).</summary>
    public static TaskRecord Read(DbDataReader r, TaskStatus status, bool cancelRequested)
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
            Status = status,
            CancelRequested = cancelRequested,
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
