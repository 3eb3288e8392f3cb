using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Npgsql;
using PrismQ.Internal;

namespace PrismQ.Postgres;

/// <summary>
/// What tasks keep of their attempts, read with the tasks: the error history (<c>task_errors</c>), written by fail and
/// reclaim, and the attempts' output (<c>task_output</c>), written with the attempts' transitions. Both go with their
/// task (<c>ON DELETE CASCADE</c>).
/// </summary>
public sealed partial class PostgresTaskStore
{
    /// <summary>Appends one failed attempt of task <paramref name="id"/> to its history (inside the caller's transaction).</summary>
    private static async Task InsertErrorAsync(Unit u, long id, int attempt, long now, TaskError error)
    {
        await using NpgsqlCommand command = u.Command(
            "INSERT INTO {s}.task_errors (task_id, attempt, at, message, type, detail) VALUES (@id, @attempt, @at, @message, @type, @detail)");
        Int64(command, "id", id);
        Int32(command, "attempt", attempt);
        Int64(command, "at", now);
        Text(command, "message", error.Message);
        Text(command, "type", error.Type);
        Text(command, "detail", error.Detail);
        await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
    }

    /// <summary>Appends an attempt's output records to task <paramref name="id"/>'s, in order, in one statement (inside the caller's transaction).</summary>
    private static async Task InsertOutputAsync(Unit u, long id, IReadOnlyList<TaskOutputRecord> output)
    {
        var attempts = new int[output.Count];
        var at = new long[output.Count];
        var streams = new int[output.Count];
        var texts = new string[output.Count];
        for (int i = 0; i < output.Count; i++)
        {
            attempts[i] = output[i].Attempt;
            at[i] = UnixTime.ToMs(output[i].At);
            streams[i] = (int)output[i].Stream;
            texts[i] = output[i].Text;
        }
        await using NpgsqlCommand command = u.Command(
            "INSERT INTO {s}.task_output (task_id, attempt, at, stream, text) " +
            "SELECT @id, a, t, s, x FROM unnest(@attempts, @at, @streams, @texts) WITH ORDINALITY AS o(a, t, s, x, n) ORDER BY n");
        Int64(command, "id", id);
        command.Parameters.Add(new NpgsqlParameter("attempts", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Integer) { Value = attempts });
        Int64Array(command, "at", at);
        command.Parameters.Add(new NpgsqlParameter("streams", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Integer) { Value = streams });
        TextArray(command, "texts", texts);
        await command.ExecuteNonQueryAsync(u.Token).ConfigureAwait(false);
    }

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
