using System.Runtime.CompilerServices;
using PrismQ.Tracing;
using Xunit;

namespace PrismQ.Tests;

public sealed class TracingRingTests
{
    private static LaneSet Lane(int indexCapacity, int highWater, DrainSignal signal) =>
        new(0, null!, indexCapacity, 256, highWater, signal);

    [Fact]
    public void Index_record_fits_in_64_bytes() => Assert.True(Unsafe.SizeOf<IndexRecord>() <= 64);

    [Fact]
    public void A_full_ring_drops_counts_and_writes_one_gap_record_when_there_is_room()
    {
        using var signal = new DrainSignal();
        LaneSet lane = Lane(16, 16, signal);
        for (int i = 0; i < 19; i++) lane.Emit((ushort)TraceEventKind.User, 1, 1, 0, i);
        Assert.Equal(3, lane.Index.Dropped);
        Assert.Equal(3, lane.Index.PendingGap);
        Assert.True(signal.IsSet); // dropping wakes the drain

        Assert.Equal(16, lane.Index.Available(out long head));
        for (long p = head; p < head + 16; p++) Assert.Equal(p, lane.Index.Read(p).Sequence);
        lane.Index.Release(head + 16);

        lane.Emit((ushort)TraceEventKind.User, 1, 1, 0, 19);
        Assert.Equal(2, lane.Index.Available(out head));
        IndexRecord gap = lane.Index.Read(head);
        Assert.Equal((ushort)TraceEventKind.Gap, gap.Kind);
        Assert.Equal(3, gap.Value);        // how many
        Assert.Equal(16, gap.Sequence);    // the first lost sequence
        Assert.True(gap.Timestamp > 0);    // since when
        IndexRecord next = lane.Index.Read(head + 1);
        Assert.Equal(19, next.Sequence);  // 16 + 3: the gap covers the hole exactly
        Assert.Equal(19, next.Value);
        Assert.Equal(0, lane.Index.PendingGap);
    }

    [Fact]
    public void A_pending_gap_waits_for_two_free_slots()
    {
        using var signal = new DrainSignal();
        LaneSet lane = Lane(16, 16, signal);
        for (int i = 0; i < 17; i++) lane.Emit((ushort)TraceEventKind.User, 1, 1, 0, i); // one dropped
        lane.Index.Available(out long head);
        lane.Index.Release(head + 1);                                                     // one slot free
        lane.Emit((ushort)TraceEventKind.User, 1, 1, 0, 17);                              // gap + event need two
        Assert.Equal(2, lane.Index.Dropped);
        Assert.Equal(2, lane.Index.PendingGap);
    }

    [Fact]
    public void Crossing_the_high_water_mark_wakes_the_drain_once()
    {
        using var signal = new DrainSignal();
        LaneSet lane = Lane(64, 8, signal);
        for (int i = 0; i < 7; i++) lane.Emit((ushort)TraceEventKind.User, 1, 1, 0, i);
        Assert.False(signal.IsSet);
        lane.Emit((ushort)TraceEventKind.User, 1, 1, 0, 7);
        Assert.True(signal.IsSet);
        signal.Reset();
        lane.Emit((ushort)TraceEventKind.User, 1, 1, 0, 8);
        Assert.False(signal.IsSet); // already signalled for this fill
    }

    [Fact]
    public void Detail_records_never_wrap_and_link_from_the_index_record()
    {
        using var signal = new DrainSignal();
        LaneSet lane = Lane(16, 16, signal);
        for (int round = 0; round < 10; round++)
        {
            string message = new string((char)('a' + round), 50); // 50 of 64 allowed: forces skips at the ring's end
            lane.EmitDetail((ushort)TraceEventKind.User, 1, 1, 0, round, message);
            Assert.Equal(1, lane.Index.Available(out long head));
            IndexRecord record = lane.Index.Read(head);
            Assert.Equal(message, lane.Detail.Read(record.DetailPosition, record.DetailLength));
            Assert.True((record.DetailPosition & 255) + record.DetailLength <= 256);
            lane.Index.Release(head + 1);
            lane.Detail.Release(record.DetailPosition + record.DetailLength);
        }

        Assert.Equal(0, lane.Detail.Dropped);
    }
}
