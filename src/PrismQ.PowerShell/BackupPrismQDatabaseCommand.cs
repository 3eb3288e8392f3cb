using System.IO;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Copies the queue database, while workers keep running, to one consistent, self-contained file.</para>
/// </summary>
[Cmdlet(VerbsData.Backup, "PrismQDatabase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class BackupPrismQDatabaseCommand : PrismQCmdlet
{
    /// <summary>The backup file to create.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = string.Empty;

    /// <summary>Replace the destination file when it exists.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        string destination = ResolveFilePath(Destination);
        string path = DatabasePath;
        if (!ShouldProcess(destination, $"Back up PrismQ database '{DatabaseDisplay}'")) return;
        var progress = new ProgressRecord(5, "Backing up PrismQ database", destination);
        WriteProgress(progress);
        Terminating(destination, () => WriteObject(MaintenanceCore.Backup(path, destination, Force)));
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
    }
}
