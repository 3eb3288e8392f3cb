using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// The core of <c>Wait-PrismQTask</c>: polls the tasks until each is in a final state (succeeded, failed or
/// cancelled), reporting each as it finishes, until the timeout passes or the caller cancels.
/// Polls every 50 ms at first, backing off to once a second.
/// </summary>
internal static class WaitTaskCore
{
    /// <summary>True for succeeded, failed and cancelled.</summary>
    public static bool IsFinal(TaskStatus status) => status is TaskStatus.Succeeded or TaskStatus.Failed or TaskStatus.Cancelled;

    /// <summary>
    /// Waits. <paramref name="onFinished"/> gets each task once, in its final state, on the calling thread;
    /// <paramref name="onProgress"/> gets (finished, total) after each poll. Unknown ids are reported through
    /// <paramref name="onMissing"/> and not waited for. Returns the ids still unfinished when the timeout passed
    /// (empty when all finished). Throws <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    public static IReadOnlyList<long> Wait(
        ITaskStore store,
        IReadOnlyList<long> ids,
        TimeSpan? timeout,
        Action<TaskRecord> onFinished,
        Action<long> onMissing,
        Action<int, int> onProgress,
        CancellationToken cancellationToken)
    {
        if (timeout is { } t && t < TimeSpan.Zero)
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"-Timeout is {t}; it must be zero or more.", "Timeout", t);
        var pending = new List<long>();
        var seen = new HashSet<long>();
        foreach (long id in ids)
            if (seen.Add(id)) pending.Add(id);
        int total = pending.Count;
        Stopwatch clock = Stopwatch.StartNew();
        int delayMs = 50;
        bool firstPoll = true;
        while (pending.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IReadOnlyList<TaskRecord> records = TaskLookup.InOrder(store, pending, cancellationToken);
            var found = new HashSet<long>();
            var stillPending = new List<long>();
            foreach (TaskRecord record in records)
            {
                found.Add(record.Id);
                if (IsFinal(record.Status)) onFinished(record);
                else stillPending.Add(record.Id);
            }

            if (firstPoll)
            {
                foreach (long id in pending)
                    if (!found.Contains(id))
                    {
                        onMissing(id);
                        total--;
                    }

                firstPoll = false;
            }

            pending = stillPending;
            onProgress(total - pending.Count, total);
            if (pending.Count == 0) break;
            if (timeout is { } limit && clock.Elapsed >= limit) return pending;

            TimeSpan sleep = TimeSpan.FromMilliseconds(delayMs);
            if (timeout is { } l2 && l2 - clock.Elapsed < sleep) sleep = l2 - clock.Elapsed;
            if (sleep > TimeSpan.Zero && cancellationToken.WaitHandle.WaitOne(sleep)) cancellationToken.ThrowIfCancellationRequested();
            delayMs = Math.Min(1000, delayMs * 2);
        }

        return Array.Empty<long>();
    }
}
