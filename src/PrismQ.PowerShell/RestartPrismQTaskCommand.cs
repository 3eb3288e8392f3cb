using System;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Puts failed or cancelled tasks back in their queue with a fresh set of attempts.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Restart, "PrismQTask", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(TaskInfo))]
public sealed class RestartPrismQTaskCommand : PrismQCmdlet
{
    /// <summary>The ids of the tasks to restart (from the pipeline by property name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public long[] Id { get; set; } = Array.Empty<long>();

    /// <summary>Return each task after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (long id in Id)
        {
            ForItem(id, () =>
            {
                if (!ShouldProcess($"PrismQ task {id}", "Restart")) return;
                TaskStateCore.Restart(Store, id, CancelToken);
                if (PassThru) WriteTask(TaskLookup.Require(Store, id, CancelToken));
            });
        }
    }
}
