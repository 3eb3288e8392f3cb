using System;
using System.Collections.Generic;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Gets trace events of the database's workers and tasks, in time order.</para>
/// </summary>
[Cmdlet(VerbsCommon.Get, "PrismQTrace")]
[OutputType(typeof(TraceEvent))]
public sealed class GetPrismQTraceCommand : PrismQCmdlet
{
    private readonly List<long> _taskIds = new();

    /// <summary>Only events of these tasks (from the pipeline by the property Id or TaskId).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    public long[]? TaskId { get; set; }

    /// <summary>Only events of this worker.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? WorkerId { get; set; }

    /// <summary>Only events of these kinds (Enqueue, Claim, Start, Progress, Complete, Fail, RetryScheduled, LeaseExtended, LeaseLost, Release, BusyRetry, SqlStatement, Timeout, Cancel, Reclaim, User, QueueDepth, Gap; the internal WindowMarked records only when named here).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Kind { get; set; }

    /// <summary>Only events at or after this instant.</summary>
    [Parameter]
    public DateTime Since { get; set; }

    /// <summary>Only events before this instant.</summary>
    [Parameter]
    public DateTime Until { get; set; }

    /// <summary>Include each event's detail text (error text, progress messages, statement names) where it was kept; a user event's message is always shown.</summary>
    [Parameter]
    public SwitchParameter IncludeDetail { get; set; }

    /// <summary>At most this many events.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int First { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (TaskId is not null) _taskIds.AddRange(TaskId);
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        bool Bound(string name) => MyInvocation.BoundParameters.ContainsKey(name);
        DateTime? since = Bound(nameof(Since)) ? Since : null;
        DateTime? until = Bound(nameof(Until)) ? Until : null;
        int? first = Bound(nameof(First)) ? First : null;
        long[]? ids = _taskIds.Count > 0 ? _taskIds.ToArray() : null;
        string[] kinds = Kind ?? TraceCore.DefaultKinds;
        Terminating(null, () =>
        {
            TraceCore.Query(null, WorkerId, kinds, since, until, IncludeDetail, first); // validates the parameters once
            IReadOnlyList<global::PrismQ.TraceEvent> events = TraceCore.Get(DatabasePath, ids, one => TraceCore.Query(one, WorkerId, kinds, since, until, IncludeDetail, first));
            int written = 0;
            foreach (global::PrismQ.TraceEvent e in events)
            {
                if (first is int max && written++ >= max) break;
                WriteTyped(TraceCore.ToInfo(e), TraceEvent.PSTypeName);
            }
        });
    }
}
