using System.Threading;

namespace PrismQ.Tracing;

/// <summary>
/// The detail lane: a single-producer / single-consumer ring of UTF-16 chars holding variable-size messages
/// (SQL statement names and timings, exception text, progress and handler messages, lease events).
/// <para>
/// SPSC with drop, not overwrite-oldest: a full ring drops the new message (the index record then says
/// <see cref="IndexRecord.DetailDropped"/>) and counts it, so the consumer never reads a half-overwritten record and
/// the producer needs no fence beyond a release. The flight-recorder behaviour (keep recent detail, persist only marked
/// windows) lives in the drain (<see cref="WindowTracker"/>), where the windows are decided.
/// </para>
/// <para>
/// A message never wraps: if it does not fit before the end of the array, the producer skips to the start (the skipped
/// chars are released with the record). The producer publishes nothing itself: the index record that links the message
/// is published after it (release on the index tail), which is what makes the chars visible to the consumer.
/// </para>
/// </summary>
internal sealed class DetailRing
{
    private readonly char[] _chars;
    private readonly long _mask;
    private readonly long _capacity;

    private PaddedLong _head; // written by the consumer (Volatile.Write), read by the producer (Volatile.Read)

    // Producer-private.
    private long _tail;
    private long _cachedHead;
    private long _dropped; // published with Volatile.Write

    public DetailRing(int capacity)
    {
        _chars = new char[capacity];
        _capacity = capacity;
        _mask = capacity - 1;
        MaxMessageLength = capacity / 4;
    }

    /// <summary>Longer messages are truncated to this many chars (a quarter of the ring).</summary>
    public int MaxMessageLength { get; }

    /// <summary>Messages dropped because the ring was full (all time).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Producer: copies the message in; false (and counted) when there is no room.</summary>
    public bool TryWrite(string message, out long position, out int length)
    {
        length = message.Length <= MaxMessageLength ? message.Length : MaxMessageLength;
        long pos = _tail;
        long offset = pos & _mask;
        if (offset + length > _capacity) pos += _capacity - offset; // skip to the start: a record never wraps
        if (pos + length - _cachedHead > _capacity)
        {
            _cachedHead = Volatile.Read(ref _head.Value); // acquire: the consumer finished copying those chars
            if (pos + length - _cachedHead > _capacity)
            {
                Volatile.Write(ref _dropped, _dropped + 1);
                position = 0;
                return false;
            }
        }

        message.CopyTo(0, _chars, (int)(pos & _mask), length);
        _tail = pos + length;
        position = pos;
        return true;
    }

    /// <summary>Consumer: a copy of a record linked by a published index record.</summary>
    public string Read(long position, int length) => new(_chars, (int)(position & _mask), length);

    /// <summary>Consumer: hands back every char before <paramref name="newHead"/> (release).</summary>
    public void Release(long newHead) => Volatile.Write(ref _head.Value, newHead);
}
