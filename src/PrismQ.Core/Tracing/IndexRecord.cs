using System.Runtime.InteropServices;

namespace PrismQ.Tracing;

/// <summary>
/// One index-lane record: fixed size (56 bytes), blittable, written in place into the ring's pre-allocated array.
/// <see cref="Timestamp"/> is in <see cref="System.Diagnostics.Stopwatch"/> ticks (monotonic, cheap); the drain
/// converts it to UTC (<see cref="TraceClock"/>).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IndexRecord
{
    /// <summary>No detail record is linked.</summary>
    public const int NoDetail = -1;

    /// <summary>A detail record was meant to be linked but the detail ring was full: it was dropped and counted.</summary>
    public const int DetailDropped = -2;

    public long Timestamp;
    public long Sequence;
    public long TaskId;
    public long Value;
    /// <summary>Position of the linked detail record in the lane's detail stream (monotonic, in chars).</summary>
    public long DetailPosition;
    public int Attempt;
    /// <summary>Length in chars of the linked detail record, or <see cref="NoDetail"/> / <see cref="DetailDropped"/>.</summary>
    public int DetailLength;
    public ushort Kind;
    public short WorkerSlot;
}
