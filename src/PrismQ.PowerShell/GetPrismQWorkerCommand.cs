using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Gets the workers registered in the database, with their heartbeats and current tasks.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PrismQWorker")]
[OutputType(typeof(WorkerInfo))]
public sealed class GetPrismQWorkerCommand : PrismQCmdlet
{
    /// <inheritdoc />
    protected override void EndProcessing()
    {
        Terminating(null, () =>
        {
            foreach (global::PrismQ.WorkerInfo record in QueueCore.Workers(Store, CancelToken))
                WriteTyped(TaskInfoMapper.ToWorkerInfo(record), WorkerInfo.PSTypeName);
        });
    }
}
