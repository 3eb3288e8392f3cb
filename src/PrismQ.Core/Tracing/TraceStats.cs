namespace PrismQ;

/// <summary>Counters of a <see cref="TraceSession"/> (a snapshot; see <see cref="TraceSession.GetStats"/>).</summary>
public sealed class TraceStats
{
    /// <summary>Index events written to the trace store (gap records included).</summary>
    public long EventsPersisted { get; internal set; }

    /// <summary>Events dropped by producers because their index ring was full (each is covered by a gap record).</summary>
    public long EventsDropped { get; internal set; }

    /// <summary>Dropped events already recorded in the store as gap records (the sum of their values).</summary>
    public long GapEventsRecorded { get; internal set; }

    /// <summary>Detail messages dropped by producers because their detail ring was full (the index event is kept).</summary>
    public long DetailsDropped { get; internal set; }

    /// <summary>Detail records written to the store (marked windows, or all with <see cref="TraceOptions.DetailForAll"/>).</summary>
    public long DetailsPersisted { get; internal set; }

    /// <summary>Detail records discarded: unmarked windows, outside the pre-roll, or belonging to no window.</summary>
    public long DetailsDiscarded { get; internal set; }

    /// <summary>Windows seen (task attempts).</summary>
    public long WindowsOpened { get; internal set; }

    /// <summary>Windows marked (their detail is persisted).</summary>
    public long WindowsMarked { get; internal set; }

    /// <summary>Windows decided unmarked (their detail was discarded).</summary>
    public long WindowsDiscarded { get; internal set; }

    /// <summary>Store errors (each write is retried with backoff; the drain keeps running).</summary>
    public long StoreErrors { get; internal set; }

    /// <summary>The last store error message, or null.</summary>
    public string? LastStoreError { get; internal set; }

    /// <summary>Events given up at dispose because the store kept failing past <see cref="TraceOptions.StopTimeout"/>.</summary>
    public long EventsLost { get; internal set; }

    /// <summary>Events deleted by retention (age and size) by this session.</summary>
    public long EventsPruned { get; internal set; }

    /// <summary>Lane sets created (at most the peak number of threads that emitted at once, plus ended ones not yet retired).</summary>
    public int LaneSets { get; internal set; }

    /// <summary>Lane sets currently owned by a thread.</summary>
    public int LaneSetsOwned { get; internal set; }

    /// <summary>Times a lane set of an ended thread was drained and freed for reuse.</summary>
    public long LanesRetired { get; internal set; }

    /// <summary>Drain passes so far.</summary>
    public long DrainPasses { get; internal set; }

    /// <summary>What the drain thread is doing.</summary>
    public TraceDrainState DrainState { get; internal set; }
}
