using System.Collections.Generic;
using System.Threading;

namespace PrismQ.PowerShell.Cores;

/// <summary>The core of <c>Get-PrismQTask</c>: tasks by id, or every task matching a filter, streamed page by page (oldest first).</summary>
internal static class GetTaskCore
{
    /// <summary>How many tasks each query reads.</summary>
    public const int PageSize = 1000;

    /// <summary>Builds the filter from the cmdlet's parameters (null or empty means "any").</summary>
    public static TaskFilter Filter(string? queue, string? type, IReadOnlyCollection<TaskStatus>? statuses) => new()
    {
        Queue = string.IsNullOrEmpty(queue) ? null : queue,
        Type = string.IsNullOrEmpty(type) ? null : type,
        Statuses = statuses is { Count: > 0 } ? statuses : null,
    };

    /// <summary>Matching tasks, oldest first, at most <paramref name="first"/> (all when null), read lazily one page at a time.</summary>
    public static IEnumerable<TaskRecord> Query(ITaskStore store, TaskFilter filter, int? first, CancellationToken cancellationToken)
    {
        if (first is < 1)
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"-First is {first}; it must be at least 1.", "First", first);
        long? after = null;
        long returned = 0;
        while (true)
        {
            int limit = PageSize;
            if (first is int max && max - returned < limit) limit = (int)(max - returned);
            if (limit <= 0) yield break;
            IReadOnlyList<TaskRecord> page = store.QueryAsync(new TaskQuery { Filter = filter, Limit = limit, AfterId = after }, cancellationToken)
                .GetAwaiter().GetResult();
            foreach (TaskRecord record in page)
            {
                returned++;
                yield return record;
            }

            if (page.Count < limit) yield break;
            after = page[page.Count - 1].Id;
        }
    }
}
