namespace PrismQ.Tracing;

/// <summary>
/// What the store and the worker call to trace. The tracing subsystem implements it; <see cref="NullTraceEmitter"/>
/// is used when tracing is off. Calls must be cheap, never block and never throw.
/// </summary>
internal interface ITraceEmitter
{
    /// <summary>False when tracing is off: callers may skip preparing detail text.</summary>
    bool IsEnabled { get; }

    /// <summary>A small slot number for a worker id, carried by index events (one track per worker in exports).</summary>
    short RegisterWorker(string workerId);

    /// <summary>An index-lane event.</summary>
    void Emit(TraceEventKind kind, long taskId, int attempt, short workerSlot, long value);

    /// <summary>An index-lane event linked to a detail-lane record holding <paramref name="message"/>.</summary>
    void EmitDetail(TraceEventKind kind, long taskId, int attempt, short workerSlot, long value, string message);

    /// <summary>Opens the window of one task attempt (at its claim).</summary>
    void OpenWindow(long taskId, int attempt, short workerSlot);

    /// <summary>Marks the window so its detail is persisted.</summary>
    void MarkWindow(long taskId, int attempt, WindowMark mark);

    /// <summary>Closes the window at the attempt's end (its post-roll then runs).</summary>
    void CloseWindow(long taskId, int attempt);
}
