using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// Writes payloads as <see cref="PayloadJson"/> JSON text with one buffer and one <see cref="Utf8JsonWriter"/> reused
/// from payload to payload, for a caller that converts many in a row (<c>Add-PrismQTask</c>). An <see cref="int"/> or
/// <see cref="long"/> payload is its invariant digits without a writer. Not safe for concurrent use.
/// </summary>
internal sealed class PayloadJsonWriter
{
    private readonly MemoryStream _buffer = new();
    private readonly Utf8JsonWriter _writer;

    public PayloadJsonWriter()
    {
        _writer = new Utf8JsonWriter(_buffer, PayloadJson.WriterOptions);
    }

    /// <summary>The JSON text of <paramref name="value"/> and its length in UTF-8 bytes.</summary>
    public string Write(object? value, out int utf8Bytes)
    {
        string? digits = value switch
        {
            int i => i.ToString(CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
        if (digits is not null)
        {
            utf8Bytes = digits.Length;
            return digits;
        }

        _buffer.SetLength(0);
        _writer.Reset(_buffer); // also forgets a value left half-written by a payload that threw
        PayloadJson.Write(_writer, value);
        _writer.Flush();
        utf8Bytes = (int)_buffer.Length;
        return Encoding.UTF8.GetString(_buffer.GetBuffer(), 0, utf8Bytes);
    }
}
