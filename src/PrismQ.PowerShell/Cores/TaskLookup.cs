using System;
using System.Collections.Generic;
using System.Threading;

namespace PrismQ.PowerShell.Cores;

/// <summary>Reads tasks by id in bulk.</summary>
internal static class TaskLookup
{
    private const int PageSize = 1000;

    /// <summary>The tasks with these ids, in the order given (an id listed twice appears twice; a missing id is skipped).</summary>
    public static IReadOnlyList<TaskRecord> InOrder(ITaskStore store, IReadOnlyList<long> ids, CancellationToken cancellationToken)
    {
        var byId = new Dictionary<long, TaskRecord>();
        var unique = new List<long>();
        var seen = new HashSet<long>();
        foreach (long id in ids)
            if (seen.Add(id)) unique.Add(id);
        for (int start = 0; start < unique.Count; start += PageSize)
        {
            int count = Math.Min(PageSize, unique.Count - start);
            long[] page = unique.GetRange(start, count).ToArray();
            IReadOnlyList<TaskRecord> records = store.QueryAsync(new TaskQuery
            {
                Filter = new TaskFilter { Ids = page },
                Limit = count,
            }, cancellationToken).GetAwaiter().GetResult();
            foreach (TaskRecord record in records) byId[record.Id] = record;
        }

        var result = new List<TaskRecord>(ids.Count);
        foreach (long id in ids)
            if (byId.TryGetValue(id, out TaskRecord? record)) result.Add(record);
        return result;
    }

    /// <summary>The task, or a <see cref="PrismQErrorCode.TaskNotFound"/> error naming the id.</summary>
    public static TaskRecord Require(ITaskStore store, long id, CancellationToken cancellationToken) =>
        store.GetAsync(id, cancellationToken).GetAwaiter().GetResult() ?? throw NotFound(id);

    /// <summary>The error for a missing task.</summary>
    public static PrismQException NotFound(long id) =>
        new(PrismQErrorCode.TaskNotFound, $"No task has id {id} in this database.", "Id", id);
}
