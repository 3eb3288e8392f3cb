using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Pause claiming from a queue; adding tasks goes on.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Suspend, "PrismQQueue", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(QueueInfo))]
public sealed class SuspendPrismQQueueCommand : PrismQCmdlet
{
    /// <summary>The queue (from the pipeline, or by property name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Pause the queue even when it does not exist yet (no task was ever added to it): its first tasks then wait.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Return the queue after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        string name = Name;
        ForItem(name, () =>
        {
            if (!ShouldProcess($"PrismQ queue '{name}'", "Suspend")) return;
            QueueStats stats = QueueCore.SetPaused(Store, name, true, Force, CancelToken);
            if (PassThru) WriteTyped(TaskInfoMapper.ToQueueInfo(stats), QueueInfo.PSTypeName);
        });
    }
}
