using System.Collections.Generic;
using System.Threading;

namespace PrismQ.PowerShell.Cores;

/// <summary>The cores of <c>Get-PrismQQueue</c>, <c>Suspend-PrismQQueue</c>, <c>Resume-PrismQQueue</c> and <c>Get-PrismQWorker</c>.</summary>
internal static class QueueCore
{
    /// <summary>Statistics of the named queues (every known queue when none is named), by name; names not found are passed to <paramref name="onMissing"/>.</summary>
    public static IReadOnlyList<QueueStats> Get(ITaskStore store, IReadOnlyCollection<string>? names, System.Action<string> onMissing, CancellationToken cancellationToken)
    {
        IReadOnlyList<QueueStats> stats = store.GetQueueStatsAsync(names is { Count: > 0 } ? names : null, cancellationToken).GetAwaiter().GetResult();
        if (names is { Count: > 0 })
        {
            var found = new HashSet<string>();
            foreach (QueueStats s in stats) found.Add(s.Name);
            foreach (string name in names)
                if (!found.Contains(name)) onMissing(name);
        }

        return stats;
    }

    /// <summary>The error for a queue the database does not know.</summary>
    public static PrismQException NotFound(string name) =>
        new(PrismQErrorCode.QueueNotFound,
            $"No queue is named '{name}' in this database (a queue exists once a task was added to it or it was paused with -Force); check the name with Get-PrismQQueue.",
            "Name", name);

    /// <summary>
    /// Pauses (or resumes) claims from a queue and returns its statistics afterwards. A queue that does not exist (no task
    /// was ever added to it, and it was never paused) is <see cref="PrismQErrorCode.QueueNotFound"/>, unless
    /// <paramref name="createIfMissing"/> (<c>Suspend-PrismQQueue -Force</c>) pauses it before its first task on purpose.
    /// </summary>
    public static QueueStats SetPaused(ITaskStore store, string name, bool paused, bool createIfMissing, CancellationToken cancellationToken)
    {
        if (!createIfMissing && store.GetQueueStatsAsync(new[] { name }, cancellationToken).GetAwaiter().GetResult().Count == 0)
            throw NotFound(name);
        if (paused) store.PauseQueueAsync(name, cancellationToken).GetAwaiter().GetResult();
        else store.ResumeQueueAsync(name, cancellationToken).GetAwaiter().GetResult();
        IReadOnlyList<QueueStats> stats = store.GetQueueStatsAsync(new[] { name }, cancellationToken).GetAwaiter().GetResult();
        foreach (QueueStats s in stats)
            if (s.Name == name) return s;
        return new QueueStats { Name = name, Paused = paused };
    }

    /// <summary>Every registered worker, with its state judged by the age of its last heartbeat.</summary>
    public static IReadOnlyList<global::PrismQ.WorkerInfo> Workers(ITaskStore store, CancellationToken cancellationToken) =>
        WorkerRegistry.ListAsync(store, cancellationToken: cancellationToken).GetAwaiter().GetResult();
}
