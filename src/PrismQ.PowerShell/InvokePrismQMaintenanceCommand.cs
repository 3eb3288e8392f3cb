using System;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Keeps a queue database healthy: prunes old finished tasks, checkpoints the WAL, optimizes, checks integrity.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "PrismQMaintenance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(MaintenanceReport))]
public sealed class InvokePrismQMaintenanceCommand : PrismQCmdlet
{
    /// <summary>Delete succeeded, failed and cancelled tasks that finished longer ago than this.</summary>
    [Parameter]
    [SecondsTimeSpan]
    public TimeSpan PruneFinishedOlderThan { get; set; }

    /// <summary>Run a truncating WAL checkpoint (folds the WAL into the database and empties it).</summary>
    [Parameter]
    public SwitchParameter Checkpoint { get; set; }

    /// <summary>Run ANALYZE and PRAGMA optimize.</summary>
    [Parameter]
    public SwitchParameter Optimize { get; set; }

    /// <summary>Run PRAGMA integrity_check (reads the whole file).</summary>
    [Parameter]
    public SwitchParameter IntegrityCheck { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        var settings = new MaintenanceSettings
        {
            PruneFinishedOlderThan = MyInvocation.BoundParameters.ContainsKey(nameof(PruneFinishedOlderThan)) ? PruneFinishedOlderThan : null,
            Checkpoint = Checkpoint,
            Optimize = Optimize,
            IntegrityCheck = IntegrityCheck,
        };
        string path = DatabasePath;
        if (!ShouldProcess(DatabaseDisplay, "Run PrismQ maintenance")) return;
        var progress = new ProgressRecord(4, "PrismQ maintenance", "Starting");
        Terminating(path, () =>
        {
            MaintenanceReport report = MaintenanceCore.Run(path, settings, DateTimeOffset.UtcNow, step =>
            {
                progress.StatusDescription = step;
                WriteProgress(progress);
            });
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
            WriteTyped(report, MaintenanceReport.PSTypeName);
        });
    }
}
