namespace PrismQ;

/// <summary>What a trace session's drain thread is doing (docs/tracing.md has the state diagram).</summary>
public enum TraceDrainState
{
    /// <summary>Created, thread not yet running.</summary>
    Starting = 0,
    /// <summary>Sleeping until the drain interval passes or a producer crosses its high-water mark.</summary>
    Idle = 1,
    /// <summary>Visiting the lane sets in rotation, copying records into the current batch and deciding windows.</summary>
    Draining = 2,
    /// <summary>Writing a batch to the trace store (retried with backoff when the store fails).</summary>
    Flushing = 3,
    /// <summary>Dispose was requested: draining everything, then finalizing the store.</summary>
    Stopping = 4,
    /// <summary>The final drain is done and the store finalized; the thread has ended.</summary>
    Stopped = 5,
}
