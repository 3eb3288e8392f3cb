using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Writes a user event into the trace: inside a handler, attached to the running task's attempt.</para>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "PrismQTrace")]
[OutputType(typeof(void))]
public sealed class WritePrismQTraceCommand : PrismQCmdlet
{
    /// <summary>The event's text.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public string Message { get; set; } = string.Empty;

    /// <summary>Data to record with the event (converted to JSON and appended to the message).</summary>
    [Parameter]
    public object? Data { get; set; }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        ForItem(Message, () =>
        {
            string text = TraceCore.UserMessage(Message, Data is null ? null : PowerShellValues.ToPlain(Data));
            TaskContext? context = HandlerContext.Find(this);
            if (context is not null)
            {
                context.TraceEvent(text);
                return;
            }

            string path = DatabasePath;
            StoreCache.Get(path);
            StoreCache.TraceSessionOf(path)?.EmitUser(text);
        });
    }
}
