namespace PrismQ;

/// <summary>Whether a registered worker looks alive: by the age of its last heartbeat, takeovers of its leases, and (on its own host) its process.</summary>
public enum WorkerState
{
    /// <summary>Its last heartbeat is recent.</summary>
    Alive = 0,
    /// <summary>
    /// It has died, or probably has: its last heartbeat is older than the stale threshold, a lease of it was taken over
    /// after its last heartbeat, or (on the same host) its process is gone. Its tasks are taken over at lease expiry,
    /// or sooner by a worker on the same host.
    /// </summary>
    Dead = 1,
}
