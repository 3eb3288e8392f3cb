using System;

namespace PrismQ.PowerShell.Cores;

/// <summary>Builds the cmdlets' output objects from engine records. Payload and result are passed on as JSON text; <see cref="TaskInfo"/> reads them into PowerShell objects when first used.</summary>
internal static class TaskInfoMapper
{
    public static TaskInfo ToTaskInfo(TaskRecord record) => new()
    {
        Id = record.Id,
        Queue = record.Queue,
        Type = record.Type,
        Status = record.Status,
        Priority = record.Priority,
        Attempts = record.Attempts,
        MaxAttempts = record.MaxAttempts,
        PayloadJson = record.Payload,
        ResultJson = record.Result,
        Error = record.LastError?.Message,
        ErrorType = record.LastError?.Type,
        Errors = ToErrorInfos(record.Errors),
        Output = ToOutputInfos(record.Output),
        Progress = record.ProgressPercent,
        ProgressMessage = record.ProgressMessage,
        NotBefore = record.NotBefore.LocalDateTime,
        CreatedAt = record.CreatedAt.LocalDateTime,
        StartedAt = record.StartedAt?.LocalDateTime,
        FinishedAt = record.FinishedAt?.LocalDateTime,
        WorkerId = record.LeaseOwner,
        IdempotencyKey = record.IdempotencyKey,
        Timeout = record.Timeout,
        CancelRequested = record.CancelRequested,
    };

    public static TaskErrorInfo[] ToErrorInfos(System.Collections.Generic.IReadOnlyList<TaskAttemptError> errors)
    {
        if (errors.Count == 0) return Array.Empty<TaskErrorInfo>();
        var infos = new TaskErrorInfo[errors.Count];
        for (int i = 0; i < infos.Length; i++)
        {
            TaskAttemptError e = errors[i];
            infos[i] = new TaskErrorInfo { Attempt = e.Attempt, At = e.At.LocalDateTime, Message = e.Message, Type = e.Type, Detail = e.Detail };
        }
        return infos;
    }

    public static TaskOutputInfo[] ToOutputInfos(System.Collections.Generic.IReadOnlyList<TaskOutputRecord> output)
    {
        if (output.Count == 0) return Array.Empty<TaskOutputInfo>();
        var infos = new TaskOutputInfo[output.Count];
        for (int i = 0; i < infos.Length; i++)
        {
            TaskOutputRecord r = output[i];
            infos[i] = new TaskOutputInfo { Attempt = r.Attempt, At = r.At.LocalDateTime, Stream = r.Stream, Text = r.Text };
        }
        return infos;
    }

    public static QueueInfo ToQueueInfo(QueueStats stats) => new()
    {
        Name = stats.Name,
        Queued = stats.Queued,
        Scheduled = stats.Scheduled,
        Running = stats.Running,
        Succeeded = stats.Succeeded,
        Failed = stats.Failed,
        Cancelled = stats.Cancelled,
        OldestQueuedAge = stats.OldestQueuedAge,
        Paused = stats.Paused,
    };

    public static WorkerInfo ToWorkerInfo(global::PrismQ.WorkerInfo worker)
    {
        WorkerInfo info = ToWorkerInfo(worker.Record);
        info.State = worker.State;
        info.HeartbeatAge = worker.HeartbeatAge;
        return info;
    }

    public static WorkerInfo ToWorkerInfo(WorkerRecord record)
    {
        var queues = new string[record.Queues.Count];
        for (int i = 0; i < queues.Length; i++) queues[i] = record.Queues[i];
        var ids = new long[record.CurrentTaskIds.Count];
        for (int i = 0; i < ids.Length; i++) ids[i] = record.CurrentTaskIds[i];
        return new WorkerInfo
        {
            Id = record.Id,
            Host = record.Host,
            ProcessId = record.ProcessId,
            Queues = queues,
            StartedAt = record.StartedAt.LocalDateTime,
            LastHeartbeatAt = record.LastHeartbeatAt.LocalDateTime,
            CurrentTaskIds = ids,
        };
    }

    /// <summary>A local or unspecified <see cref="DateTime"/> parameter as an instant (unspecified counts as local, as PowerShell parses it).</summary>
    public static DateTimeOffset ToInstant(DateTime value) =>
        value.Kind == DateTimeKind.Utc ? new DateTimeOffset(value) : new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Local));
}
