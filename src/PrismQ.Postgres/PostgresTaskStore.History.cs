using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Npgsql;
using PrismQ.Internal;

namespace PrismQ.Postgres;

/// <summary>
/// What tasks keep of their attempts, read with the tasks: the error history (<c>task_errors</c>), written by fail and
/// reclaim, and the attempts' output (<c>task_output</c>), both written with the attempts' transitions (in their
/// statement, <see cref="TransitionBatchSql"/>). Both go with their task (<c>ON DELETE CASCADE</c>).
/// </summary>
public sealed partial class PostgresTaskStore
{
    /// <summary>Fills <see cref="TaskRecord.Errors"/> and <see cref="TaskRecord.Output"/> of <paramref name="tasks"/>, oldest first.</summary>
    private static async Task LoadHistoryAsync(Unit u, IReadOnlyList<TaskRecord> tasks)
    {
        if (tasks.Count == 0) return;
        var byId = new Dictionary<long, TaskRecord>(tasks.Count);
        foreach (TaskRecord task in tasks) byId[task.Id] = task;
        long[] ids = new long[byId.Count];
        byId.Keys.CopyTo(ids, 0);

        var errors = new Dictionary<long, List<TaskAttemptError>>();
        await using (NpgsqlCommand command = u.Command(
            "SELECT task_id, attempt, at, message, type, detail FROM {s}.task_errors WHERE task_id = ANY(@ids) ORDER BY task_id, id"))
        {
            Int64Array(command, "ids", ids);
            await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            while (await r.ReadAsync(u.Token).ConfigureAwait(false))
                Add(errors, r.GetInt64(0), new TaskAttemptError(r.GetInt32(1), UnixTime.FromMs(r.GetInt64(2)), r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5)));
        }
        foreach (KeyValuePair<long, List<TaskAttemptError>> entry in errors) byId[entry.Key].Errors = entry.Value;

        var output = new Dictionary<long, List<TaskOutputRecord>>();
        await using (NpgsqlCommand command = u.Command(
            "SELECT task_id, attempt, at, stream, text FROM {s}.task_output WHERE task_id = ANY(@ids) ORDER BY task_id, id"))
        {
            Int64Array(command, "ids", ids);
            await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
            while (await r.ReadAsync(u.Token).ConfigureAwait(false))
                Add(output, r.GetInt64(0), new TaskOutputRecord(r.GetInt32(1), UnixTime.FromMs(r.GetInt64(2)), (TaskOutputStream)r.GetInt16(3), r.GetString(4)));
        }
        foreach (KeyValuePair<long, List<TaskOutputRecord>> entry in output) byId[entry.Key].Output = entry.Value;
    }

    private static void Add<T>(Dictionary<long, List<T>> lists, long id, T item)
    {
        if (!lists.TryGetValue(id, out List<T>? list)) lists[id] = list = new List<T>();
        list.Add(item);
    }
}
