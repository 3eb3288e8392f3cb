using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Resume claiming from a queue; adding tasks goes on.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Resume, "PrismQQueue", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(QueueInfo))]
public sealed class ResumePrismQQueueCommand : PrismQCmdlet
{
    /// <summary>The queue (from the pipeline, or by property name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Return the queue after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        string name = Name;
        ForItem(name, () =>
        {
            if (!ShouldProcess($"PrismQ queue '{name}'", "Resume")) return;
            QueueStats stats = QueueCore.SetPaused(Store, name, false, createIfMissing: false, CancelToken);
            if (PassThru) WriteTyped(TaskInfoMapper.ToQueueInfo(stats), QueueInfo.PSTypeName);
        });
    }
}
