using System;
using System.Buffers;
using System.Collections.Generic;
using System.Management.Automation;
using System.Text;
using System.Text.Json;

namespace PrismQ.PowerShell;

/// <summary>
/// Reads stored payload and result JSON straight into the PowerShell objects the cmdlets show, in one pass of a
/// <see cref="Utf8JsonReader"/>: objects become PSCustomObjects (note properties in document order; of a name given
/// twice, the last value), arrays <c>object[]</c>, numbers <see cref="int"/> or <see cref="long"/> when written as
/// an integer that fits, else <see cref="double"/>, and strings, booleans and null
/// themselves. Dates stay the strings they were stored as. These are the shapes <see cref="PowerShellValues.ToPowerShell"/>
/// gives for <c>PayloadJson.Deserialize</c>'s plain values.
/// </summary>
internal static class PowerShellJson
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = Cores.PayloadJson.MaxDepth + 1 };

    /// <summary>The PowerShell value of <paramref name="json"/>; null for null. Text that is not one JSON value is an <see cref="PrismQErrorCode.InvalidPayload"/> error.</summary>
    public static object? Read(string? json)
    {
        if (json is null) return null;
        byte[] utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            int length = Encoding.UTF8.GetBytes(json, 0, json.Length, utf8, 0);
            var reader = new Utf8JsonReader(new ReadOnlySpan<byte>(utf8, 0, length), ReaderOptions);
            if (!reader.Read()) throw new JsonException("The text is empty.");
            object? value = ReadValue(ref reader);
            if (reader.Read()) throw new JsonException("There is text after the JSON value.");
            return value;
        }
        catch (JsonException ex)
        {
            throw new PrismQException(PrismQErrorCode.InvalidPayload, $"The stored JSON could not be read: {ex.Message}", "json", null, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    // The value whose first token the reader is on; leaves the reader on its last token.
    private static object? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var result = new PSObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    reader.Read();
                    SetProperty(result, name, ReadValue(ref reader));
                }

                return result;
            case JsonTokenType.StartArray:
                var items = new List<object?>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(ReadValue(ref reader));
                return items.ToArray();
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Number:
                if (reader.TryGetInt32(out int i)) return i;
                if (reader.TryGetInt64(out long l)) return l;
                return reader.GetDouble();
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            default:
                return null;
        }
    }

    private static void SetProperty(PSObject target, string name, object? value)
    {
        try
        {
            target.Properties.Add(new PSNoteProperty(name, value));
        }
        catch (ExtendedTypeSystemException)
        {
            target.Properties[name].Value = value; // a name given twice (JSON allows it): the last value, as a dictionary keeps it
        }
    }
}
