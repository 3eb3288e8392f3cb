namespace PrismQ;

/// <summary>Why a trace window (one task attempt) was marked to keep its detail.</summary>
public enum WindowMark : byte
{
    /// <summary>Not marked: its detail is discarded.</summary>
    None = 0,
    /// <summary>The attempt failed.</summary>
    Failed = 1,
    /// <summary>The attempt timed out.</summary>
    TimedOut = 2,
    /// <summary>The attempt lost its lease.</summary>
    LeaseLost = 3,
    /// <summary>The attempt ran longer than the slow threshold.</summary>
    Slow = 4,
    /// <summary>The attempt met busy retries.</summary>
    BusyRetries = 5,
    /// <summary>The user asked for detail.</summary>
    Requested = 6,
}
