namespace PrismQ;

/// <summary>The outcome of one enqueue: the task, and whether it was created or already existed under its idempotency key.</summary>
public sealed class EnqueueResult
{
    /// <summary>Creates a result.</summary>
    public EnqueueResult(TaskRecord task, bool created)
    {
        Task = task;
        Created = created;
    }

    /// <summary>The task as stored.</summary>
    public TaskRecord Task { get; }

    /// <summary>False when the idempotency key already existed and the existing task was returned.</summary>
    public bool Created { get; }
}
