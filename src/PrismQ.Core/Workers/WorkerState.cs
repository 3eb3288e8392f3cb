namespace PrismQ;

/// <summary>Whether a registered worker looks alive, judged by the age of its last heartbeat.</summary>
public enum WorkerState
{
    /// <summary>Its last heartbeat is recent.</summary>
    Alive = 0,
    /// <summary>Its last heartbeat is older than the stale threshold: it has probably died (its tasks are taken over at lease expiry, or sooner by a worker on the same host).</summary>
    Dead = 1,
}
