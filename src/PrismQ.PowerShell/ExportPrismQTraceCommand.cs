using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Writes trace events to a Chrome Trace Event JSON file, to view as a timeline in Perfetto UI or chrome://tracing.</para>
/// </summary>
[Cmdlet(VerbsData.Export, "PrismQTrace", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class ExportPrismQTraceCommand : PrismQCmdlet
{
    private readonly List<long> _taskIds = new();

    /// <summary>The JSON file to write (replaced when it exists).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Only events of these tasks (from the pipeline by the property Id or TaskId).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    public long[]? TaskId { get; set; }

    /// <summary>Only events at or after this instant.</summary>
    [Parameter]
    public DateTime Since { get; set; }

    /// <summary>Only events before this instant.</summary>
    [Parameter]
    public DateTime Until { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (TaskId is not null) _taskIds.AddRange(TaskId);
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);
        string file = ResolveFilePath(Path);
        if (!ShouldProcess(file, "Export the PrismQ trace")) return;
        var progress = new ProgressRecord(6, "Exporting PrismQ trace", file);
        WriteProgress(progress);
        Terminating(file, () =>
            WriteObject(TraceCore.Export(DatabasePath, file, _taskIds.Count > 0 ? _taskIds.ToArray() : null, Bound(nameof(Since)) ? Since : null, Bound(nameof(Until)) ? Until : null)));
        progress.RecordType = ProgressRecordType.Completed;
        WriteProgress(progress);
    }
}
