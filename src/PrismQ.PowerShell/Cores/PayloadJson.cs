using System;
using System.Collections;
using System.Collections.Specialized;
using System.Globalization;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// Converts plain .NET values to payload JSON and back, with no PowerShell types (the cmdlet layer unwraps
/// PSObjects first, see <c>PowerShellValues</c>).
/// <list type="bullet">
/// <item>null, strings, chars, booleans, all numeric types, enums (by name), Guid, Uri, DateTime/DateTimeOffset
/// (ISO 8601 "o" format, as strings) and TimeSpan (constant "c" format, as a string) are JSON scalars;</item>
/// <item>any <see cref="IDictionary"/> is a JSON object (keys by their string form);</item>
/// <item>any other <see cref="IEnumerable"/> is a JSON array;</item>
/// <item>any other object is a JSON object of its public readable instance properties, to
/// <see cref="ObjectPropertyDepth"/> levels below the first such object; deeper, its <c>ToString()</c>.</item>
/// </list>
/// Dictionaries and arrays may nest to <see cref="MaxDepth"/> levels; deeper is an <see cref="PrismQErrorCode.InvalidPayload"/> error
/// (it is almost always a cycle). A secret anywhere in the value (<see cref="System.Security.SecureString"/>, a
/// PSCredential, a <see cref="System.Net.NetworkCredential"/>) is a <see cref="PrismQErrorCode.SecretInPayload"/> error:
/// the database is not a place for secrets in plain text.
/// Text is written as UTF-8: letters of every script stay as they are (<c>é</c> is 2 bytes, not a 6-byte <c>é</c>
/// escape); quotes, backslashes, control characters and the HTML-sensitive <c>&lt; &gt; &amp; ' + `</c> are escaped, and so
/// are characters beyond the Basic Multilingual Plane (an emoji is a 12-byte surrogate pair escape).
/// </summary>
internal static class PayloadJson
{
    /// <summary>The deepest nesting of objects and arrays.</summary>
    public const int MaxDepth = 64;

    /// <summary>How many levels of an arbitrary object's properties are taken before falling back to ToString().</summary>
    public const int ObjectPropertyDepth = 3;

    /// <summary>Compact JSON, UTF-8 text as it is (see the class remarks for what is escaped).</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = false,
        SkipValidation = false,
        // Every Unicode range is allowed, so non-ASCII text is stored as UTF-8; the encoder still escapes what JSON and HTML need.
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
    };

    /// <summary>Full names of the PowerShell secret types PayloadJson refuses without referencing PowerShell.</summary>
    private const string PSCredentialTypeName = "System.Management.Automation.PSCredential";

    /// <summary>The JSON text of <paramref name="value"/>.</summary>
    public static string Serialize(object? value) => new PayloadJsonWriter().Write(value, out _);

    /// <summary>Writes <paramref name="value"/> as one JSON value.</summary>
    public static void Write(Utf8JsonWriter writer, object? value) => Write(writer, value, 0, -1);

    private static readonly PayloadJsonReader PlainReader =
        new(() => new OrderedDictionary(StringComparer.Ordinal), (target, name, value) => ((OrderedDictionary)target)[name] = value);

    /// <summary>
    /// Rebuilds plain values from JSON text (<see cref="PayloadJsonReader"/>): objects become
    /// <see cref="OrderedDictionary"/> (keys in document order), arrays <c>object?[]</c>, numbers <see cref="int"/>,
    /// <see cref="long"/> or <see cref="double"/>, and strings, booleans and null themselves.
    /// </summary>
    public static object? Deserialize(string? json) => PlainReader.Read(json);

    // objectDepth: -1 while inside plain data; otherwise how many reflected-object levels are open.
    private static void Write(Utf8JsonWriter writer, object? value, int depth, int objectDepth)
    {
        if (depth > MaxDepth)
            throw new PrismQException(PrismQErrorCode.InvalidPayload,
                $"The payload nests deeper than {MaxDepth} levels; payloads must be at most {MaxDepth} levels deep (a reference cycle?).", "Payload", null);

        RefuseSecret(value);
        switch (value)
        {
            case null:
            case DBNull:
                writer.WriteNullValue();
                return;
            case string s:
                writer.WriteStringValue(s);
                return;
            case char c:
                writer.WriteStringValue(c.ToString());
                return;
            case bool b:
                writer.WriteBooleanValue(b);
                return;
            case Enum e:
                writer.WriteStringValue(e.ToString());
                return;
            case DateTime dt:
                writer.WriteStringValue(dt.ToString("o", CultureInfo.InvariantCulture));
                return;
            case DateTimeOffset dto:
                writer.WriteStringValue(dto.ToString("o", CultureInfo.InvariantCulture));
                return;
            case TimeSpan ts:
                writer.WriteStringValue(ts.ToString("c", CultureInfo.InvariantCulture));
                return;
            case Guid g:
                writer.WriteStringValue(g.ToString("D"));
                return;
            case Uri u:
                writer.WriteStringValue(u.OriginalString);
                return;
        }

        if (TryWriteNumber(writer, value)) return;

        if (value is IDictionary dictionary)
        {
            writer.WriteStartObject();
            foreach (DictionaryEntry entry in dictionary)
            {
                writer.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty);
                Write(writer, entry.Value, depth + 1, objectDepth);
            }

            writer.WriteEndObject();
            return;
        }

        if (value is IEnumerable enumerable)
        {
            writer.WriteStartArray();
            foreach (object? item in enumerable) Write(writer, item, depth + 1, objectDepth);
            writer.WriteEndArray();
            return;
        }

        int nextObjectDepth = objectDepth < 0 ? 1 : objectDepth + 1;
        if (nextObjectDepth > ObjectPropertyDepth)
        {
            writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
            return;
        }

        writer.WriteStartObject();
        foreach (PropertyInfo property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanRead || property.GetIndexParameters().Length > 0) continue;
            object? propertyValue;
            try
            {
                propertyValue = property.GetValue(value);
            }
            catch (Exception ex) when (ex is TargetInvocationException || ex is NotSupportedException || ex is InvalidOperationException)
            {
                continue; // a property that throws when read is left out, as ConvertTo-Json does
            }

            writer.WritePropertyName(property.Name);
            Write(writer, propertyValue, depth + 1, nextObjectDepth);
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// Throws <see cref="PrismQErrorCode.SecretInPayload"/> for a secret: a <see cref="System.Security.SecureString"/>,
    /// a PSCredential or a <see cref="System.Net.NetworkCredential"/>. Taken by its properties, a SecureString would be
    /// stored as <c>{"Length":n}</c> and a credential's password in plain text.
    /// </summary>
    public static void RefuseSecret(object? value)
    {
        if (value is null) return;
        string? kind = value switch
        {
            System.Security.SecureString => "a SecureString",
            System.Net.NetworkCredential => "a NetworkCredential",
            _ when value.GetType().FullName == PSCredentialTypeName => "a PSCredential",
            _ => null,
        };
        if (kind is null) return;
        throw new PrismQException(PrismQErrorCode.SecretInPayload,
            $"The value holds {kind}; PrismQ refuses secrets in payloads and results, because the database would keep them in plain text (readable by anyone who can read the file or a backup). " +
            "Pass a reference instead (for example the name of a SecretManagement secret or a credential file the worker reads with Import-Clixml) and fetch the secret inside the handler.",
            "Payload", kind);
    }

    private static bool TryWriteNumber(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case int v: writer.WriteNumberValue(v); return true;
            case long v: writer.WriteNumberValue(v); return true;
            case short v: writer.WriteNumberValue(v); return true;
            case sbyte v: writer.WriteNumberValue(v); return true;
            case byte v: writer.WriteNumberValue(v); return true;
            case ushort v: writer.WriteNumberValue(v); return true;
            case uint v: writer.WriteNumberValue(v); return true;
            case ulong v: writer.WriteNumberValue(v); return true;
            case decimal v: writer.WriteNumberValue(v); return true;
            case float v: WriteFloating(writer, v); return true;
            case double v: WriteFloating(writer, v); return true;
            case System.Numerics.BigInteger v: writer.WriteRawValue(v.ToString(CultureInfo.InvariantCulture)); return true;
            default: return false;
        }
    }

    private static void WriteFloating(Utf8JsonWriter writer, double v)
    {
        if (double.IsNaN(v) || double.IsInfinity(v))
            throw new PrismQException(PrismQErrorCode.InvalidPayload,
                $"The payload holds the number {v.ToString(CultureInfo.InvariantCulture)}; JSON has no NaN or infinity, so payload numbers must be finite.", "Payload", v);
        writer.WriteNumberValue(v);
    }
}
