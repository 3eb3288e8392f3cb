using System.Collections.Generic;

namespace PrismQ.Tracing;

/// <summary>What the drain writes in one sink call (one store transaction). Reused between writes.</summary>
internal sealed class TraceBatch
{
    public List<TraceRow> Events { get; } = new();
    public List<TraceDetailRow> Details { get; } = new();
    public List<TraceWorkerRow> Workers { get; } = new();

    public bool IsEmpty => Events.Count == 0 && Details.Count == 0 && Workers.Count == 0;

    public void Clear()
    {
        Events.Clear();
        Details.Clear();
        Workers.Clear();
    }
}
