using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Management.Automation;

namespace PrismQ.PowerShell;

/// <summary>
/// The PowerShell side of payload conversion. <see cref="ToPlain(object)"/> unwraps PSObjects into plain values that
/// <c>PayloadJson</c> turns into JSON (<see cref="PowerShellJson"/> reads JSON back into PSCustomObjects and arrays).
/// </summary>
internal static class PowerShellValues
{
    /// <summary>Levels of an arbitrary object's PowerShell properties taken before falling back to its string form.</summary>
    public const int ObjectPropertyDepth = Cores.PayloadJson.ObjectPropertyDepth;

    /// <summary>
    /// A plain value for <paramref name="value"/>: PSCustomObjects become ordered dictionaries of their note and
    /// .NET properties; hashtables and lists are unwrapped item by item; scalars stay as they are; any other object
    /// wrapped in a PSObject becomes a dictionary of its properties (script properties are not run) to
    /// <see cref="ObjectPropertyDepth"/> levels, deeper its string form.
    /// </summary>
    public static object? ToPlain(object? value) => ToPlain(value, 0, 0);

    private static object? ToPlain(object? value, int depth, int objectDepth)
    {
        if (depth > Cores.PayloadJson.MaxDepth)
            throw new PrismQException(PrismQErrorCode.InvalidPayload,
                $"The payload nests deeper than {Cores.PayloadJson.MaxDepth} levels; payloads must be at most {Cores.PayloadJson.MaxDepth} levels deep (a reference cycle?).", "Payload", null);
        if (value is null) return null;
        PSObject? wrapper = value as PSObject;
        object baseObject = wrapper is null ? value : wrapper.BaseObject;
        Cores.PayloadJson.RefuseSecret(baseObject);

        if (baseObject is PSCustomObject && wrapper is not null)
        {
            var dictionary = new OrderedDictionary(StringComparer.Ordinal);
            foreach (PSPropertyInfo property in wrapper.Properties)
            {
                if (!IsDataProperty(property)) continue;
                dictionary[property.Name] = ToPlain(SafeValue(property), depth + 1, objectDepth);
            }

            return dictionary;
        }

        if (IsScalar(baseObject)) return baseObject;

        if (baseObject is IDictionary source)
        {
            var dictionary = new OrderedDictionary();
            foreach (DictionaryEntry entry in source)
                dictionary[Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty] = ToPlain(entry.Value, depth + 1, objectDepth);
            return dictionary;
        }

        if (baseObject is IEnumerable items)
        {
            var list = new List<object?>();
            foreach (object? item in items) list.Add(ToPlain(item, depth + 1, objectDepth));
            return list;
        }

        int next = objectDepth + 1;
        if (next > ObjectPropertyDepth) return Convert.ToString(baseObject, System.Globalization.CultureInfo.InvariantCulture);
        PSObject view = wrapper ?? PSObject.AsPSObject(baseObject);
        var properties = new OrderedDictionary(StringComparer.Ordinal);
        foreach (PSPropertyInfo property in view.Properties)
        {
            if (!IsDataProperty(property)) continue;
            properties[property.Name] = ToPlain(SafeValue(property), depth + 1, next);
        }

        return properties;
    }

    /// <summary>
    /// Wraps <paramref name="value"/> and puts <paramref name="psTypeName"/> first among its type names (the format file
    /// binds to it), unless it is the .NET type's own full name: reading a PSObject's type names copies them into a
    /// table PowerShell keeps per object, which costs more than the rest of writing it.
    /// </summary>
    public static PSObject Typed(object value, string psTypeName)
    {
        PSObject wrapped = PSObject.AsPSObject(value);
        if (value.GetType().FullName == psTypeName) return wrapped;
        if (wrapped.TypeNames.Count == 0 || wrapped.TypeNames[0] != psTypeName) wrapped.TypeNames.Insert(0, psTypeName);
        return wrapped;
    }

    private static bool IsDataProperty(PSPropertyInfo property) =>
        property.IsGettable && (property.MemberType == PSMemberTypes.NoteProperty || property.MemberType == PSMemberTypes.Property);

    private static object? SafeValue(PSPropertyInfo property)
    {
        try
        {
            return property.Value;
        }
        catch (GetValueException)
        {
            return null;
        }
    }

    private static bool IsScalar(object value) =>
        value is string || value is char || value is bool || value is Enum || value is DateTime || value is DateTimeOffset
        || value is TimeSpan || value is Guid || value is Uri || value is decimal || value is double || value is float
        || value is int || value is long || value is short || value is byte || value is sbyte || value is uint
        || value is ulong || value is ushort || value is System.Numerics.BigInteger || value is DBNull;
}
