using System.Management.Automation;

namespace PrismQ.PowerShell;

/// <summary>
/// Finds the running task inside a handler: the <c>$PrismQTaskContext</c> variable the worker defines around each
/// handler call, in the scope of the runspace's handler loop (see <c>HandlerLoop</c>).
/// </summary>
internal static class HandlerContext
{
    public static TaskContext? Find(PSCmdlet cmdlet)
    {
        object? value = cmdlet.GetVariableValue(StartPrismQWorkerCommand.ContextVariableName);
        if (value is PSObject wrapped) value = wrapped.BaseObject;
        return value as TaskContext;
    }

    public static TaskContext Require(PSCmdlet cmdlet, string command) =>
        Find(cmdlet) ?? throw new PrismQException(PrismQErrorCode.InvalidTaskState,
            $"{command} reports on the running task, so it works only inside a Start-PrismQWorker handler.", "Context", null);
}
