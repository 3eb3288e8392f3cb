using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Gets queues: counts per status, the age of the oldest ready task, and whether claiming is paused.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PrismQQueue")]
[OutputType(typeof(QueueInfo))]
public sealed class GetPrismQQueueCommand : PrismQCmdlet
{
    /// <summary>The queues to get (every known queue when omitted).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string[]? Name { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        Terminating(null, () =>
        {
            foreach (QueueStats stats in QueueCore.Get(Store, Name, name => WriteError(ToErrorRecord(QueueCore.NotFound(name), name)), CancelToken))
                WriteTyped(TaskInfoMapper.ToQueueInfo(stats), QueueInfo.PSTypeName);
        });
    }
}
