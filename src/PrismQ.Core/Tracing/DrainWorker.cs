using System;
using System.Threading;

namespace PrismQ.Tracing;

/// <summary>
/// The consumer of every ring: one background thread per session. States: <see cref="TraceDrainState"/>.
/// It visits the lane sets in rotation (a different first lane each pass), taking at most
/// <see cref="TraceOptions.DrainQuantum"/> records from a lane per visit, decides windows, and writes batches of at
/// most <see cref="TraceOptions.BatchSize"/> events to the sink. It sleeps <see cref="TraceOptions.DrainInterval"/>
/// when a pass left nothing behind, and a producer crossing its high-water mark wakes it early.
/// <para>
/// A sink error is counted and reported (<see cref="TraceStats.StoreErrors"/>, <see cref="TraceStats.LastStoreError"/>);
/// the batch is kept and retried with backoff, and the drain stops taking new records meanwhile (the rings then fill
/// and drop, counted as gaps) so memory stays bounded. It never kills the thread.
/// </para>
/// </summary>
internal sealed class DrainWorker
{
    private const long PruneIntervalTicks = TimeSpan.TicksPerMinute;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(5);

    private readonly LaneTracer _tracer;
    private readonly ITraceSink _sink;
    private readonly TraceOptions _options;
    private readonly TraceClock _clock;
    private readonly DrainSignal _signal;
    private readonly WindowTracker _windows;
    private readonly TraceBatch _batch = new();
    private readonly object _flushLock = new();
    private Thread? _thread;
    private int _state;
    private bool _stopRequested;
    private long _flushRequested;
    private long _flushCompleted;
    private long _rotation;
    private bool _sinkOpen;
    private bool _storeFailing;
    private int _failures;
    private long _nextPruneUtc;

    // Counters: written by the drain thread only (Volatile.Write), read by any thread (Volatile.Read).
    private long _eventsPersisted;
    private long _detailsPersisted;
    private long _gapEventsRecorded;
    private long _storeErrors;
    private long _eventsLost;
    private long _pruned;
    private long _lanesRetired;
    private long _passes;
    private long _windowsOpened;
    private long _windowsMarked;
    private long _windowsDiscarded;
    private long _detailsDiscarded;
    private string? _lastStoreError;

    public DrainWorker(LaneTracer tracer, ITraceSink sink, TraceOptions options, TraceClock clock, DrainSignal signal)
    {
        _tracer = tracer;
        _sink = sink;
        _options = options;
        _clock = clock;
        _signal = signal;
        _windows = new WindowTracker(options.PreRoll, options.PostRoll, options.SlowThreshold, options.WindowTimeout, options.DetailForAll);
    }

    public TraceDrainState State => (TraceDrainState)Volatile.Read(ref _state);

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "PrismQ trace drain" };
        _thread.Start();
    }

    /// <summary>
    /// Waits until every event published before the call is written to the sink (windows still in their post-roll are
    /// decided later). False when <paramref name="timeout"/> passes first (for example while the store fails).
    /// </summary>
    public bool Flush(TimeSpan timeout)
    {
        long ticket = Interlocked.Increment(ref _flushRequested);
        _signal.Wake();
        long deadline = MonotonicMilliseconds() + (long)Math.Min(timeout.TotalMilliseconds, int.MaxValue);
        lock (_flushLock)
        {
            while (Volatile.Read(ref _flushCompleted) < ticket)
            {
                if (State == TraceDrainState.Stopped) return false;
                long remaining = deadline - MonotonicMilliseconds();
                if (remaining <= 0) return false;
                Monitor.Wait(_flushLock, (int)Math.Min(remaining, int.MaxValue));
            }
        }

        return true;
    }

    /// <summary>Requests the final drain and waits for the thread to end (the store is finalized by then).</summary>
    public void Stop()
    {
        Volatile.Write(ref _stopRequested, true);
        _signal.Wake();
        _thread?.Join();
    }

    public void FillStats(TraceStats stats)
    {
        stats.EventsPersisted = Volatile.Read(ref _eventsPersisted);
        stats.DetailsPersisted = Volatile.Read(ref _detailsPersisted);
        stats.GapEventsRecorded = Volatile.Read(ref _gapEventsRecorded);
        stats.StoreErrors = Volatile.Read(ref _storeErrors);
        stats.EventsLost = Volatile.Read(ref _eventsLost);
        stats.EventsPruned = Volatile.Read(ref _pruned);
        stats.LanesRetired = Volatile.Read(ref _lanesRetired);
        stats.DrainPasses = Volatile.Read(ref _passes);
        stats.LastStoreError = Volatile.Read(ref _lastStoreError);
        stats.WindowsOpened = Volatile.Read(ref _windowsOpened);
        stats.WindowsMarked = Volatile.Read(ref _windowsMarked);
        stats.WindowsDiscarded = Volatile.Read(ref _windowsDiscarded);
        stats.DetailsDiscarded = Volatile.Read(ref _detailsDiscarded);
        stats.DrainState = State;
    }

    private void PublishWindowCounters()
    {
        Volatile.Write(ref _windowsOpened, _windows.WindowsOpened);
        Volatile.Write(ref _windowsMarked, _windows.WindowsMarked);
        Volatile.Write(ref _windowsDiscarded, _windows.WindowsDiscarded);
        Volatile.Write(ref _detailsDiscarded, _windows.DetailsDiscarded);
    }

    private void Run()
    {
        try
        {
            TryOpenOnly(); // a failure is counted and retried with the first write
            Loop();
        }
        catch (Exception ex)
        {
            // Not expected (sink errors are caught where they happen); recorded so it is never silent.
            Volatile.Write(ref _lastStoreError, "drain failed: " + ex);
            Volatile.Write(ref _storeErrors, _storeErrors + 1);
        }
        finally
        {
            try
            {
                _sink.Dispose();
            }
            catch (Exception ex)
            {
                Volatile.Write(ref _lastStoreError, ex.GetType().Name + ": " + ex.Message);
            }

            SetState(TraceDrainState.Stopped);
            lock (_flushLock) Monitor.PulseAll(_flushLock);
        }
    }

    private void Loop()
    {
        while (true)
        {
            _signal.Reset(); // before the pass: a wake during the pass makes the next Wait return at once
            bool stopping = Volatile.Read(ref _stopRequested);
            long ticket = Volatile.Read(ref _flushRequested);
            SetState(stopping ? TraceDrainState.Stopping : TraceDrainState.Draining);

            bool drained = !_storeFailing; // while the store fails, no new records are taken (memory stays bounded)
            bool backlog = drained && DrainPass();
            _windows.Expire(NowUtc());
            while (_tracer.TryTakeNewWorker(out TraceWorkerRow worker)) _batch.Workers.Add(worker);
            bool written = WriteBatch();
            PublishWindowCounters();

            if (written) Prune();
            bool caughtUp = drained && !backlog && written; // every lane was read to its tail and the batch is stored
            if (caughtUp && ticket > Volatile.Read(ref _flushCompleted)) CompleteFlush(ticket);

            if (stopping && (caughtUp || (!backlog && PastStopDeadline())))
            {
                Finish();
                return;
            }

            if (written && (backlog || !drained)) continue; // more to drain right away
            if (!stopping) SetState(TraceDrainState.Idle);
            _signal.Wait(written ? _options.DrainInterval : Backoff());
        }
    }

    /// <summary>One rotation over every lane set. True when some lane still has records (or the store failed).</summary>
    private bool DrainPass()
    {
        Volatile.Write(ref _passes, _passes + 1);
        LaneSet[] lanes = _tracer.Registry.Snapshot;
        int count = lanes.Length;
        if (count == 0) return false;
        int start = (int)(_rotation++ % count);
        bool backlog = false;
        for (int i = 0; i < count; i++)
        {
            LaneSet lane = lanes[(start + i) % count];
            Thread? owner = lane.OwnerThread;
            if (owner is not null && !owner.IsAlive)
            {
                // The owner ended: it writes nothing more. The full fence orders the IsAlive read before the reads
                // of the ring, so the last tail it published is seen. Drain it completely, then free it for reuse.
                Interlocked.MemoryBarrier();
                if (!DrainLane(lane, long.MaxValue, out _)) return true;
                if (lane.Index.TakePendingGap(out long gap, out long since, out long first)) AddGap(lane, gap, since, first);
                _tracer.Registry.Release(lane);
                Volatile.Write(ref _lanesRetired, _lanesRetired + 1);
                continue;
            }

            if (!DrainLane(lane, _options.DrainQuantum, out bool more)) return true;
            backlog |= more;
        }

        return backlog;
    }

    /// <summary>Copies up to <paramref name="quantum"/> records of one lane into the batch. False when a batch write failed.</summary>
    private bool DrainLane(LaneSet lane, long quantum, out bool more)
    {
        more = false;
        while (true)
        {
            IndexRing index = lane.Index;
            long available = index.Available(out long head);
            if (available == 0) return true;
            long room = _options.BatchSize - _batch.Events.Count;
            long take = Math.Min(Math.Min(available, quantum), Math.Max(room, 1));
            long detailEnd = -1;
            for (long position = head; position < head + take; position++)
            {
                ref readonly IndexRecord record = ref index.Read(position);
                string? detail = null;
                if (record.DetailLength >= 0)
                {
                    // Only detail that can be kept is copied into a string (the store's SQL timings carry no task).
                    if (_windows.WantsDetail(record.TaskId, (TraceEventKind)record.Kind)) detail = lane.Detail.Read(record.DetailPosition, record.DetailLength);
                    else _windows.DiscardDetail();
                    detailEnd = record.DetailPosition + record.DetailLength;
                }

                Process(lane.Id, in record, detail);
            }

            index.Release(head + take); // after the copies: the producer may now reuse those slots
            if (detailEnd >= 0) lane.Detail.Release(detailEnd);
            quantum -= take;

            if (_batch.Events.Count >= _options.BatchSize && !WriteBatch()) return false;
            if (quantum <= 0)
            {
                more = available > take;
                return true;
            }
        }
    }

    private void Process(int lane, in IndexRecord record, string? detail)
    {
        long utc = _clock.ToUtcTicks(record.Timestamp);
        var kind = (TraceEventKind)record.Kind;
        // Window open and close records steer the window tracker below and are not stored: the claim, start and
        // outcome events of the attempt already carry those instants, and storing them cost a third of the trace
        // database's inserts per task. Every other kind is persisted.
        if (kind is not (TraceEventKind.WindowOpened or TraceEventKind.WindowClosed))
        _batch.Events.Add(new TraceRow
        {
            UtcTicks = utc,
            Sequence = record.Sequence,
            TaskId = record.TaskId,
            Value = record.Value,
            Lane = lane,
            Attempt = record.Attempt,
            Kind = record.Kind,
            WorkerSlot = record.WorkerSlot,
            DetailDropped = record.DetailLength == IndexRecord.DetailDropped,
        });

        if (record.TaskId != 0)
        {
            var key = new WindowKey(record.TaskId, record.Attempt);
            switch (kind)
            {
                case TraceEventKind.WindowOpened:
                    _windows.Open(key, utc, _batch.Details);
                    break;
                case TraceEventKind.WindowMarked:
                    _windows.Mark(key, (WindowMark)record.Value, utc, create: true, _batch.Details);
                    break;
                case TraceEventKind.WindowClosed:
                    _windows.Close(key, utc, _batch.Details);
                    break;
                case TraceEventKind.Fail:
                    _windows.Mark(key, WindowMark.Failed, utc, create: false, _batch.Details);
                    break;
                case TraceEventKind.Timeout:
                    _windows.Mark(key, WindowMark.TimedOut, utc, create: false, _batch.Details);
                    break;
                case TraceEventKind.LeaseLost:
                    _windows.Mark(key, WindowMark.LeaseLost, utc, create: false, _batch.Details);
                    break;
                case TraceEventKind.BusyRetry:
                    // The store's lease operations know the task, not the attempt: the window open at that instant.
                    if (record.Attempt == 0) _windows.MarkTask(record.TaskId, WindowMark.BusyRetries, utc, _batch.Details);
                    else _windows.Mark(key, WindowMark.BusyRetries, utc, create: false, _batch.Details);
                    break;
            }
        }

        if (detail is not null)
            _windows.AddDetail(new TraceDetailRow(lane, record.Sequence, utc, record.TaskId, record.Attempt, detail, alwaysKept: kind == TraceEventKind.User), _batch.Details);
    }

    private void AddGap(LaneSet lane, long count, long since, long firstSequence)
    {
        _batch.Events.Add(new TraceRow
        {
            UtcTicks = _clock.ToUtcTicks(since),
            Sequence = firstSequence,
            Value = count,
            Lane = lane.Id,
            Kind = (ushort)TraceEventKind.Gap,
        });
    }

    private bool WriteBatch()
    {
        if (_batch.IsEmpty) return !_storeFailing || TryOpenOnly();
        TraceDrainState previous = State;
        SetState(TraceDrainState.Flushing);
        try
        {
            if (!_sinkOpen)
            {
                _sink.Open();
                _sinkOpen = true;
            }

            _sink.Write(_batch);
            long gaps = 0;
            foreach (TraceRow row in _batch.Events)
                if (row.Kind == (ushort)TraceEventKind.Gap) gaps += row.Value;
            Volatile.Write(ref _eventsPersisted, _eventsPersisted + _batch.Events.Count);
            Volatile.Write(ref _detailsPersisted, _detailsPersisted + _batch.Details.Count);
            Volatile.Write(ref _gapEventsRecorded, _gapEventsRecorded + gaps);
            _batch.Clear();
            _storeFailing = false;
            _failures = 0;
            return true;
        }
        catch (Exception ex)
        {
            RecordStoreError(ex);
            return false;
        }
        finally
        {
            SetState(previous);
        }
    }

    private bool TryOpenOnly()
    {
        try
        {
            if (!_sinkOpen)
            {
                _sink.Open();
                _sinkOpen = true;
            }

            _storeFailing = false;
            _failures = 0;
            return true;
        }
        catch (Exception ex)
        {
            RecordStoreError(ex);
            return false;
        }
    }

    private void RecordStoreError(Exception ex)
    {
        _storeFailing = true;
        _failures++;
        Volatile.Write(ref _storeErrors, _storeErrors + 1);
        Volatile.Write(ref _lastStoreError, ex.GetType().Name + ": " + ex.Message);
    }

    private void Prune()
    {
        long now = _options.TimeProvider.GetUtcNow().UtcTicks;
        if (now < _nextPruneUtc || !_sinkOpen) return;
        _nextPruneUtc = now + PruneIntervalTicks;
        try
        {
            long deleted = _sink.Prune(new DateTimeOffset(now, TimeSpan.Zero));
            Volatile.Write(ref _pruned, _pruned + deleted);
        }
        catch (Exception ex)
        {
            RecordStoreError(ex);
            _storeFailing = false; // pruning failing must not stop the writes
        }
    }

    /// <summary>Final drain: everything is already drained; record pending gaps, decide all windows, write, finalize.</summary>
    private void Finish()
    {
        SetState(TraceDrainState.Stopping);
        foreach (LaneSet lane in _tracer.Registry.Snapshot)
        {
            if (_storeFailing)
            {
                // Gave up on a failing store (StopTimeout): what is still in the rings is lost, and counted.
                long left = lane.Index.Available(out long head);
                lane.Index.Release(head + left);
                Volatile.Write(ref _eventsLost, _eventsLost + left);
            }

            // Dispose contract: producers have returned, so the pending gap counts are final.
            if (lane.Index.TakePendingGap(out long gap, out long since, out long first)) AddGap(lane, gap, since, first);
        }

        _windows.FinishAll();
        PublishWindowCounters();
        while (_tracer.TryTakeNewWorker(out TraceWorkerRow worker)) _batch.Workers.Add(worker);
        while (!WriteBatch())
        {
            if (PastStopDeadline())
            {
                Volatile.Write(ref _eventsLost, _eventsLost + _batch.Events.Count);
                _batch.Clear();
                break;
            }

            Thread.Sleep(Backoff()); // only while the store fails during dispose, bounded by StopTimeout
        }

        if (!_storeFailing && _sinkOpen)
        {
            try
            {
                _sink.Complete();
            }
            catch (Exception ex)
            {
                RecordStoreError(ex);
            }
        }

        long completed = Volatile.Read(ref _flushRequested);
        CompleteFlush(completed);
    }

    private long _stopDeadline = long.MaxValue;

    private bool PastStopDeadline()
    {
        long now = MonotonicMilliseconds();
        if (_stopDeadline == long.MaxValue) _stopDeadline = now + (long)_options.StopTimeout.TotalMilliseconds;
        return now >= _stopDeadline;
    }

    private TimeSpan Backoff()
    {
        double ms = _options.DrainInterval.TotalMilliseconds * Math.Pow(2, Math.Min(_failures, 16));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxBackoff.TotalMilliseconds));
    }

    private void CompleteFlush(long ticket)
    {
        lock (_flushLock)
        {
            if (ticket > _flushCompleted) Volatile.Write(ref _flushCompleted, ticket);
            Monitor.PulseAll(_flushLock);
        }
    }

    private static long MonotonicMilliseconds() => System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1000);

    private long NowUtc() => _clock.ToUtcTicks(System.Diagnostics.Stopwatch.GetTimestamp());

    private void SetState(TraceDrainState state) => Volatile.Write(ref _state, (int)state);
}
