using System;
using System.Collections.Generic;
using PrismQ.Internal;

namespace PrismQ.Tasks;

/// <summary>
/// Store-neutral checks of everything a caller passes in. Each failure is a <see cref="PrismQException"/> whose
/// message names the value and the rule; stores call these before writing anything.
/// </summary>
internal static class TaskValidation
{
    /// <summary>The longest progress message, in characters.</summary>
    public const int MaxProgressMessageLength = 10_000;

    /// <summary>The longest attempt timeout.</summary>
    public static readonly TimeSpan MaxTaskTimeout = TimeSpan.FromDays(30);

    /// <summary>The shortest and longest lease a claim or extension may ask for.</summary>
    public static readonly TimeSpan MinLease = TimeSpan.FromSeconds(1);

    /// <summary>The longest lease.</summary>
    public static readonly TimeSpan MaxLease = TimeSpan.FromHours(24);

    /// <summary>The largest page of a query.</summary>
    public const int MaxQueryLimit = 100_000;

    public static PreparedTask PrepareEnqueue(EnqueueRequest? request, QueueOptions options, long nowMs, int? index = null)
    {
        string? ctx = index is null ? null : $"Request {index}";
        if (request is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, $"{Ctx(ctx)}the request is null; it must be an EnqueueRequest.", "request");

        string type = CheckName(request.Type, "Type", PrismQErrorCode.InvalidTaskType, ctx);
        string queue = CheckName(request.Queue, "Queue", PrismQErrorCode.InvalidQueueName, ctx);

        string payload = request.Payload ?? "null";
        JsonText.Validate(payload, options.MaxPayloadBytes, "Payload", ctx);

        if (request.Delay is not null && request.NotBefore is not null)
            throw new PrismQException(PrismQErrorCode.InvalidDelay,
                $"{Ctx(ctx)}Delay ('{request.Delay}') and NotBefore ('{request.NotBefore:O}') are both set; set at most one.", "Delay", request.Delay);

        long notBefore = nowMs;
        if (request.Delay is TimeSpan delay)
        {
            if (delay < TimeSpan.Zero)
                throw new PrismQException(PrismQErrorCode.InvalidDelay, $"{Ctx(ctx)}Delay is '{delay}'; it must not be negative.", "Delay", delay);
            if (delay > options.MaxDelay)
                throw new PrismQException(PrismQErrorCode.InvalidDelay,
                    $"{Ctx(ctx)}Delay is '{delay}'; it must be at most QueueOptions.MaxDelay ('{options.MaxDelay}').", "Delay", delay);
            notBefore = nowMs + UnixTime.SpanMs(delay);
        }
        else if (request.NotBefore is DateTimeOffset at)
        {
            long atMs = UnixTime.ToMs(at);
            long maxMs = UnixTime.SpanMs(options.MaxDelay);
            if (atMs - nowMs > maxMs)
                throw new PrismQException(PrismQErrorCode.InvalidDelay,
                    $"{Ctx(ctx)}NotBefore is '{at:O}'; it must be at most QueueOptions.MaxDelay ('{options.MaxDelay}') from now.", "NotBefore", at);
            if (nowMs - atMs > maxMs)
                throw new PrismQException(PrismQErrorCode.InvalidDelay,
                    $"{Ctx(ctx)}NotBefore is '{at:O}'; it must not be more than QueueOptions.MaxDelay ('{options.MaxDelay}') in the past.", "NotBefore", at);
            notBefore = atMs;
        }

        int maxAttempts = request.MaxAttempts ?? options.DefaultMaxAttempts;
        if (maxAttempts < 1 || maxAttempts > TaskLimits.MaxAttempts)
            throw new PrismQException(PrismQErrorCode.InvalidMaxAttempts,
                $"{Ctx(ctx)}MaxAttempts is {maxAttempts}; it must be between 1 and {TaskLimits.MaxAttempts}.", "MaxAttempts", maxAttempts);

        long? timeoutMs = null;
        if (request.Timeout is TimeSpan timeout)
        {
            if (timeout <= TimeSpan.Zero || timeout > MaxTaskTimeout)
                throw new PrismQException(PrismQErrorCode.InvalidArgument,
                    $"{Ctx(ctx)}Timeout is '{timeout}'; it must be more than zero and at most {MaxTaskTimeout.TotalDays} days.", "Timeout", timeout);
            timeoutMs = UnixTime.SpanMs(timeout);
        }

        string? key = request.IdempotencyKey;
        if (key is not null)
        {
            if (key.Trim().Length == 0 || key.Length > TaskLimits.MaxIdempotencyKeyLength || HasControlChar(key))
                throw new PrismQException(PrismQErrorCode.InvalidArgument,
                    $"{Ctx(ctx)}IdempotencyKey is '{JsonText.Excerpt(key)}'; it must be 1 to {TaskLimits.MaxIdempotencyKeyLength} characters, not only white space, without control characters.",
                    "IdempotencyKey", key);
        }

        return new PreparedTask(queue, type, payload, request.Priority, notBefore, maxAttempts, timeoutMs, key);
    }

    public static string CheckQueueName(string? queue, string parameterName = "Queue") =>
        CheckName(queue, parameterName, PrismQErrorCode.InvalidQueueName, null);

    public static string CheckWorkerId(string? workerId, string parameterName = "WorkerId") =>
        CheckName(workerId, parameterName, PrismQErrorCode.InvalidArgument, null);

    public static void CheckBatchSize(int batchSize)
    {
        if (batchSize < 1 || batchSize > TaskLimits.MaxEnqueueBatchSize)
            throw new PrismQException(PrismQErrorCode.InvalidBatchSize,
                $"batchSize is {batchSize}; it must be between 1 and {TaskLimits.MaxEnqueueBatchSize}.", "batchSize", batchSize);
    }

    /// <summary>Checks a claim; returns its distinct queue names in request order.</summary>
    public static string[] CheckClaim(ClaimRequest? request)
    {
        if (request is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "The claim request is null; it must be a ClaimRequest.", "request");
        CheckWorkerId(request.WorkerId, "ClaimRequest.WorkerId");
        if (!Enum.IsDefined(typeof(SchedulingStrategy), request.Strategy))
            throw new PrismQException(PrismQErrorCode.InvalidArgument,
                $"ClaimRequest.Strategy is '{(int)request.Strategy}'; it must be one of Fifo, Lifo, Priority, WeightedRandom.", "Strategy", request.Strategy);
        if (request.MaxCount < 1 || request.MaxCount > TaskLimits.MaxClaimCount)
            throw new PrismQException(PrismQErrorCode.InvalidBatchSize,
                $"ClaimRequest.MaxCount is {request.MaxCount}; it must be between 1 and {TaskLimits.MaxClaimCount}.", "MaxCount", request.MaxCount);
        if (request.LeaseDuration is TimeSpan lease) CheckLease(lease, "ClaimRequest.LeaseDuration");
        if (request.PriorityAging is TimeSpan aging && aging < TimeSpan.FromMilliseconds(1))
            throw new PrismQException(PrismQErrorCode.InvalidArgument,
                $"ClaimRequest.PriorityAging is '{aging}'; it must be at least 1 millisecond (or null for no aging).", "PriorityAging", aging);
        if (request.Queues is null || request.Queues.Count == 0)
            throw new PrismQException(PrismQErrorCode.InvalidQueueName, "ClaimRequest.Queues is empty; it must name at least one queue.", "Queues");
        var list = new List<string>(request.Queues.Count);
        foreach (string q in request.Queues)
        {
            string name = CheckName(q, "ClaimRequest.Queues", PrismQErrorCode.InvalidQueueName, null);
            if (!list.Contains(name)) list.Add(name);
        }
        return list.ToArray();
    }

    public static void CheckLease(TimeSpan lease, string parameterName)
    {
        if (lease < MinLease || lease > MaxLease)
            throw new PrismQException(PrismQErrorCode.InvalidArgument,
                $"{parameterName} is '{lease}'; it must be between {MinLease.TotalSeconds} second and {MaxLease.TotalHours} hours.", parameterName, lease);
    }

    public static void CheckResult(string? resultJson, QueueOptions options)
    {
        if (resultJson is null) return;
        int bytes = System.Text.Encoding.UTF8.GetByteCount(resultJson);
        if (bytes > options.MaxPayloadBytes)
            throw new PrismQException(PrismQErrorCode.ResultTooLarge,
                $"The result is {bytes} bytes of UTF-8; the limit is {options.MaxPayloadBytes} bytes (QueueOptions.MaxPayloadBytes).", "Result", bytes);
        JsonText.Validate(resultJson, options.MaxPayloadBytes, "Result");
    }

    public static void CheckProgress(int? percent, string? message)
    {
        if (percent is int p && (p < 0 || p > 100))
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"Progress percent is {p}; it must be between 0 and 100.", "percent", p);
        if (message is not null && message.Length > MaxProgressMessageLength)
            throw new PrismQException(PrismQErrorCode.InvalidArgument,
                $"Progress message is {message.Length} characters; it must be at most {MaxProgressMessageLength}.", "message", message.Length);
    }

    public static void CheckError(TaskError? error)
    {
        if (error is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "The error is null; it must be a TaskError.", "error");
    }

    /// <summary>An attempt's output as a transition carries it: within the bounds <see cref="Workers.AttemptOutput"/> keeps.</summary>
    public static void CheckOutput(IReadOnlyList<TaskOutputRecord> output)
    {
        if (output.Count > TaskLimits.MaxOutputRecordsPerAttempt + 1)
            throw new PrismQException(PrismQErrorCode.InvalidArgument,
                $"The output holds {output.Count} records; an attempt keeps at most {TaskLimits.MaxOutputRecordsPerAttempt} and the record that counts the dropped ones.", "Output", output.Count);
        for (int i = 0; i < output.Count; i++)
        {
            TaskOutputRecord? record = output[i];
            if (record is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, $"Output[{i}] is null.", "Output", i);
            CheckOutputStream(record.Stream, $"Output[{i}].Stream");
            if (record.Text.Length > TaskLimits.MaxOutputRecordLength)
                throw new PrismQException(PrismQErrorCode.InvalidArgument,
                    $"Output[{i}] is {record.Text.Length} characters; it must be at most {TaskLimits.MaxOutputRecordLength}.", "Output", record.Text.Length);
        }
    }

    public static void CheckOutputStream(TaskOutputStream stream, string parameterName)
    {
        if (stream is not (TaskOutputStream.Warning or TaskOutputStream.Verbose or TaskOutputStream.Debug or TaskOutputStream.Information))
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"{parameterName} is '{(int)stream}'; it must be Warning, Verbose, Debug or Information.", parameterName, stream);
    }

    public static void CheckFilter(TaskFilter? filter, string parameterName = "filter")
    {
        if (filter is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, $"{parameterName} is null; it must be a TaskFilter.", parameterName);
        if (filter.Queue is not null) CheckName(filter.Queue, "TaskFilter.Queue", PrismQErrorCode.InvalidQueueName, null);
        if (filter.Type is not null) CheckName(filter.Type, "TaskFilter.Type", PrismQErrorCode.InvalidTaskType, null);
        if (filter.Statuses is not null)
        {
            foreach (TaskStatus s in filter.Statuses)
            {
                if (!Enum.IsDefined(typeof(TaskStatus), s))
                    throw new PrismQException(PrismQErrorCode.InvalidArgument,
                        $"TaskFilter.Statuses holds '{(int)s}'; each must be one of Queued, Running, Succeeded, Failed, Cancelled.", "Statuses", s);
            }
        }
        if (filter.CreatedAfter is DateTimeOffset a && filter.CreatedBefore is DateTimeOffset b && a > b)
            throw new PrismQException(PrismQErrorCode.InvalidArgument,
                $"TaskFilter.CreatedAfter ('{a:O}') is after CreatedBefore ('{b:O}'); the range must not be reversed.", "CreatedAfter", a);
    }

    public static void CheckQuery(TaskQuery? query)
    {
        if (query is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "The query is null; it must be a TaskQuery.", "query");
        CheckFilter(query.Filter, "TaskQuery.Filter");
        if (!Enum.IsDefined(typeof(TaskOrder), query.Order))
            throw new PrismQException(PrismQErrorCode.InvalidArgument,
                $"TaskQuery.Order is '{(int)query.Order}'; it must be OldestFirst or NewestFirst.", "Order", query.Order);
        if (query.Limit < 1 || query.Limit > MaxQueryLimit)
            throw new PrismQException(PrismQErrorCode.InvalidArgument,
                $"TaskQuery.Limit is {query.Limit}; it must be between 1 and {MaxQueryLimit}.", "Limit", query.Limit);
    }

    private static string CheckName(string? value, string parameterName, PrismQErrorCode code, string? ctx)
    {
        if (value is null || value.Trim().Length == 0)
            throw new PrismQException(code, $"{Ctx(ctx)}{parameterName} is '{value}'; it must not be empty or white space.", parameterName, value);
        if (value.Length > TaskLimits.MaxNameLength)
            throw new PrismQException(code,
                $"{Ctx(ctx)}{parameterName} '{JsonText.Excerpt(value)}' is {value.Length} characters; it must be at most {TaskLimits.MaxNameLength}.", parameterName, value);
        if (HasControlChar(value))
            throw new PrismQException(code,
                $"{Ctx(ctx)}{parameterName} '{Escape(value)}' contains a control character; it must not.", parameterName, value);
        return value;
    }

    private static bool HasControlChar(string value)
    {
        foreach (char c in value)
        {
            if (char.IsControl(c)) return true;
        }
        return false;
    }

    private static string Escape(string value)
    {
        var sb = new System.Text.StringBuilder(value.Length + 8);
        foreach (char c in JsonText.Excerpt(value))
        {
            if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static string Ctx(string? ctx) => ctx is null ? string.Empty : ctx + ": ";
}
