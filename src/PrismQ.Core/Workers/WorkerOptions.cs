using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Workers;

namespace PrismQ;

/// <summary>
/// How a <see cref="Worker"/> runs: which queues, how many handlers at once, its lease and heartbeat, its bounds,
/// and its handlers. Every value has a documented default; <see cref="Worker"/> validates them at construction
/// (<see cref="Validate"/>) and throws <see cref="PrismQException"/> (<see cref="PrismQErrorCode.InvalidOption"/>)
/// naming the first invalid one.
/// </summary>
public sealed class WorkerOptions
{
    /// <summary>The largest <see cref="Concurrency"/> when <c>PRISMQ_QUEUE_MAX_WORKERS</c> is not set: 1,024.</summary>
    public const int MaxConcurrency = 1024;

    /// <summary>The queues to claim from (1 or more). Default: the <c>default</c> queue.</summary>
    public IReadOnlyList<string> Queues { get; init; } = new[] { QueueNames.Default };

    /// <summary>How claims choose among ready tasks. Default <see cref="SchedulingStrategy.Fifo"/>.</summary>
    public SchedulingStrategy Strategy { get; init; } = SchedulingStrategy.Fifo;

    /// <summary>With <see cref="SchedulingStrategy.Priority"/>: priority aging (see <see cref="ClaimRequest.PriorityAging"/>). Default none.</summary>
    public TimeSpan? PriorityAging { get; init; }

    /// <summary>
    /// How many handlers run at once. Default 1; at most <c>PRISMQ_QUEUE_MAX_WORKERS</c> when that is set,
    /// else <see cref="MaxConcurrency"/>.
    /// </summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>
    /// How many tasks a worker may claim ahead of its free slots, so that claims are batches at any concurrency
    /// (see docs/architecture.md, "The worker's roles"). Prefetched tasks are leased and heartbeated like running ones
    /// and given back uncounted at a stop. The worker holds only as many as its handlers are expected to start within
    /// 5 ms at their recent speed, so slow tasks are never hoarded: with handlers that take longer than
    /// <see cref="Concurrency"/> × 5 ms it prefetches none. Default 64; 0 turns prefetch off (claims are then as large as the free slots); at most 1,000.
    /// </summary>
    public int Prefetch { get; init; } = 64;

    /// <summary>
    /// The group commit window: an ended attempt's outcome waits up to this long (wall-clock time) for other attempts'
    /// outcomes, so that they are written in one transaction. Only while other attempts are held; an attempt that ends
    /// alone is written at once. Until the commit the attempt's lease is still held: a crash in the window re-runs it
    /// (at-least-once). Default 2 ms; 0 (write as soon as the writer is free) to 1 s.
    /// </summary>
    public TimeSpan CompletionWindow { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The lease of each claim. Null: <c>PRISMQ_QUEUE_LEASE_DURATION</c> (seconds), else 30 s. 1 s to 24 h.</summary>
    public TimeSpan? LeaseDuration { get; init; }

    /// <summary>
    /// The heartbeat interval as a fraction of the lease duration: every in-flight lease is extended, and cancel
    /// requests are read, this often. Default 1/3 (a 30 s lease is extended every 10 s, so two heartbeats may fail
    /// before it expires). 0.01 to 0.5.
    /// </summary>
    public double HeartbeatFraction { get; init; } = 1.0 / 3.0;

    /// <summary>Stop after claiming this many tasks (when they have finished). Null (default): no limit.</summary>
    public int? MaxTasks { get; init; }

    /// <summary>Stop after this long with nothing to do (no task running, none claimed). Null (default): never.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Stop gracefully after running this long. Null (default): no limit.</summary>
    public TimeSpan? MaxRunTime { get; init; }

    /// <summary>
    /// How long a graceful stop lets in-flight handlers finish before it cancels them, and how long a cancelled
    /// handler (stop, timeout, user cancel) may take to return, counted from when its token fired, before it is
    /// abandoned. Default 10 s; 0 to 1 h.
    /// </summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The pause after a claim that found fewer tasks than free slots. Default 20 ms; 1 ms to 1 min.</summary>
    public TimeSpan PollMinInterval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The longest pause between claims when idle (the pause doubles from <see cref="PollMinInterval"/> up to this). Default 1 s; at least <see cref="PollMinInterval"/>, at most 10 min.</summary>
    public TimeSpan PollMaxInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the worker looks for dead worker processes on its host (their tasks are then taken over at once)
    /// and reclaims expired leases. Default 500 ms; 50 ms to 1 min.
    /// </summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Progress reports of one task are written at most once per this interval (the last value wins; the final value is always written). Default 1 s; 0 to 1 h.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>An attempt running longer than this is traced in detail (its trace window is marked slow). Null (default): never.</summary>
    public TimeSpan? SlowAttemptThreshold { get; init; }

    /// <summary>The worker id (1-200 characters, no control characters). Null: <c>PRISMQ_QUEUE_WORKER_ID</c>, else host name, process id and a random suffix.</summary>
    public string? WorkerId { get; init; }

    /// <summary>The backoff for failed attempts. Null (default): the store's policy.</summary>
    public RetryPolicy? RetryPolicy { get; init; }

    /// <summary>The clock. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// The handler of each task type (type names compare ordinally). A handler gets the task's context and a token
    /// that fires on stop, timeout and user cancel, and returns the result as JSON text (or null).
    /// </summary>
    public IDictionary<string, Func<TaskContext, CancellationToken, Task<string?>>> Handlers { get; } =
        new Dictionary<string, Func<TaskContext, CancellationToken, Task<string?>>>(StringComparer.Ordinal);

    /// <summary>The handler for types that have none in <see cref="Handlers"/>. Null (default): such a task's attempt fails with <see cref="PrismQErrorCode.NoHandler"/>.</summary>
    public Func<TaskContext, CancellationToken, Task<string?>>? FallbackHandler { get; init; }

    /// <summary>
    /// The folder of the workers' liveness lock files (dead-process detection on this host). Null (default): the
    /// folder <c>&lt;database&gt;-workers</c> beside the database, when the store is a local SQLite file.
    /// </summary>
    public string? LivenessDirectory { get; init; }

    /// <summary>
    /// When the store is a local SQLite file, the worker runs <see cref="DatabaseMaintenance.ManageWal"/> every 5 s, so
    /// the WAL file stays within 64 MiB (see docs/operations.md). Default true.
    /// </summary>
    public bool ManageWal { get; init; } = true;

    /// <summary>The handler invoker of a host (the PowerShell module); null: <see cref="Handlers"/> and <see cref="FallbackHandler"/>.</summary>
    internal IHandlerInvoker? Invoker { get; init; }

    /// <summary>Where the worker sends trace events. Default: the store's tracer (off unless tracing is on).</summary>
    internal Tracing.ITraceEmitter Tracer { get; init; } = Tracing.NullTraceEmitter.Instance;

    /// <summary>Called (on a worker thread) when an attempt has ended and its outcome is stored. For tests and tools; must not throw or block.</summary>
    internal Action<AttemptEnd>? AttemptEnded { get; init; }

    /// <summary>The lease duration after the precedence: option, environment, 30 s.</summary>
    public TimeSpan ResolveLeaseDuration() => LeaseDuration ?? PrismQEnvironment.LeaseDuration ?? TimeSpan.FromSeconds(30);

    /// <summary>The heartbeat interval: <see cref="ResolveLeaseDuration"/> times <see cref="HeartbeatFraction"/>.</summary>
    public TimeSpan ResolveHeartbeatInterval() => TimeSpan.FromTicks((long)(ResolveLeaseDuration().Ticks * HeartbeatFraction));

    /// <summary>The worker id after the precedence: option, <c>PRISMQ_QUEUE_WORKER_ID</c>, generated.</summary>
    public string ResolveWorkerId() => WorkerId ?? PrismQEnvironment.WorkerId ?? WorkerIdentity.Generate();

    /// <summary>Throws <see cref="PrismQException"/> naming the first invalid option; changes nothing.</summary>
    public void Validate()
    {
        if (Queues is null || Queues.Count == 0) throw Invalid(nameof(Queues), "(none)", "must name at least one queue", PrismQErrorCode.InvalidQueueName);
        foreach (string queue in Queues) WorkerIdentity.CheckName(queue, "WorkerOptions." + nameof(Queues), PrismQErrorCode.InvalidQueueName);
        if (!Enum.IsDefined(typeof(SchedulingStrategy), Strategy)) throw Invalid(nameof(Strategy), Strategy, "must be Fifo, Lifo, Priority or WeightedRandom", PrismQErrorCode.InvalidOption);
        if (PriorityAging is { } aging && (aging <= TimeSpan.Zero || aging > TimeSpan.FromDays(365)))
            throw Invalid(nameof(PriorityAging), aging, "must be between 0 (exclusive) and 365 days", PrismQErrorCode.InvalidOption);
        int max = PrismQEnvironment.MaxWorkers ?? MaxConcurrency;
        if (Concurrency < 1 || Concurrency > max)
        {
            string source = PrismQEnvironment.MaxWorkers is null ? "" : $" ({PrismQEnvironment.MaxWorkersVariable})";
            throw Invalid(nameof(Concurrency), Concurrency, $"must be between 1 and {max}{source}", PrismQErrorCode.InvalidOption);
        }
        TimeSpan lease = ResolveLeaseDuration();
        if (lease < TimeSpan.FromSeconds(1) || lease > TimeSpan.FromHours(24)) throw Invalid(nameof(LeaseDuration), lease, "must be between 1 second and 24 hours", PrismQErrorCode.InvalidOption);
        if (double.IsNaN(HeartbeatFraction) || HeartbeatFraction < 0.01 || HeartbeatFraction > 0.5) throw Invalid(nameof(HeartbeatFraction), HeartbeatFraction, "must be between 0.01 and 0.5", PrismQErrorCode.InvalidOption);
        if (Prefetch < 0 || Prefetch > TaskLimits.MaxClaimCount) throw Invalid(nameof(Prefetch), Prefetch, $"must be between 0 and {TaskLimits.MaxClaimCount}", PrismQErrorCode.InvalidOption);
        CheckSpan(nameof(CompletionWindow), CompletionWindow, TimeSpan.Zero, TimeSpan.FromSeconds(1), exclusiveMin: false);
        if (MaxTasks is { } maxTasks && maxTasks < 1) throw Invalid(nameof(MaxTasks), maxTasks, "must be at least 1", PrismQErrorCode.InvalidOption);
        CheckSpan(nameof(IdleTimeout), IdleTimeout, TimeSpan.Zero, TimeSpan.FromDays(3650), exclusiveMin: true);
        CheckSpan(nameof(MaxRunTime), MaxRunTime, TimeSpan.Zero, TimeSpan.FromDays(3650), exclusiveMin: true);
        CheckSpan(nameof(GracePeriod), GracePeriod, TimeSpan.Zero, TimeSpan.FromHours(1), exclusiveMin: false);
        CheckSpan(nameof(PollMinInterval), PollMinInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1), exclusiveMin: false);
        CheckSpan(nameof(PollMaxInterval), PollMaxInterval, PollMinInterval, TimeSpan.FromMinutes(10), exclusiveMin: false);
        CheckSpan(nameof(SweepInterval), SweepInterval, TimeSpan.FromMilliseconds(50), TimeSpan.FromMinutes(1), exclusiveMin: false);
        CheckSpan(nameof(ProgressInterval), ProgressInterval, TimeSpan.Zero, TimeSpan.FromHours(1), exclusiveMin: false);
        CheckSpan(nameof(SlowAttemptThreshold), SlowAttemptThreshold, TimeSpan.Zero, TimeSpan.FromDays(365), exclusiveMin: true);
        string? id = WorkerId ?? PrismQEnvironment.WorkerId;
        if (id is not null) WorkerIdentity.CheckName(id, "WorkerOptions." + nameof(WorkerId), PrismQErrorCode.InvalidOption);
        if (TimeProvider is null) throw Invalid(nameof(TimeProvider), null, "must not be null", PrismQErrorCode.InvalidOption);
        RetryPolicy?.Validate();
        foreach (KeyValuePair<string, Func<TaskContext, CancellationToken, Task<string?>>> pair in Handlers)
        {
            WorkerIdentity.CheckName(pair.Key, "WorkerOptions." + nameof(Handlers), PrismQErrorCode.InvalidTaskType);
            if (pair.Value is null) throw Invalid(nameof(Handlers), pair.Key, "has a null handler", PrismQErrorCode.InvalidOption);
        }
        if (Handlers.Count == 0 && FallbackHandler is null && Invoker is null) throw Invalid(nameof(Handlers), "(none)", "must register at least one handler (or a FallbackHandler)", PrismQErrorCode.InvalidOption);
        if (LivenessDirectory is not null && LivenessDirectory.Trim().Length == 0) throw Invalid(nameof(LivenessDirectory), LivenessDirectory, "must not be empty or white space", PrismQErrorCode.InvalidOption);
    }

    private static void CheckSpan(string name, TimeSpan? value, TimeSpan min, TimeSpan max, bool exclusiveMin)
    {
        if (value is not { } v) return;
        bool low = exclusiveMin ? v <= min : v < min;
        if (low || v > max)
            throw Invalid(name, v, $"must be between {min}{(exclusiveMin ? " (exclusive)" : "")} and {max}", PrismQErrorCode.InvalidOption);
    }

    private static PrismQException Invalid(string name, object? value, string rule, PrismQErrorCode code) =>
        new(code, $"WorkerOptions.{name} is '{value}'; it {rule}.", name, value);
}
