using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;

namespace PrismQ.Storage.Sqlite;

/// <summary>Turns a validated <see cref="TaskFilter"/> into a SQL condition with parameters.</summary>
internal static class TaskFilterSql
{
    /// <summary>Appends <c>AND ...</c> conditions for the filter to <paramref name="sql"/> and their parameters to <paramref name="command"/>.</summary>
    public static void Append(TaskFilter filter, StringBuilder sql, SqliteCommand command)
    {
        if (filter.Queue is not null)
        {
            sql.Append(" AND queue = $f_queue");
            command.Parameters.AddWithValue("$f_queue", filter.Queue);
        }
        if (filter.Type is not null)
        {
            sql.Append(" AND type = $f_type");
            command.Parameters.AddWithValue("$f_type", filter.Type);
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
            // Lets the planner use the partial index ix_tasks_queue_status (WHERE status <> 0): SQLite only uses a
            // partial index when the query states its condition.
            bool anyQueued = false;
            foreach (TaskStatus status in filter.Statuses) anyQueued |= status == TaskStatus.Queued;
            if (!anyQueued) sql.Append(" AND status <> " + SqliteStatus.Queued);
        }
        if (filter.CreatedAfter is { } after)
        {
            sql.Append(" AND created_at >= $f_created_after");
            command.Parameters.AddWithValue("$f_created_after", UnixTime.ToMs(after));
        }
        if (filter.CreatedBefore is { } before)
        {
            sql.Append(" AND created_at < $f_created_before");
            command.Parameters.AddWithValue("$f_created_before", UnixTime.ToMs(before));
        }
        if (filter.FinishedBefore is { } finished)
        {
            sql.Append(" AND finished_at IS NOT NULL AND finished_at < $f_finished_before");
            command.Parameters.AddWithValue("$f_finished_before", UnixTime.ToMs(finished));
        }
        if (filter.Ids is not null)
        {
            sql.Append(" AND id IN (SELECT value FROM json_each($f_ids))");
            command.Parameters.AddWithValue("$f_ids", JsonArray(filter.Ids));
        }
    }

    public static string JsonArray(IEnumerable<long> values)
    {
        var sb = new StringBuilder("[");
        foreach (long v in values)
        {
            if (sb.Length > 1) sb.Append(',');
            sb.Append(v.ToString(CultureInfo.InvariantCulture));
        }
        return sb.Append(']').ToString();
    }

    public static string JsonArray(IEnumerable<string> values)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartArray();
            foreach (string v in values) writer.WriteStringValue(v);
            writer.WriteEndArray();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static List<string> ParseStrings(string json)
    {
        var list = new List<string>();
        using JsonDocument doc = JsonDocument.Parse(json);
        foreach (JsonElement e in doc.RootElement.EnumerateArray()) list.Add(e.GetString() ?? string.Empty);
        return list;
    }

    public static List<long> ParseLongs(string json)
    {
        var list = new List<long>();
        using JsonDocument doc = JsonDocument.Parse(json);
        foreach (JsonElement e in doc.RootElement.EnumerateArray()) list.Add(e.GetInt64());
        return list;
    }
}
