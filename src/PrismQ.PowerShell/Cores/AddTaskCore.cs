using System;
using System.Collections.Generic;
using System.Threading;

namespace PrismQ.PowerShell.Cores;

/// <summary>The settings <c>Add-PrismQTask</c> applies to every task it enqueues.</summary>
internal sealed class AddTaskSettings
{
    public string Type { get; set; } = string.Empty;
    public string Queue { get; set; } = QueueNames.Default;
    public int Priority { get; set; }
    public TimeSpan? Delay { get; set; }
    public DateTimeOffset? NotBefore { get; set; }
    public int? MaxAttempts { get; set; }
    public TimeSpan? Timeout { get; set; }
    public string? IdempotencyKey { get; set; }
}

/// <summary>
/// The core of <c>Add-PrismQTask</c>: turns each payload into a request, buffers them, and enqueues a full buffer
/// in one call of <see cref="ITaskStore.EnqueueManyWithResultsAsync"/> (one transaction per batch), which returns the
/// tasks as written, so nothing is read back. A payload that cannot become JSON or is too large is refused on its own
/// (<see cref="Add"/> throws) and never reaches the store.
/// </summary>
internal sealed class AddTaskCore
{
    private readonly ITaskStore _store;
    private readonly AddTaskSettings _settings;
    private readonly List<EnqueueRequest> _buffer = new();
    private readonly PayloadJsonWriter _json = new();
    private readonly int _maxPayloadBytes;

    public AddTaskCore(ITaskStore store, AddTaskSettings settings, int batchSize = 1000, int? maxPayloadBytes = null)
    {
        if (batchSize < 1 || batchSize > TaskLimits.MaxEnqueueBatchSize)
            throw new PrismQException(PrismQErrorCode.InvalidBatchSize, $"The batch size is {batchSize}; it must be between 1 and {TaskLimits.MaxEnqueueBatchSize}.", "batchSize", batchSize);
        _store = store;
        _settings = settings;
        BatchSize = batchSize;
        _maxPayloadBytes = maxPayloadBytes ?? new QueueOptions().MaxPayloadBytes;
    }

    /// <summary>How many requests make a batch.</summary>
    public int BatchSize { get; }

    /// <summary>Requests waiting for <see cref="Flush"/>.</summary>
    public int Pending => _buffer.Count;

    /// <summary>True when the buffer holds a full batch.</summary>
    public bool IsBatchFull => _buffer.Count >= BatchSize;

    /// <summary>Tasks enqueued so far (by completed flushes).</summary>
    public long Enqueued { get; private set; }

    /// <summary>Converts a plain payload value to JSON, checks its size, and buffers the request.</summary>
    public void Add(object? payload)
    {
        string json = _json.Write(payload, out int bytes);
        if (bytes > _maxPayloadBytes)
            throw new PrismQException(PrismQErrorCode.PayloadTooLarge,
                $"The payload is {bytes} bytes of JSON; a payload may be at most {_maxPayloadBytes} bytes.", "Payload", bytes);
        _buffer.Add(new EnqueueRequest(_settings.Type, json)
        {
            Queue = _settings.Queue,
            Priority = _settings.Priority,
            Delay = _settings.Delay,
            NotBefore = _settings.NotBefore,
            MaxAttempts = _settings.MaxAttempts,
            Timeout = _settings.Timeout,
            IdempotencyKey = _settings.IdempotencyKey,
        });
    }

    /// <summary>Enqueues the buffered requests (one transaction per <see cref="BatchSize"/>) and returns the tasks in request order.</summary>
    public IReadOnlyList<TaskRecord> Flush(CancellationToken cancellationToken)
    {
        if (_buffer.Count == 0) return Array.Empty<TaskRecord>();
        IReadOnlyList<EnqueueResult> results;
        try
        {
            results = _store.EnqueueManyWithResultsAsync(_buffer, BatchSize, cancellationToken).GetAwaiter().GetResult();
        }
        finally
        {
            _buffer.Clear();
        }

        Enqueued += results.Count;
        var records = new TaskRecord[results.Count];
        for (int i = 0; i < records.Length; i++) records[i] = results[i].Task;
        return records;
    }
}
