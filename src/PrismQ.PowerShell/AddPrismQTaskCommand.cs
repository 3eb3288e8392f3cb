using System;
using System.Collections.Generic;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell;

/// <summary>
/// <para type="synopsis">Adds tasks to a queue: one task per pipeline object, enqueued in batches.</para>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PrismQTask", DefaultParameterSetName = ImmediateSet)]
[OutputType(typeof(TaskInfo))]
public sealed class AddPrismQTaskCommand : PrismQCmdlet
{
    private const string ImmediateSet = "Immediate";
    private const string DelaySet = "Delay";
    private const string NotBeforeSet = "NotBefore";

    private AddTaskCore? _core;
    private long _received;

    /// <summary>The task type; workers choose their handler by it.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TaskTypeCompleter))]
    public string Type { get; set; } = string.Empty;

    /// <summary>The payload: hashtables, PSCustomObjects, strings, numbers, arrays and nested combinations; other objects by their properties. One task per pipeline object.</summary>
    [Parameter(Position = 1, ValueFromPipeline = true)]
    [AllowNull]
    public object? Payload { get; set; }

    /// <summary>The queue. Default <c>default</c>.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(QueueNameCompleter))]
    public string Queue { get; set; } = QueueNames.Default;

    /// <summary>Higher runs first (with the Priority and WeightedRandom strategies). Default 0.</summary>
    [Parameter]
    public int Priority { get; set; }

    /// <summary>Not claimed until this much time has passed.</summary>
    [Parameter(Mandatory = true, ParameterSetName = DelaySet)]
    [SecondsTimeSpan]
    public TimeSpan Delay { get; set; }

    /// <summary>Not claimed before this instant.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NotBeforeSet)]
    public DateTime NotBefore { get; set; }

    /// <summary>Attempts in all, including retries. Default: the database's default (5).</summary>
    [Parameter]
    [ValidateRange(1, TaskLimits.MaxAttempts)]
    public int MaxAttempts { get; set; }

    /// <summary>The time one attempt may take.</summary>
    [Parameter]
    [SecondsTimeSpan]
    public TimeSpan Timeout { get; set; }

    /// <summary>When a task with this key exists, it is returned instead of adding a new one.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IdempotencyKey { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        Terminating(Type, () =>
        {
            _core = new AddTaskCore(Store, new AddTaskSettings
            {
                Type = Type,
                Queue = Queue,
                Priority = Priority,
                Delay = ParameterSetName == DelaySet ? Delay : null,
                NotBefore = ParameterSetName == NotBeforeSet ? TaskInfoMapper.ToInstant(NotBefore) : null,
                MaxAttempts = MyInvocation.BoundParameters.ContainsKey(nameof(MaxAttempts)) ? MaxAttempts : null,
                Timeout = MyInvocation.BoundParameters.ContainsKey(nameof(Timeout)) ? Timeout : null,
                IdempotencyKey = IdempotencyKey,
            });
        });
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        AddTaskCore core = _core!;
        _received++;
        object? payload = Payload;
        ForItem(payload, () => core.Add(PowerShellValues.ToPlain(payload)));
        if (core.IsBatchFull) Flush();
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        Flush();
        if (_received > _core!.BatchSize)
            WriteProgress(new ProgressRecord(1, "Adding PrismQ tasks", "Done") { RecordType = ProgressRecordType.Completed });
    }

    private void Flush()
    {
        AddTaskCore core = _core!;
        if (core.Pending == 0) return;
        IReadOnlyList<TaskRecord> records = Array.Empty<TaskRecord>();
        Terminating(Type, () => records = core.Flush(CancelToken));
        if (_received > core.BatchSize)
            WriteProgress(new ProgressRecord(1, "Adding PrismQ tasks", $"{core.Enqueued} tasks enqueued in '{Queue}'"));
        foreach (TaskRecord record in records) WriteTask(record);
    }
}
