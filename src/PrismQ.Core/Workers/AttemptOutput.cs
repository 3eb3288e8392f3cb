using System;
using System.Collections.Generic;

namespace PrismQ.Workers;

/// <summary>
/// The output records of one attempt as its handler writes them (<see cref="TaskContext.WriteOutput"/>), from any
/// thread. Bounded: <see cref="TaskLimits.MaxOutputRecordsPerAttempt"/> records are kept, each cut to
/// <see cref="TaskLimits.MaxOutputRecordLength"/> characters; later records are only counted, and <see cref="Take"/>
/// ends the list with one record saying how many were dropped. Once taken (the handler has ended, or was given up
/// on), further writes are ignored.
/// </summary>
internal sealed class AttemptOutput
{
    private readonly int _attempt;
    private readonly List<TaskOutputRecord> _records = new();
    private int _dropped;
    private TaskOutputStream _droppedStream;
    private DateTimeOffset _lastDroppedAt;
    private bool _taken;

    public AttemptOutput(int attempt)
    {
        _attempt = attempt;
    }

    /// <summary>Keeps a record (cut when too long), or counts it when the attempt already holds the most it may keep.</summary>
    public void Add(DateTimeOffset at, TaskOutputStream stream, string text)
    {
        lock (_records)
        {
            if (_taken) return;
            if (_records.Count < TaskLimits.MaxOutputRecordsPerAttempt)
            {
                _records.Add(new TaskOutputRecord(_attempt, at, stream, Cut(text)));
                return;
            }
            if (_dropped == 0 || Severity(stream) > Severity(_droppedStream)) _droppedStream = stream;
            _dropped++;
            _lastDroppedAt = at;
        }
    }

    /// <summary>
    /// The records kept, oldest first, then (when some were dropped) one record on the most severe stream of the dropped
    /// ones, at the time of the last, saying how many. Later writes are ignored.
    /// </summary>
    public IReadOnlyList<TaskOutputRecord> Take()
    {
        lock (_records)
        {
            _taken = true;
            if (_dropped > 0)
            {
                string text = _dropped == 1
                    ? $"1 more output record was dropped (the limit is {TaskLimits.MaxOutputRecordsPerAttempt} per attempt)"
                    : $"{_dropped} more output records were dropped (the limit is {TaskLimits.MaxOutputRecordsPerAttempt} per attempt)";
                _records.Add(new TaskOutputRecord(_attempt, _lastDroppedAt, _droppedStream, text));
                _dropped = 0;
            }
            return _records.ToArray();
        }
    }

    /// <summary>
    /// <paramref name="text"/> when it fits <see cref="TaskLimits.MaxOutputRecordLength"/>; else its start followed by
    /// "… (N more characters)", the whole at most that long (a surrogate pair is never split).
    /// </summary>
    internal static string Cut(string text)
    {
        const int max = TaskLimits.MaxOutputRecordLength;
        if (text.Length <= max) return text;
        int kept = max;
        while (true)
        {
            string marker = $"… ({text.Length - kept} more characters)";
            if (kept + marker.Length <= max) return text.Substring(0, kept) + marker;
            kept = max - marker.Length;
            if (char.IsHighSurrogate(text[kept - 1])) kept--;
        }
    }

    /// <summary>Warning, then Information, Verbose, Debug.</summary>
    private static int Severity(TaskOutputStream stream) => stream switch
    {
        TaskOutputStream.Warning => 3,
        TaskOutputStream.Information => 2,
        TaskOutputStream.Verbose => 1,
        _ => 0,
    };
}
