using System;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Cancels tasks: a queued task at once, a running one at its worker's next heartbeat.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "PrismQTask", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(TaskInfo))]
public sealed class StopPrismQTaskCommand : PrismQCmdlet
{
    /// <summary>The ids of the tasks to cancel (from the pipeline by property name).</summary>
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
                if (!ShouldProcess($"PrismQ task {id}", "Cancel")) return;
                CancelOutcome outcome = TaskStateCore.Stop(Store, id, CancelToken);
                if (outcome == CancelOutcome.AlreadyFinished) WriteWarning($"Task {id} had already finished; nothing changed.");
                else if (outcome == CancelOutcome.CancelRequested) WriteVerbose($"Task {id} is running; its worker stops it at its next heartbeat.");
                if (PassThru) WriteTask(TaskLookup.Require(Store, id, CancelToken));
            });
        }
    }
}
