using System;
using System.Buffers;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// Reads stored payload and result JSON in one pass of a <see cref="Utf8JsonReader"/>, with no intermediate document:
/// objects become what the caller's factory makes (properties set in document order, so of a name given twice the
/// last value stays), arrays <c>object?[]</c>, numbers <see cref="int"/> or <see cref="long"/> when written as an
/// integer that fits, else <see cref="double"/>, and strings (dates too), booleans and null themselves.
/// </summary>
internal sealed class PayloadJsonReader
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = PayloadJson.MaxDepth + 1 };

    private readonly Func<object> _newObject;
    private readonly Action<object, string, object?> _setProperty;

    /// <param name="newObject">Makes an empty object for a JSON object.</param>
    /// <param name="setProperty">Sets one property of an object <paramref name="newObject"/> made.</param>
    public PayloadJsonReader(Func<object> newObject, Action<object, string, object?> setProperty)
    {
        _newObject = newObject;
        _setProperty = setProperty;
    }

    /// <summary>The value of <paramref name="json"/>; null for null. Text that is not one JSON value is an <see cref="PrismQErrorCode.InvalidPayload"/> error.</summary>
    public object? Read(string? json)
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
    private object? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                object result = _newObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    reader.Read();
                    _setProperty(result, name, ReadValue(ref reader));
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
}
