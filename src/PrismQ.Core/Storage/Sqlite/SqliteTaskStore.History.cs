using System;
using System.Collections.Generic;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Storage.Sqlite;

/// <summary>
/// What tasks keep of their attempts, read with the tasks: the error history (<c>task_errors</c>, schema version 3),
/// written by fail and reclaim, and the attempts' output (<c>task_output</c>, schema version 7), written with the
/// attempts' transitions.
/// </summary>
public sealed partial class SqliteTaskStore
{
    private PreparedStatement? _insertError;
    private PreparedStatement? _insertOutput;
    private PreparedStatement? _errorsOfRange;
    private PreparedStatement? _outputOfRange;

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

    /// <summary>Appends an attempt's output records to task <paramref name="id"/>'s, in order (inside the caller's write).</summary>
    private void InsertOutput(long id, IReadOnlyList<TaskOutputRecord> output)
    {
        PreparedStatement st = Prepare(ref _insertOutput,
            "INSERT INTO task_output (task_id, attempt, at, stream, text) VALUES ($id, $attempt, $at, $stream, $text)",
            "$id", "$attempt", "$at", "$stream", "$text");
        st.P[0].Value = id;
        foreach (TaskOutputRecord record in output)
        {
            st.P[1].Value = record.Attempt;
            st.P[2].Value = UnixTime.ToMs(record.At);
            st.P[3].Value = (int)record.Stream;
            st.P[4].Value = record.Text;
            st.Command.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// Fills <see cref="TaskRecord.Errors"/> and <see cref="TaskRecord.Output"/> of <paramref name="tasks"/>, oldest
    /// first, with one range read of each table (between their smallest and largest id, through its index on
    /// <c>(task_id, id)</c>).
    /// </summary>
    private void LoadHistory(IReadOnlyList<TaskRecord> tasks)
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
        PreparedStatement errors = Prepare(ref _errorsOfRange,
            "SELECT task_id, attempt, at, message, type, detail FROM task_errors WHERE task_id BETWEEN $min AND $max ORDER BY task_id, id",
            "$min", "$max");
        foreach (KeyValuePair<long, List<TaskAttemptError>> entry in ReadRange(errors, byId, min, max, static r =>
                     new TaskAttemptError(r.GetInt32(1), UnixTime.FromMs(r.GetInt64(2)), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5))))
            byId[entry.Key].Errors = entry.Value;
        PreparedStatement output = Prepare(ref _outputOfRange,
            "SELECT task_id, attempt, at, stream, text FROM task_output WHERE task_id BETWEEN $min AND $max ORDER BY task_id, id",
            "$min", "$max");
        foreach (KeyValuePair<long, List<TaskOutputRecord>> entry in ReadRange(output, byId, min, max, static r =>
                     new TaskOutputRecord(r.GetInt32(1), UnixTime.FromMs(r.GetInt64(2)), (TaskOutputStream)r.GetInt32(3), r.GetString(4))))
            byId[entry.Key].Output = entry.Value;
    }

    /// <summary>The rows of <paramref name="st"/> (task id first) for the tasks of <paramref name="byId"/>, by task.</summary>
    private static Dictionary<long, List<T>> ReadRange<T>(PreparedStatement st, Dictionary<long, TaskRecord> byId, long min, long max, Func<SqliteDataReader, T> read)
    {
        st.P[0].Value = min;
        st.P[1].Value = max;
        var lists = new Dictionary<long, List<T>>();
        using SqliteDataReader r = st.Command.ExecuteReader();
        while (r.Read())
        {
            long id = r.GetInt64(0);
            if (!byId.ContainsKey(id)) continue;
            if (!lists.TryGetValue(id, out List<T>? list)) lists[id] = list = new List<T>();
            list.Add(read(r));
        }
        return lists;
    }
}
