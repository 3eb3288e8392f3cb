using System;

namespace PrismQ.Tracing;

/// <summary>
/// Where the drain writes. Called from the drain thread only. <see cref="Write"/> must be all-or-nothing and
/// idempotent (the drain retries the same batch after an exception). <see cref="SqliteTraceSink"/> is the real one;
/// tests use an in-memory verifying sink.
/// </summary>
internal interface ITraceSink : IDisposable
{
    /// <summary>Prepares the store (may throw; the drain retries).</summary>
    void Open();

    /// <summary>Writes one batch (one transaction).</summary>
    void Write(TraceBatch batch);

    /// <summary>Applies retention; returns how many events it deleted.</summary>
    long Prune(DateTimeOffset utcNow);

    /// <summary>Finalizes the store after the last write.</summary>
    void Complete();
}
