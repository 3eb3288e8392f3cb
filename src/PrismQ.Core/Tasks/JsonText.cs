using System;
using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PrismQ.Tasks;

/// <summary>Checks that a text is one complete JSON value, within a size limit in UTF-8 bytes.</summary>
internal static class JsonText
{
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false, MaxDepth = 256 };

    /// <summary>Throws <see cref="PrismQException"/> when <paramref name="json"/> is over <paramref name="maxBytes"/> or not valid JSON.</summary>
    public static void Validate(string json, int maxBytes, string parameterName, string? context = null)
    {
        int byteCount = Encoding.UTF8.GetByteCount(json);
        if (byteCount > maxBytes)
            throw new PrismQException(PrismQErrorCode.PayloadTooLarge,
                $"{Prefix(context)}{parameterName} is {byteCount} bytes of UTF-8; it must be at most {maxBytes} bytes (QueueOptions.MaxPayloadBytes).",
                parameterName, byteCount);

        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(byteCount, 1));
        try
        {
            int written = Encoding.UTF8.GetBytes(json, 0, json.Length, buffer, 0);
            var reader = new Utf8JsonReader(new ReadOnlySpan<byte>(buffer, 0, written), isFinalBlock: true, new JsonReaderState(ReaderOptions));
            try
            {
                if (!reader.Read()) throw new JsonException("The text is empty.");
                reader.Skip();
                if (reader.Read()) throw new JsonException("There is text after the JSON value.");
            }
            catch (JsonException ex)
            {
                throw new PrismQException(PrismQErrorCode.InvalidPayload,
                    $"{Prefix(context)}{parameterName} '{Excerpt(json)}' is not valid JSON ({ex.Message}); it must be one JSON value (use null, a number, a string in quotes, an array or an object).",
                    parameterName, Excerpt(json), ex);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>True when <paramref name="json"/> is one JSON value by the rules of <see cref="Validate"/> (size aside).</summary>
    public static bool IsValid(string json)
    {
        try
        {
            Validate(json, int.MaxValue, "json");
            return true;
        }
        catch (PrismQException e) when (e.Code == PrismQErrorCode.InvalidPayload)
        {
            return false;
        }
    }

    /// <summary>The start of a text, for messages (payloads can be large).</summary>
    public static string Excerpt(string text) => text.Length <= 80 ? text : text.Substring(0, 77) + "...";

    private static string Prefix(string? context) => context is null ? string.Empty : context + ": ";
}
