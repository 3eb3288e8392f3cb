using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using PrismQ.Internal;

namespace PrismQ.Postgres;

/// <summary>Turns a validated <see cref="TaskFilter"/> into a SQL condition with parameters.</summary>
internal static class PostgresFilterSql
{
    /// <summary>Appends <c>AND ...</c> conditions for the filter to <paramref name="sql"/> and their parameters to <paramref name="command"/>.</summary>
    public static void Append(TaskFilter filter, StringBuilder sql, NpgsqlCommand command)
    {
        if (filter.Queue is not null)
        {
            sql.Append(" AND queue = @f_queue");
            command.Parameters.Add(new NpgsqlParameter("f_queue", NpgsqlDbType.Text) { Value = filter.Queue });
        }
        if (filter.Type is not null)
        {
            sql.Append(" AND type = @f_type");
            command.Parameters.Add(new NpgsqlParameter("f_type", NpgsqlDbType.Text) { Value = filter.Type });
        }
        if (filter.Statuses is not null && filter.Statuses.Count > 0)
        {
            sql.Append(" AND status IN (");
            bool first = true;
            foreach (TaskStatus status in filter.Statuses)
            {
                if (!first) sql.Append(',');
                sql.Append(((int)status).ToString(CultureInfo.InvariantCulture));
                first = false;
            }
            sql.Append(')');
        }
        if (filter.CreatedAfter is { } after)
        {
            sql.Append(" AND created_at >= @f_created_after");
            command.Parameters.Add(new NpgsqlParameter("f_created_after", NpgsqlDbType.Bigint) { Value = UnixTime.ToMs(after) });
        }
        if (filter.CreatedBefore is { } before)
        {
            sql.Append(" AND created_at < @f_created_before");
            command.Parameters.Add(new NpgsqlParameter("f_created_before", NpgsqlDbType.Bigint) { Value = UnixTime.ToMs(before) });
        }
        if (filter.FinishedBefore is { } finished)
        {
            sql.Append(" AND finished_at IS NOT NULL AND finished_at < @f_finished_before");
            command.Parameters.Add(new NpgsqlParameter("f_finished_before", NpgsqlDbType.Bigint) { Value = UnixTime.ToMs(finished) });
        }
        if (filter.Ids is not null)
        {
            sql.Append(" AND id = ANY(@f_ids)");
            command.Parameters.Add(new NpgsqlParameter("f_ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = new List<long>(filter.Ids).ToArray() });
        }
    }
}
