using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;

namespace PrismQ.Tracing;

/// <summary>
/// The producer side of a trace session: the <see cref="ITraceEmitter"/> the store and the worker call.
/// <para>
/// The producer is the OS thread: each thread that emits gets its own <see cref="LaneSet"/> on first use (cached in a
/// [ThreadStatic] field: no lock afterwards). Async code that hops threads simply writes to whichever thread it runs
/// on; every event carries task id, attempt and worker slot, so a window (one task attempt) is reassembled by task id
/// at the drain, never by thread.
/// </para>
/// </summary>
internal sealed class LaneTracer : ITraceEmitter
{
    [ThreadStatic] private static LaneSet? t_lane;          // the lane set of the tracer this thread used last
    [ThreadStatic] private static List<LaneSet>? t_lanes;   // this thread's lane sets in every live tracer

    private readonly Dictionary<string, short> _workerSlots = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<TraceWorkerRow> _newWorkers = new();
    private bool _accepting = true;

    public LaneTracer(TraceOptions options, DrainSignal signal)
    {
        int highWater = Math.Max(1, (int)(options.IndexRingCapacity * options.HighWaterFraction));
        Registry = new LaneRegistry(this, options.IndexRingCapacity, options.DetailRingCapacity, highWater, signal);
    }

    public LaneRegistry Registry { get; }

    /// <summary>False once the session is disposing: every call is then ignored.</summary>
    public bool IsAccepting => Volatile.Read(ref _accepting);

    public bool IsEnabled => true;

    /// <summary>Stops accepting events (first step of dispose).</summary>
    public void StopAccepting() => Volatile.Write(ref _accepting, false);

    /// <summary>Worker slots registered since the drain last asked (the drain persists them).</summary>
    public bool TryTakeNewWorker(out TraceWorkerRow row) => _newWorkers.TryDequeue(out row);

    public short RegisterWorker(string workerId)
    {
        if (workerId is null) return 0;
        lock (_workerSlots)
        {
            if (_workerSlots.TryGetValue(workerId, out short slot)) return slot;
            if (_workerSlots.Count >= short.MaxValue) return 0;
            slot = (short)(_workerSlots.Count + 1);
            _workerSlots.Add(workerId, slot);
            _newWorkers.Enqueue(new TraceWorkerRow(slot, workerId));
            return slot;
        }
    }

    public void Emit(TraceEventKind kind, long taskId, int attempt, short workerSlot, long value)
    {
        if (!Volatile.Read(ref _accepting)) return;
        CurrentLane().Emit((ushort)kind, taskId, attempt, workerSlot, value);
    }

    public void EmitDetail(TraceEventKind kind, long taskId, int attempt, short workerSlot, long value, string message)
    {
        if (!Volatile.Read(ref _accepting)) return;
        if (message is null)
        {
            CurrentLane().Emit((ushort)kind, taskId, attempt, workerSlot, value);
            return;
        }

        CurrentLane().EmitDetail((ushort)kind, taskId, attempt, workerSlot, value, message);
    }

    public void OpenWindow(long taskId, int attempt, short workerSlot) => Emit(TraceEventKind.WindowOpened, taskId, attempt, workerSlot, 0);

    public void MarkWindow(long taskId, int attempt, WindowMark mark) => Emit(TraceEventKind.WindowMarked, taskId, attempt, 0, (long)mark);

    public void CloseWindow(long taskId, int attempt) => Emit(TraceEventKind.WindowClosed, taskId, attempt, 0, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private LaneSet CurrentLane()
    {
        LaneSet? lane = t_lane;
        return lane is not null && ReferenceEquals(lane.Tracer, this) ? lane : CurrentLaneSlow();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private LaneSet CurrentLaneSlow()
    {
        List<LaneSet> lanes = t_lanes ??= new List<LaneSet>();
        lanes.RemoveAll(l => !l.Tracer.IsAccepting); // forget lane sets of disposed sessions
        foreach (LaneSet known in lanes)
        {
            if (ReferenceEquals(known.Tracer, this))
            {
                t_lane = known;
                return known;
            }
        }

        LaneSet lane = Registry.Acquire(Thread.CurrentThread);
        lanes.Add(lane);
        t_lane = lane;
        return lane;
    }
}
