using System.Runtime.InteropServices;

namespace PrismQ.Tracing;

/// <summary>
/// A long alone on its cache line (64 bytes of padding each side), so the producer's and the consumer's indexes of a
/// ring never share a line (no false sharing). Accessed through <c>Volatile.Read/Write(ref x.Value)</c>.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 136)]
internal struct PaddedLong
{
    [FieldOffset(64)]
    public long Value;
}
