using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using PrismQ.Tracing;

namespace PrismQ.Tests;

/// <summary>
/// An in-memory sink that checks, per lane, that sequence numbers arrive exactly once and in order, with every hole
/// covered by exactly one gap record; and, per producer (task id), that values arrive strictly increasing.
/// </summary>
internal sealed class VerifyingTraceSink : ITraceSink
{
    private readonly object _lock = new();
    private readonly Dictionary<int, long> _nextSequence = new();
    private readonly Dictionary<long, long> _lastValue = new();
    private readonly Dictionary<long, long> _countByTask = new();
    private readonly List<string> _violations = new();
    private int _failuresLeft;

    public VerifyingTraceSink(int failFirstWrites = 0) => _failuresLeft = failFirstWrites;

    public long Events { get; private set; }
    public long GapEvents { get; private set; }
    public long GapRecords { get; private set; }
    public int Writes { get; private set; }
    public bool Completed { get; private set; }
    public List<TraceDetailRow> Details { get; } = new();
    public List<TraceWorkerRow> Workers { get; } = new();
    public List<TraceRow> Rows { get; } = new();
    public bool KeepRows { get; init; }

    public IReadOnlyList<string> Violations
    {
        get { lock (_lock) return _violations.ToArray(); }
    }

    public long CountForTask(long taskId)
    {
        lock (_lock) return _countByTask.TryGetValue(taskId, out long n) ? n : 0;
    }

    /// <summary>The sequence the next event of each lane would carry: the number of events that lane emitted.</summary>
    public long EmittedOnLane(int lane)
    {
        lock (_lock) return _nextSequence.TryGetValue(lane, out long n) ? n : 0;
    }

    public void Open()
    {
    }

    public void Write(TraceBatch batch)
    {
        lock (_lock)
        {
            if (_failuresLeft > 0)
            {
                _failuresLeft--;
                throw new IOException("injected store failure");
            }

            Writes++;
            foreach (TraceRow row in batch.Events)
            {
                _nextSequence.TryGetValue(row.Lane, out long expected);
                if (row.Sequence != expected)
                    Violate($"lane {row.Lane}: sequence {row.Sequence} arrived, {expected} expected");
                if (row.Kind == (ushort)TraceEventKind.Gap)
                {
                    GapRecords++;
                    GapEvents += row.Value;
                    if (row.Value <= 0) Violate($"lane {row.Lane}: gap of {row.Value}");
                    _nextSequence[row.Lane] = row.Sequence + row.Value;
                    continue;
                }

                _nextSequence[row.Lane] = row.Sequence + 1;
                Events++;
                if (KeepRows) Rows.Add(row);
                _countByTask.TryGetValue(row.TaskId, out long count);
                _countByTask[row.TaskId] = count + 1;
                if (_lastValue.TryGetValue(row.TaskId, out long last) && row.Value <= last)
                    Violate($"producer {row.TaskId}: value {row.Value} after {last}");
                _lastValue[row.TaskId] = row.Value;
            }

            Details.AddRange(batch.Details);
            Workers.AddRange(batch.Workers);
        }
    }

    public long Prune(DateTimeOffset utcNow) => 0;

    public void Complete() => Completed = true;

    public void Dispose()
    {
    }

    private void Violate(string message)
    {
        if (_violations.Count < 20) _violations.Add(message);
    }
}

/// <summary>A clock the test sets.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    public ManualTimeProvider(DateTimeOffset now) => Now = now;

    public DateTimeOffset Now { get; set; }

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A temporary folder for a test's databases, deleted afterwards.</summary>
internal sealed class TraceTempFolder : IDisposable
{
    public TraceTempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "prismq-trace-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string QueueDb => System.IO.Path.Combine(Path, "queue.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class TraceThreads
{
    /// <summary>Runs <paramref name="body"/> on <paramref name="count"/> new threads released together, and joins them.</summary>
    public static void Run(int count, Action<int> body)
    {
        using var start = new ManualResetEventSlim(false);
        var threads = new Thread[count];
        Exception? failure = null;
        for (int i = 0; i < count; i++)
        {
            int index = i;
            threads[i] = new Thread(() =>
            {
                start.Wait();
                try
                {
                    body(index);
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref failure, ex, null);
                }
            }) { IsBackground = true };
            threads[i].Start();
        }

        start.Set();
        foreach (Thread thread in threads) thread.Join();
        if (failure is not null) throw new InvalidOperationException("A producer thread failed.", failure);
    }
}
