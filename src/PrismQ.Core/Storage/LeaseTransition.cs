using System;
using System.Collections.Generic;

namespace PrismQ;

/// <summary>
/// One state change of a leased task, decided by the engine and written by a store with
/// <see cref="ITaskStore.ApplyTransitionsAsync"/> only while the task is still <see cref="TaskStatus.Running"/> under
/// <see cref="Token"/>. The store decides nothing: the target state, the retry delay and whether the attempt counts
/// come from here. Create them with the factory methods, which name every transition a task can make from Running.
/// </summary>
public sealed class LeaseTransition
{
    private LeaseTransition(long id, LeaseToken token, TaskStatus status)
    {
        Id = id;
        Token = token;
        Status = status;
    }

    /// <summary>The task.</summary>
    public long Id { get; }

    /// <summary>The lease the transition is conditional on.</summary>
    public LeaseToken Token { get; }

    /// <summary>The state the task moves to: <see cref="TaskStatus.Succeeded"/>, <see cref="TaskStatus.Failed"/>, <see cref="TaskStatus.Cancelled"/> or <see cref="TaskStatus.Queued"/>.</summary>
    public TaskStatus Status { get; }

    /// <summary>
    /// When a user asked to cancel the task, it moves to <see cref="TaskStatus.Cancelled"/> instead (a cancel wins over
    /// a retry, a release or a dead letter; never over a success).
    /// </summary>
    public bool CancelWins { get; private set; }

    /// <summary>With <see cref="TaskStatus.Queued"/>: the task becomes claimable this long after the store's now. Null keeps its not-before (it keeps its FIFO place).</summary>
    public TimeSpan? RetryDelay { get; private set; }

    /// <summary>False when the attempt is given back uncounted (a release at a graceful stop).</summary>
    public bool CountsAttempt { get; private set; } = true;

    /// <summary>The result as JSON text, with <see cref="TaskStatus.Succeeded"/>.</summary>
    public string? Result { get; private set; }

    /// <summary>The error the attempt ended with: kept as the task's last error and added to its history.</summary>
    public TaskError? Error { get; private set; }

    /// <summary>The worker whose lease is taken over (a rescue): its registry row is marked taken over. Null otherwise.</summary>
    public string? TakenOverFrom { get; private set; }

    /// <summary>
    /// The output the attempt's handler wrote (<see cref="TaskContext.WriteOutput"/>), written with the transition, in
    /// the same transaction, only when it applies. Null when there is none.
    /// </summary>
    public IReadOnlyList<TaskOutputRecord>? Output { get; private set; }

    /// <summary>The attempt succeeded with <paramref name="resultJson"/> (JSON text, or null).</summary>
    public static LeaseTransition Succeed(long id, LeaseToken token, string? resultJson) =>
        new(id, token, TaskStatus.Succeeded) { Result = resultJson };

    /// <summary>The attempt failed and the task may run again after <paramref name="delay"/> (null: at once, keeping its place).</summary>
    public static LeaseTransition Retry(long id, LeaseToken token, TaskError error, TimeSpan? delay) =>
        new(id, token, TaskStatus.Queued) { Error = error, RetryDelay = delay, CancelWins = true };

    /// <summary>The attempt failed and was the task's last: the task is dead-lettered (<see cref="TaskStatus.Failed"/>).</summary>
    public static LeaseTransition DeadLetter(long id, LeaseToken token, TaskError error) =>
        new(id, token, TaskStatus.Failed) { Error = error, CancelWins = true };

    /// <summary>The attempt ended on a user's cancel: the task is <see cref="TaskStatus.Cancelled"/>.</summary>
    public static LeaseTransition Cancel(long id, LeaseToken token, TaskError? error) =>
        new(id, token, TaskStatus.Cancelled) { Error = error };

    /// <summary>The task is given back uncounted (a graceful stop); a task with a pending cancel is cancelled instead.</summary>
    public static LeaseTransition Release(long id, LeaseToken token) =>
        new(id, token, TaskStatus.Queued) { CountsAttempt = false, CancelWins = true };

    /// <summary>
    /// Written only while the lease has expired (a rescue of expired leases): a holder that renewed its lease between
    /// the rescue's read and this write keeps it.
    /// </summary>
    public bool OnlyIfExpired { get; private set; }

    /// <summary>Makes this transition conditional on the lease having expired (see <see cref="OnlyIfExpired"/>).</summary>
    public LeaseTransition IfExpired()
    {
        OnlyIfExpired = true;
        return this;
    }

    /// <summary>
    /// Carries the attempt's output records (see <see cref="Output"/>): at most
    /// <see cref="TaskLimits.MaxOutputRecordsPerAttempt"/> and the record that says how many more were dropped, each at
    /// most <see cref="TaskLimits.MaxOutputRecordLength"/> characters.
    /// </summary>
    public LeaseTransition WithOutput(IReadOnlyList<TaskOutputRecord>? output)
    {
        Output = output;
        return this;
    }

    /// <summary>Marks this transition as a takeover of <paramref name="workerId"/>'s lease (a rescue of an expired lease or a dead worker's).</summary>
    public LeaseTransition TakingOverFrom(string? workerId)
    {
        TakenOverFrom = workerId;
        return this;
    }

    /// <inheritdoc />
    public override string ToString() => $"task {Id} -> {Status}{(CancelWins ? " (a cancel wins)" : "")}";
}
