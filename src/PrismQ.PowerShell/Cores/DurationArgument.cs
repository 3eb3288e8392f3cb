using System;
using System.Globalization;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// Reads what a user gives a TimeSpan parameter, as <c>Wait-Job -Timeout</c> reads a bare number: a number (or a
/// string that is only a number, such as <c>'30'</c> or <c>'0.5'</c>) is that many seconds; a <see cref="TimeSpan"/>
/// stays as it is; any other string is read as a TimeSpan (<c>'00:05:00'</c>, <c>'1.02:00:00'</c>). No PowerShell types:
/// <c>SecondsTimeSpanAttribute</c> unwraps PSObjects and calls it.
/// </summary>
internal static class DurationArgument
{
    /// <summary>What is allowed, for the error messages.</summary>
    public const string Allowed = "give a duration of 0 or more: a number of seconds (30, 0.5), a TimeSpan (New-TimeSpan -Minutes 5), or a string such as '00:05:00'";

    /// <summary>
    /// The duration <paramref name="value"/> stands for, or <paramref name="value"/> itself when it is neither a number,
    /// a string nor a TimeSpan (PowerShell's own conversion then decides). Throws <see cref="PrismQException"/>
    /// (<see cref="PrismQErrorCode.InvalidArgument"/>) for a negative duration, a number beyond <see cref="TimeSpan.MaxValue"/>
    /// or NaN, and a string that is no duration.
    /// </summary>
    public static object? Read(object? value)
    {
        switch (value)
        {
            case null:
                return null;
            case TimeSpan span:
                return Checked(span, span);
            case string text:
                return FromText(text);
        }

        return IsNumber(value) ? FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture), value) : value;
    }

    /// <summary>True for the numeric types PowerShell literals and arithmetic produce (all .NET primitives, decimal).</summary>
    private static bool IsNumber(object value)
    {
        switch (Convert.GetTypeCode(value))
        {
            case TypeCode.SByte:
            case TypeCode.Byte:
            case TypeCode.Int16:
            case TypeCode.UInt16:
            case TypeCode.Int32:
            case TypeCode.UInt32:
            case TypeCode.Int64:
            case TypeCode.UInt64:
            case TypeCode.Single:
            case TypeCode.Double:
            case TypeCode.Decimal:
                return true;
            default:
                return false;
        }
    }

    private static TimeSpan FromText(string text)
    {
        string trimmed = text.Trim();
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds)) return FromSeconds(seconds, text);
        if (TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out TimeSpan span)) return Checked(span, text);
        throw Invalid($"'{text}' is not a duration; {Allowed}.", text);
    }

    private static TimeSpan FromSeconds(double seconds, object original)
    {
        string shown = Convert.ToString(original, CultureInfo.InvariantCulture) ?? string.Empty;
        if (double.IsNaN(seconds) || double.IsInfinity(seconds) || Math.Abs(seconds) * TimeSpan.TicksPerSecond >= TimeSpan.MaxValue.Ticks)
            throw Invalid($"{shown} seconds is out of range: a number of seconds must be at most {Math.Floor(TimeSpan.MaxValue.TotalSeconds).ToString("F0", CultureInfo.InvariantCulture)}; {Allowed}.", original);
        if (seconds < 0) throw Invalid($"{shown} seconds is negative; {Allowed}.", original);
        return TimeSpan.FromTicks((long)Math.Round(seconds * TimeSpan.TicksPerSecond));
    }

    private static TimeSpan Checked(TimeSpan span, object original)
    {
        if (span < TimeSpan.Zero)
            throw Invalid($"The duration {Convert.ToString(original, CultureInfo.InvariantCulture)} is negative; {Allowed}.", original);
        return span;
    }

    private static PrismQException Invalid(string message, object value) => new(PrismQErrorCode.InvalidArgument, message, "Duration", value);
}
