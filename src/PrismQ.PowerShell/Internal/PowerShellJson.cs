using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// Reads stored payload and result JSON straight into the PowerShell objects the cmdlets show (one pass, see
/// <see cref="PayloadJsonReader"/>): objects become PSCustomObjects with a note property per name, arrays
/// <c>object[]</c>: <see cref="PayloadJson.Deserialize"/>'s shapes, with PSCustomObjects for its dictionaries.
/// </summary>
internal static class PowerShellJson
{
    private static readonly PayloadJsonReader Reader = new(() => new PSObject(), SetProperty);

    /// <summary>The PowerShell value of <paramref name="json"/>; null for null. Text that is not one JSON value is an <see cref="PrismQErrorCode.InvalidPayload"/> error.</summary>
    public static object? Read(string? json) => Reader.Read(json);

    private static void SetProperty(object target, string name, object? value)
    {
        PSMemberInfoCollection<PSPropertyInfo> properties = ((PSObject)target).Properties;
        try
        {
            properties.Add(new PSNoteProperty(name, value));
        }
        catch (ExtendedTypeSystemException)
        {
            properties[name].Value = value; // a name given twice, or in two cases (PowerShell names ignore case): the last value
        }
    }
}
