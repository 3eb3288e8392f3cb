using System;

namespace PrismQ.Tracing;

/// <summary>Identifies a window: one attempt of one task.</summary>
internal readonly struct WindowKey : IEquatable<WindowKey>
{
    public WindowKey(long taskId, int attempt)
    {
        TaskId = taskId;
        Attempt = attempt;
    }

    public long TaskId { get; }
    public int Attempt { get; }

    public bool Equals(WindowKey other) => TaskId == other.TaskId && Attempt == other.Attempt;

    public override bool Equals(object? obj) => obj is WindowKey other && Equals(other);

    public override int GetHashCode() => unchecked((int)TaskId * 397 ^ (int)(TaskId >> 32) ^ Attempt * 7919);
}
