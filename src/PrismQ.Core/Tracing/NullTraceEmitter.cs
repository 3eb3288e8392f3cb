namespace PrismQ.Tracing;

/// <summary>The emitter used when tracing is off: every call does nothing.</summary>
internal sealed class NullTraceEmitter : ITraceEmitter
{
    public static readonly NullTraceEmitter Instance = new();

    private NullTraceEmitter()
    {
    }

    public bool IsEnabled => false;

    public short RegisterWorker(string workerId) => 0;

    public void Emit(TraceEventKind kind, long taskId, int attempt, short workerSlot, long value)
    {
    }

    public void EmitDetail(TraceEventKind kind, long taskId, int attempt, short workerSlot, long value, string message)
    {
    }

    public void OpenWindow(long taskId, int attempt, short workerSlot)
    {
    }

    public void MarkWindow(long taskId, int attempt, WindowMark mark)
    {
    }

    public void CloseWindow(long taskId, int attempt)
    {
    }
}
