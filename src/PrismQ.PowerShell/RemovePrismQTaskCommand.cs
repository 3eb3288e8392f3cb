using System;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Deletes tasks by id, or every task in given states older than a given age.</para>
/// </summary>
[Cmdlet(VerbsCommon.Remove, "PrismQTask", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = IdSet)]
[OutputType(typeof(void))]
public sealed class RemovePrismQTaskCommand : PrismQCmdlet
{
    private const string IdSet = "Id";
    private const string FilterSet = "Filter";

    /// <summary>The ids of the tasks to delete (from the pipeline by property name). Running tasks are not deleted.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    public long[] Id { get; set; } = Array.Empty<long>();

    /// <summary>Delete tasks in these states (not Running).</summary>
    [Parameter(Mandatory = true, ParameterSetName = FilterSet)]
    public TaskStatus[] Status { get; set; } = Array.Empty<TaskStatus>();

    /// <summary>Only tasks that finished (Queued: were created) longer ago than this.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FilterSet)]
    [SecondsTimeSpan]
    public TimeSpan OlderThan { get; set; }

    /// <summary>Only tasks in this queue.</summary>
    [Parameter(ParameterSetName = FilterSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string? Queue { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (ParameterSetName == FilterSet)
        {
            string target = $"PrismQ tasks with status {string.Join(", ", Status)} older than {OlderThan}" + (Queue is null ? string.Empty : $" in queue '{Queue}'");
            if (!ShouldProcess(target, "Remove")) return;
            Terminating(null, () =>
            {
                int removed = TaskStateCore.RemoveMatching(Store, Status, OlderThan, Queue, DateTimeOffset.UtcNow, CancelToken);
                WriteVerbose($"Removed {removed} tasks.");
            });
            return;
        }

        foreach (long id in Id)
        {
            ForItem(id, () =>
            {
                if (!ShouldProcess($"PrismQ task {id}", "Remove")) return;
                TaskStateCore.Remove(Store, id, CancelToken);
            });
        }
    }
}
