using System;
using System.Collections.Generic;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Storage.Sqlite;

namespace PrismQ;

/// <summary>The error history of tasks (<c>task_errors</c>, schema version 3): written by fail and reclaim, read with tasks.</summary>
public sealed partial class SqliteTaskStore
{
    private PreparedStatement? _insertError;
    private PreparedStatement? _errorsOfRange;

    /// <summary>Appends one failed attempt of task <paramref name="id"/> to its history (inside the caller's write).</summary>
    private void InsertError(long id, int attempt, long now, TaskError error)
    {
        PreparedStatement st = Prepare(ref _insertError,
            "INSERT INTO task_errors (task_id, attempt, at, message, type, detail) VALUES ($id, $attempt, $at, $message, $type, $detail)",
            "$id", "$attempt", "$at", "$message", "$type", "$detail");
        st.P[0].Value = id;
        st.P[1].Value = attempt;
        st.P[2].Value = now;
        st.P[3].Value = error.Message;
        st.P[4].Value = DbValue(error.Type);
        st.P[5].Value = DbValue(error.Detail);
        st.Command.ExecuteNonQuery();
    }

    /// <summary>
    /// Fills <see cref="TaskRecord.Errors"/> of <paramref name="tasks"/> with one range read of the history (between
    /// their smallest and largest id, through <c>ix_task_errors_task</c>), oldest first.
    /// </summary>
    private void LoadErrors(IReadOnlyList<TaskRecord> tasks)
    {
        if (tasks.Count == 0) return;
        long min = long.MaxValue, max = long.MinValue;
        var byId = new Dictionary<long, TaskRecord>(tasks.Count);
        foreach (TaskRecord task in tasks)
        {
            byId[task.Id] = task;
            if (task.Id < min) min = task.Id;
            if (task.Id > max) max = task.Id;
        }
        PreparedStatement st = Prepare(ref _errorsOfRange,
            "SELECT task_id, attempt, at, message, type, detail FROM task_errors WHERE task_id BETWEEN $min AND $max ORDER BY task_id, id",
            "$min", "$max");
        st.P[0].Value = min;
        st.P[1].Value = max;
        var lists = new Dictionary<long, List<TaskAttemptError>>();
        using (SqliteDataReader r = st.Command.ExecuteReader())
        {
            while (r.Read())
            {
                long id = r.GetInt64(0);
                if (!byId.ContainsKey(id)) continue;
                if (!lists.TryGetValue(id, out List<TaskAttemptError>? list)) lists[id] = list = new List<TaskAttemptError>();
                list.Add(new TaskAttemptError(r.GetInt32(1), UnixTime.FromMs(r.GetInt64(2)), r.GetString(3),
                    r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5)));
            }
        }
        foreach (KeyValuePair<long, List<TaskAttemptError>> entry in lists) byId[entry.Key].Errors = entry.Value;
    }
}
