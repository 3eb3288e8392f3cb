using System;

namespace PrismQ;

/// <summary>A registered worker and whether it looks alive.</summary>
public sealed class WorkerInfo
{
    /// <summary>Creates an entry.</summary>
    public WorkerInfo(WorkerRecord record, WorkerState state, TimeSpan heartbeatAge)
    {
        Record = record;
        State = state;
        HeartbeatAge = heartbeatAge;
    }

    /// <summary>The worker as registered.</summary>
    public WorkerRecord Record { get; }

    /// <summary>Alive or dead.</summary>
    public WorkerState State { get; }

    /// <summary>How long ago its last heartbeat was.</summary>
    public TimeSpan HeartbeatAge { get; }
}
