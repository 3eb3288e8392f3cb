using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using PrismQ.PowerShell.Cores;
using Xunit;

namespace PrismQ.PowerShell.Tests;

/// <summary>Every TimeSpan parameter reads a bare number as seconds (as <c>Wait-Job -Timeout</c>), through <see cref="SecondsTimeSpanAttribute"/> and <see cref="DurationArgument"/>.</summary>
public sealed class TimeSpanParameterTests
{
    private static IEnumerable<PropertyInfo> TimeSpanParameters() =>
        CmdletMetadata.CmdletAssembly.GetTypes()
            .Where(t => t.GetCustomAttributes<CmdletAttribute>().Any())
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            .Where(p => p.GetCustomAttributes<ParameterAttribute>().Any())
            .Where(p => (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType) == typeof(TimeSpan));

    [Fact]
    public void Every_TimeSpan_parameter_of_every_cmdlet_carries_the_seconds_transformation()
    {
        List<string> found = TimeSpanParameters().Select(p => p.DeclaringType!.Name + "." + p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.True(found.Count >= 8, "expected the TimeSpan parameters of Add/Wait/Remove-PrismQTask, Start-PrismQWorker and Invoke-PrismQMaintenance; found: " + string.Join(", ", found));
        List<string> missing = TimeSpanParameters().Where(p => p.GetCustomAttribute<SecondsTimeSpanAttribute>() is null)
            .Select(p => p.DeclaringType!.Name + "." + p.Name).ToList();
        Assert.True(missing.Count == 0, "TimeSpan parameters without [SecondsTimeSpan]: " + string.Join(", ", missing));
    }

    private static object? Transform(object? input) => DurationArgument.Read(input);

    [Theory]
    [InlineData(1, 10_000_000L)]
    [InlineData(0, 0L)]
    [InlineData(90L, 900_000_000L)]
    [InlineData(0.5, 5_000_000L)]
    [InlineData("30", 300_000_000L)]
    [InlineData(" 0.25 ", 2_500_000L)]
    [InlineData("00:05:00", 3_000_000_000L)]
    [InlineData("1.00:00:00", 864_000_000_000L)]
    public void Numbers_are_seconds_and_TimeSpan_strings_stay_TimeSpans(object input, long ticks)
    {
        Assert.Equal(TimeSpan.FromTicks(ticks), Transform(input));
    }

    [Fact]
    public void TimeSpans_decimals_and_unrelated_values_pass_as_they_are()
    {
        Assert.Equal(TimeSpan.FromMinutes(3), Transform(TimeSpan.FromMinutes(3)));
        Assert.Equal(TimeSpan.FromSeconds(1.5), Transform(1.5m));
        Assert.Null(Transform(null));
        var date = new DateTime(2026, 12, 2, 0, 0, 0, DateTimeKind.Utc);
        Assert.Equal(date, Transform(date));
    }

    [Theory]
    [InlineData(-1, "-1 seconds is negative")]
    [InlineData(-0.5, "-0.5 seconds is negative")]
    [InlineData("-5", "-5 seconds is negative")]
    [InlineData("-00:00:01", "-00:00:01 is negative")]
    [InlineData(1e300, "out of range")]
    [InlineData(double.NaN, "out of range")]
    [InlineData("soon", "'soon' is not a duration")]
    public void Negative_out_of_range_and_unreadable_values_are_refused_naming_the_value(object input, string message)
    {
        var ex = Assert.Throws<PrismQException>(() => Transform(input));
        Assert.Equal(PrismQErrorCode.InvalidArgument, ex.Code);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Contains("a number of seconds", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_TimeSpan_is_refused()
    {
        var ex = Assert.Throws<PrismQException>(() => Transform(TimeSpan.FromSeconds(-3)));
        Assert.Contains("-00:00:03 is negative", ex.Message, StringComparison.Ordinal);
    }
}
