using System;
using System.Collections.Generic;
using System.Threading;

namespace PrismQ.PowerShell.Cores;

/// <summary>The cores of <c>Stop-PrismQTask</c>, <c>Restart-PrismQTask</c> and <c>Remove-PrismQTask</c>: one task at a time, or by filter.</summary>
internal static class TaskStateCore
{
    /// <summary>Cancels a queued task or asks a running one to stop. Throws <see cref="PrismQErrorCode.TaskNotFound"/> for an unknown id.</summary>
    public static CancelOutcome Stop(ITaskStore store, long id, CancellationToken cancellationToken)
    {
        CancelOutcome outcome = store.CancelAsync(id, cancellationToken).GetAwaiter().GetResult();
        if (outcome == CancelOutcome.NotFound) throw TaskLookup.NotFound(id);
        return outcome;
    }

    /// <summary>Puts a failed or cancelled task back in its queue. Throws for an unknown id or another state.</summary>
    public static void Restart(ITaskStore store, long id, CancellationToken cancellationToken)
    {
        if (store.RetryAsync(id, cancellationToken).GetAwaiter().GetResult()) return;
        TaskRecord record = TaskLookup.Require(store, id, cancellationToken);
        throw new PrismQException(PrismQErrorCode.InvalidTaskState,
            $"Task {id} is {record.Status}; only Failed or Cancelled tasks can be restarted.", "Id", id);
    }

    /// <summary>Deletes a task that is not running. Throws for an unknown id or a running task.</summary>
    public static void Remove(ITaskStore store, long id, CancellationToken cancellationToken)
    {
        if (store.DeleteAsync(id, cancellationToken).GetAwaiter().GetResult()) return;
        TaskRecord record = TaskLookup.Require(store, id, cancellationToken);
        throw new PrismQException(PrismQErrorCode.InvalidTaskState,
            $"Task {id} is {record.Status}; a running task cannot be removed (stop it first).", "Id", id);
    }

    /// <summary>
    /// Deletes tasks in the given states older than <paramref name="olderThan"/>: finished states by the time they
    /// finished, <see cref="TaskStatus.Queued"/> by the time it was created. Running tasks are never deleted:
    /// asking for <see cref="TaskStatus.Running"/> is an <see cref="PrismQErrorCode.InvalidArgument"/> error.
    /// Returns how many were deleted.
    /// </summary>
    public static int RemoveMatching(ITaskStore store, IReadOnlyCollection<TaskStatus> statuses, TimeSpan olderThan, string? queue, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (statuses.Count == 0)
            throw new PrismQException(PrismQErrorCode.InvalidArgument, "-Status is empty; name at least one state.", "Status", null);
        if (olderThan < TimeSpan.Zero)
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"-OlderThan is {olderThan}; it must be zero or more.", "OlderThan", olderThan);
        var finals = new List<TaskStatus>();
        bool queued = false;
        foreach (TaskStatus status in statuses)
        {
            if (status == TaskStatus.Running)
                throw new PrismQException(PrismQErrorCode.InvalidArgument, "-Status includes Running; running tasks cannot be removed (stop them first).", "Status", status);
            if (status == TaskStatus.Queued) queued = true;
            else if (!finals.Contains(status)) finals.Add(status);
        }

        DateTimeOffset cutoff = now - olderThan;
        string? queueName = string.IsNullOrEmpty(queue) ? null : queue;
        int deleted = 0;
        if (finals.Count > 0)
            deleted += store.DeleteManyAsync(new TaskFilter { Statuses = finals, FinishedBefore = cutoff, Queue = queueName }, cancellationToken).GetAwaiter().GetResult();
        if (queued)
            deleted += store.DeleteManyAsync(new TaskFilter { Statuses = new[] { TaskStatus.Queued }, CreatedBefore = cutoff, Queue = queueName }, cancellationToken).GetAwaiter().GetResult();
        return deleted;
    }
}
