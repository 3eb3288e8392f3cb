using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Gets tasks by id, or every task matching a queue, type and status, oldest first.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PrismQTask", DefaultParameterSetName = FilterSet)]
[OutputType(typeof(TaskInfo))]
public sealed class GetPrismQTaskCommand : PrismQCmdlet
{
    private const string FilterSet = "Filter";
    private const string IdSet = "Id";

    /// <summary>The ids of the tasks to get.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    public long[] Id { get; set; } = System.Array.Empty<long>();

    /// <summary>Only tasks in this queue.</summary>
    [Parameter(ParameterSetName = FilterSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string? Queue { get; set; }

    /// <summary>Only tasks of this type.</summary>
    [Parameter(ParameterSetName = FilterSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TaskTypeCompleter))]
    public string? Type { get; set; }

    /// <summary>Only tasks in one of these states.</summary>
    [Parameter(ParameterSetName = FilterSet)]
    public TaskStatus[]? Status { get; set; }

    /// <summary>At most this many tasks (all when omitted).</summary>
    [Parameter(ParameterSetName = FilterSet)]
    [ValidateRange(1, int.MaxValue)]
    public int First { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (ParameterSetName == IdSet)
        {
            foreach (long id in Id)
                ForItem(id, () => WriteTask(TaskLookup.Require(Store, id, CancelToken)));
            return;
        }

        TaskFilter filter = GetTaskCore.Filter(Queue, Type, Status);
        int? first = MyInvocation.BoundParameters.ContainsKey(nameof(First)) ? First : null;
        Terminating(null, () =>
        {
            foreach (TaskRecord record in GetTaskCore.Query(Store, filter, first, CancelToken)) WriteTask(record);
        });
    }
}
