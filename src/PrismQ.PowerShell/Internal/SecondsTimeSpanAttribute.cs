using System;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// Put on every TimeSpan parameter of every PrismQ cmdlet (a test checks that): a bare number means seconds, as
/// <c>Wait-Job -Timeout</c> reads it; TimeSpans and strings such as <c>'00:05:00'</c> keep working (see
/// <see cref="DurationArgument"/>). A value it refuses fails the parameter binding with a message naming the value and
/// what is allowed.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class SecondsTimeSpanAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc />
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject wrapper ? wrapper.BaseObject : inputData;
        try
        {
            object? duration = DurationArgument.Read(value);
            return ReferenceEquals(duration, value) ? inputData : duration;
        }
        catch (PrismQException ex)
        {
            throw new ArgumentTransformationMetadataException(ex.Message, ex);
        }
    }
}
