namespace PrismQ;

/// <summary>Why <see cref="Worker.RunAsync"/> returned.</summary>
public enum WorkerStopReason
{
    /// <summary>The caller's cancellation token fired (a graceful stop).</summary>
    Cancelled = 0,
    /// <summary><see cref="WorkerOptions.MaxTasks"/> tasks were claimed and have finished.</summary>
    MaxTasks = 1,
    /// <summary>Nothing to do for <see cref="WorkerOptions.IdleTimeout"/>.</summary>
    IdleTimeout = 2,
    /// <summary><see cref="WorkerOptions.MaxRunTime"/> passed (a graceful stop).</summary>
    MaxRunTime = 3,
}
