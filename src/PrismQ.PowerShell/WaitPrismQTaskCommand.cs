using System;
using System.Collections.Generic;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Waits until tasks reach a final state (Succeeded, Failed or Cancelled) and returns them.</para>
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "PrismQTask")]
[OutputType(typeof(TaskInfo))]
public sealed class WaitPrismQTaskCommand : PrismQCmdlet
{
    private readonly List<long> _ids = new();

    /// <summary>The ids of the tasks to wait for (from the pipeline by property name).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    public long[] Id { get; set; } = Array.Empty<long>();

    /// <summary>Stop waiting after this long; unfinished tasks are then reported as PrismQ.Timeout errors. Default: wait as long as it takes.</summary>
    [Parameter]
    [SecondsTimeSpan]
    public TimeSpan Timeout { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord() => _ids.AddRange(Id);

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        TimeSpan? timeout = MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? Timeout : null;
        IReadOnlyList<long> unfinished = Array.Empty<long>();
        var progress = new ProgressRecord(2, "Waiting for PrismQ tasks", "Starting");
        Terminating(null, () =>
        {
            unfinished = WaitTaskCore.Wait(Store, _ids, timeout,
                onFinished: WriteTask,
                onMissing: id => WriteError(ToErrorRecord(TaskLookup.NotFound(id), id)),
                onProgress: (done, total) =>
                {
                    if (total <= 1) return;
                    progress.StatusDescription = $"{done} of {total} finished";
                    progress.PercentComplete = total == 0 ? 100 : done * 100 / total;
                    WriteProgress(progress);
                },
                CancelToken);
        });
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
        foreach (long id in unfinished)
        {
            var error = new PrismQException(PrismQErrorCode.Timeout, $"Task {id} did not finish within {timeout}.", "Timeout", timeout);
            WriteError(ToErrorRecord(error, id));
        }
    }
}
