using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Creates the queue database (or opens an existing one) and reports on it.</para>
/// </summary>
[Cmdlet(VerbsData.Initialize, "PrismQDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(DatabaseInfo))]
public sealed class InitializePrismQDatabaseCommand : PrismQCmdlet
{
    /// <summary>Commit durability for this session's connection: Normal (default) or Full.</summary>
    [Parameter]
    public Durability Durability { get; set; } = Durability.Normal;

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        Terminating(Database, () =>
        {
            string path = DatabasePath;
            if (!ShouldProcess(DatabaseDisplay, "Initialize the PrismQ database")) return;
            DatabaseInfo info = DatabaseCore.Initialize(path, Durability, CancelToken);
            WriteTyped(info, DatabaseInfo.PSTypeName);
        });
    }
}
