using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Reports progress of the task the current Start-PrismQWorker handler is running.</para>
/// </summary>
[Cmdlet(VerbsCommon.Set, "PrismQTaskProgress", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(void))]
public sealed class SetPrismQTaskProgressCommand : PrismQCmdlet
{
    /// <summary>Percent complete, 0 to 100.</summary>
    [Parameter(Position = 0)]
    [ValidateRange(0, 100)]
    public int Percent { get; set; }

    /// <summary>A short message.</summary>
    [Parameter(Position = 1)]
    public string? Message { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        bool hasPercent = MyInvocation.BoundParameters.ContainsKey(nameof(Percent));
        ForItem(null, () =>
        {
            if (!hasPercent && Message is null)
                throw new PrismQException(PrismQErrorCode.InvalidArgument, "Give -Percent, -Message or both.", "Percent", null);
            TaskContext context = HandlerContext.Require(this, "Set-PrismQTaskProgress");
            if (!ShouldProcess($"PrismQ task {context.TaskId}", "Report progress")) return;
            context.ReportProgress(hasPercent ? Percent : null, Message);
        });
    }
}
