using System;
using System.IO;
using System.Threading;
using PrismQ.Internal;
using PrismQ.Tracing;

namespace PrismQ;

/// <summary>
/// The tracer of one process for one queue database: per-thread lock-free rings on the hot path, one drain thread,
/// and a trace database beside the queue database (<c>&lt;queue database&gt;.trace.db</c>). Start one with
/// <see cref="Start"/>; <see cref="Dispose"/> stops accepting events, drains everything emitted before it, then
/// finalizes the store. Thread-safe. See docs/tracing.md.
/// </summary>
public sealed class TraceSession : IDisposable
{
    private readonly LaneTracer? _tracer;
    private readonly DrainWorker? _drain;
    private readonly DrainSignal? _signal;
    private int _disposed;

    private TraceSession(TraceOptions options, string? traceDatabasePath, ITraceSink? sink)
    {
        Options = options;
        TraceDatabasePath = traceDatabasePath;
        if (sink is null) return;
        _signal = new DrainSignal();
        _tracer = new LaneTracer(options, _signal);
        _drain = new DrainWorker(_tracer, sink, options, new TraceClock(options.TimeProvider), _signal);
        _drain.Start();
    }

    /// <summary>The settings the session runs with.</summary>
    public TraceOptions Options { get; }

    /// <summary>False when tracing is off (<see cref="TraceOptions.Enabled"/> false): every call then does nothing.</summary>
    public bool IsEnabled => _tracer is not null;

    /// <summary>The trace database file, or null when tracing is off (or the session writes to a test sink).</summary>
    public string? TraceDatabasePath { get; }

    /// <summary>What the engine (store and workers) calls: this session, or the no-op emitter when tracing is off.</summary>
    internal ITraceEmitter Emitter => (ITraceEmitter?)_tracer ?? NullTraceEmitter.Instance;

    /// <summary>
    /// Starts tracing for the queue database at <paramref name="queueDatabasePath"/> (the trace database is created
    /// beside it if needed). Throws <see cref="PrismQException"/> for invalid options
    /// (<see cref="PrismQErrorCode.InvalidOption"/>) or a trace database that cannot be opened
    /// (<see cref="PrismQErrorCode.StorageError"/>, <see cref="PrismQErrorCode.SchemaTooNew"/>).
    /// </summary>
    public static TraceSession Start(string queueDatabasePath, TraceOptions? options = null)
    {
        options ??= new TraceOptions();
        options.Validate();
        if (!options.Enabled) return new TraceSession(options, null, null);
        string path = options.ResolveTraceDatabasePath(queueDatabasePath);
        var sink = new SqliteTraceSink(path, options);
        try
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(folder)) OwnerOnlyFiles.CreateDirectory(folder);
            OwnerOnlyFiles.CreateFileIfMissing(Path.GetFullPath(path)); // owner-only on Unix, as the queue database
            sink.Open();
        }
        catch (PrismQException)
        {
            sink.Dispose();
            throw;
        }
        catch (Exception ex)
        {
            sink.Dispose();
            throw new PrismQException(PrismQErrorCode.StorageError, $"The trace database '{path}' cannot be opened: {ex.Message}", nameof(queueDatabasePath), path, ex);
        }

        return new TraceSession(options, path, sink);
    }

    /// <summary>A session writing to <paramref name="sink"/> instead of SQLite (tests and benchmarks).</summary>
    internal static TraceSession StartWithSink(TraceOptions options, ITraceSink sink)
    {
        options.Validate();
        return new TraceSession(options, null, sink);
    }

    /// <summary>
    /// Emits a user event (kind <see cref="TraceEventKind.User"/>) with a message, from any thread (a handler, for
    /// example). Its message is always kept, inside a task attempt whatever the attempt's outcome and outside any task
    /// (only a full detail ring drops it: the event then says <see cref="TraceEvent.DetailDropped"/>).
    /// </summary>
    public void EmitUser(string message, long taskId = 0, int attempt = 0, long value = 0)
    {
        if (message is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "The user event message is null; it must be a string.", nameof(message));
        if (taskId < 0) throw new PrismQException(PrismQErrorCode.InvalidArgument, $"The task id is '{taskId}'; it must be 0 (none) or positive.", nameof(taskId), taskId);
        if (attempt < 0) throw new PrismQException(PrismQErrorCode.InvalidArgument, $"The attempt is '{attempt}'; it must be 0 (none) or positive.", nameof(attempt), attempt);
        _tracer?.EmitDetail(TraceEventKind.User, taskId, attempt, 0, value, message);
    }

    /// <summary>Asks to keep the detail of one task attempt (marks its window <see cref="WindowMark.Requested"/>).</summary>
    public void RequestDetail(long taskId, int attempt)
    {
        if (taskId <= 0) throw new PrismQException(PrismQErrorCode.InvalidArgument, $"The task id is '{taskId}'; it must be positive.", nameof(taskId), taskId);
        if (attempt <= 0) throw new PrismQException(PrismQErrorCode.InvalidArgument, $"The attempt is '{attempt}'; it must be positive.", nameof(attempt), attempt);
        _tracer?.MarkWindow(taskId, attempt, WindowMark.Requested);
    }

    /// <summary>
    /// Waits until every event emitted before the call is in the trace store (windows still in their post-roll are
    /// decided later). False when <paramref name="timeout"/> passes first, for example while the store fails.
    /// </summary>
    public bool Flush(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero) throw new PrismQException(PrismQErrorCode.InvalidArgument, $"The timeout is '{timeout}'; it must not be negative.", nameof(timeout), timeout);
        return _drain is null || _drain.Flush(timeout);
    }

    /// <summary>A snapshot of the session's counters.</summary>
    public TraceStats GetStats()
    {
        var stats = new TraceStats();
        if (_tracer is null || _drain is null)
        {
            stats.DrainState = TraceDrainState.Stopped;
            return stats;
        }

        _drain.FillStats(stats);
        LaneSet[] lanes = _tracer.Registry.Snapshot;
        stats.LaneSets = lanes.Length;
        foreach (LaneSet lane in lanes)
        {
            stats.EventsDropped += lane.Index.Dropped;
            stats.DetailsDropped += lane.Detail.Dropped;
            if (lane.OwnerThread is not null) stats.LaneSetsOwned++;
        }

        return stats;
    }

    /// <summary>Stops accepting events, drains everything emitted before this call, then finalizes the trace store.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_tracer is null || _drain is null) return;
        _tracer.StopAccepting();
        _drain.Stop();
        _signal!.Dispose();
    }
}
