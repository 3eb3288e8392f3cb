using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace PrismQ.Tracing;

/// <summary>
/// Writes the Chrome Trace Event Format (JSON object form) with <see cref="Utf8JsonWriter"/>, reading the events once,
/// in timestamp order. <c>pid</c> is the trace source id (named "host/pid"), <c>ts</c>/<c>dur</c> are microseconds
/// since the Unix epoch. Tracks (<c>tid</c>), each named by a <c>thread_name</c> metadata event:
/// <list type="bullet">
/// <item>tid 0, "no worker": events of no worker (enqueues, admin cancels, user events outside a handler, gaps);</item>
/// <item>tid = the worker slot, named by the worker id: the worker's own events (claims, reclaims, retry markers, the
/// queue-depth counter) and every instant of an attempt outside its slice;</item>
/// <item>one track per attempt lane of a worker (tid <see cref="FirstLaneTid"/> and up, named "&lt;worker id&gt; #n"):
/// each attempt is one complete slice (<c>"ph":"X"</c>) from its Start to the event that ended it (Complete, Fail,
/// LeaseLost, Release, or Cancel with a duration), on the first lane of its worker that is free at its start, so two
/// slices of one track never overlap. The attempt's instants during the slice go on the same track.</item>
/// </list>
/// Attempts are keyed by source, worker slot, task and attempt number, and a Start after that attempt's slice ended
/// opens a new slice: a task restarted with <c>Restart-PrismQTask</c> numbers its attempts from 1 again.
/// </summary>
internal static class ChromeTraceExporter
{
    /// <summary>The tid of the first attempt lane: above every worker slot (a short), so lanes never collide with them.</summary>
    public const int FirstLaneTid = 32768;

    /// <summary>The longest name given to a user event (the whole text is in its args).</summary>
    public const int MaxUserEventName = 80;

    private const long UnixEpochTicks = 621355968000000000L;

    public static void Write(Stream output, IEnumerable<TraceEvent> events)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        writer.WriteStartObject();
        writer.WriteString("displayTimeUnit", "ms");
        writer.WriteStartArray("traceEvents");
        var state = new ExportState(writer);
        foreach (TraceEvent e in events) state.Add(e);
        state.Finish();
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    private static double Microseconds(long utcTicks) => (utcTicks - UnixEpochTicks) / 10.0;

    /// <summary>True for the kinds that end an attempt's slice. A Cancel ends it only with a duration (value above 0): the
    /// worker's heartbeat also emits Cancel (value 0) when it learns of a cancel request, before the attempt ends.</summary>
    private static bool EndsAttempt(TraceEvent e) => e.Kind switch
    {
        TraceEventKind.Complete or TraceEventKind.Fail or TraceEventKind.LeaseLost or TraceEventKind.Release => true,
        TraceEventKind.Cancel => e.Value > 0,
        _ => false,
    };

    private static bool IsInstant(TraceEventKind kind) => kind is TraceEventKind.Claim or TraceEventKind.Fail or TraceEventKind.RetryScheduled
        or TraceEventKind.LeaseLost or TraceEventKind.Timeout or TraceEventKind.Release or TraceEventKind.Cancel or TraceEventKind.Reclaim
        or TraceEventKind.Gap or TraceEventKind.User;

    /// <summary>The name of a user event: its text up to the first line break, at most <see cref="MaxUserEventName"/> chars.</summary>
    internal static string UserEventName(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "User";
        int end = text!.IndexOfAny(new[] { '\r', '\n' });
        if (end < 0) end = text.Length;
        if (end > MaxUserEventName) end = MaxUserEventName;
        return end == 0 ? "User" : text.Substring(0, end);
    }

    /// <summary>One attempt's open slice.</summary>
    private sealed class Slice
    {
        public Slice((long Source, short Slot, long Task, int Attempt) key, double begin, Lane lane)
        {
            Key = key;
            Begin = begin;
            Last = begin;
            Lane = lane;
        }

        public (long Source, short Slot, long Task, int Attempt) Key { get; }
        public double Begin { get; }
        public double Last { get; set; }
        public Lane Lane { get; }
    }

    /// <summary>One attempt track of a worker: busy while a slice is open on it.</summary>
    private sealed class Lane
    {
        public Lane(int tid) => Tid = tid;

        public int Tid { get; }
        public bool Busy { get; set; }
    }

    /// <summary>The tracks of one worker slot in one source.</summary>
    private sealed class WorkerTracks
    {
        public WorkerTracks(string name) => Name = name;

        public string Name { get; set; }
        public List<Lane> Lanes { get; } = new();
    }

    private sealed class ExportState
    {
        private readonly Utf8JsonWriter _writer;
        private readonly HashSet<long> _processes = new();
        private readonly Dictionary<(long Source, short Slot), WorkerTracks> _workers = new();
        private readonly Dictionary<long, int> _nextLaneTid = new();
        private readonly Dictionary<(long Source, short Slot, long Task, int Attempt), Slice> _open = new();
        private readonly List<Slice> _openOrder = new();

        public ExportState(Utf8JsonWriter writer) => _writer = writer;

        public void Add(TraceEvent e)
        {
            if (_processes.Add(e.SourceId))
            {
                WriteMetadata("process_name", e.SourceId, 0, $"{e.Host}/{e.ProcessId}");
                Worker(e.SourceId, 0, null);
            }

            WorkerTracks worker = Worker(e.SourceId, e.WorkerSlot, e.WorkerId);
            double ts = Microseconds(e.Timestamp.UtcTicks);
            var key = (e.SourceId, e.WorkerSlot, e.TaskId, e.Attempt);
            Slice? slice = null;
            if (e.TaskId != 0 && e.WorkerSlot != 0)
            {
                _open.TryGetValue(key, out slice);
                if (slice is null && e.Kind == TraceEventKind.Start)
                {
                    slice = new Slice(key, ts, FreeLane(e.SourceId, e.WorkerSlot, worker));
                    _open.Add(key, slice);
                    _openOrder.Add(slice);
                }
            }

            if (slice is not null && ts > slice.Last) slice.Last = ts;
            int tid = slice?.Lane.Tid ?? e.WorkerSlot;
            if (e.Kind == TraceEventKind.QueueDepth) WriteCounter(e, ts);
            else if (IsInstant(e.Kind)) WriteInstant(e, ts, tid);

            if (slice is not null && EndsAttempt(e))
            {
                WriteSlice(slice, ts, e.Kind.ToString());
                _open.Remove(key);
                _openOrder.Remove(slice);
                slice.Lane.Busy = false;
            }
        }

        /// <summary>Writes the slices that never saw their end (a crash, a dropped event, a query's time bound), to their last event.</summary>
        public void Finish()
        {
            foreach (Slice slice in _openOrder) WriteSlice(slice, slice.Last, "unfinished");
            _openOrder.Clear();
            _open.Clear();
        }

        private WorkerTracks Worker(long source, short slot, string? workerId)
        {
            if (_workers.TryGetValue((source, slot), out WorkerTracks? tracks)) return tracks;
            string name = slot == 0 ? "no worker" : workerId ?? "worker " + slot;
            tracks = new WorkerTracks(name);
            _workers.Add((source, slot), tracks);
            WriteMetadata("thread_name", source, slot, name);
            WriteSortIndex(source, slot, slot * 100_000L);
            return tracks;
        }

        /// <summary>The first lane of the worker free at this instant (every slice that ended before it has been read), or a new one.</summary>
        private Lane FreeLane(long source, short slot, WorkerTracks worker)
        {
            foreach (Lane candidate in worker.Lanes)
            {
                if (candidate.Busy) continue;
                candidate.Busy = true;
                return candidate;
            }

            _nextLaneTid.TryGetValue(source, out int next);
            var lane = new Lane(FirstLaneTid + next) { Busy = true };
            _nextLaneTid[source] = next + 1;
            worker.Lanes.Add(lane);
            WriteMetadata("thread_name", source, lane.Tid, $"{worker.Name} #{worker.Lanes.Count}");
            WriteSortIndex(source, lane.Tid, slot * 100_000L + worker.Lanes.Count);
            return lane;
        }

        private void WriteSlice(Slice slice, double end, string outcome)
        {
            _writer.WriteStartObject();
            _writer.WriteString("name", $"task {slice.Key.Task}");
            _writer.WriteString("cat", "task");
            _writer.WriteString("ph", "X");
            _writer.WriteNumber("ts", slice.Begin);
            _writer.WriteNumber("dur", Math.Max(0, end - slice.Begin));
            _writer.WriteNumber("pid", slice.Key.Source);
            _writer.WriteNumber("tid", slice.Lane.Tid);
            _writer.WriteStartObject("args");
            _writer.WriteNumber("task", slice.Key.Task);
            _writer.WriteNumber("attempt", slice.Key.Attempt);
            _writer.WriteString("outcome", outcome);
            _writer.WriteEndObject();
            _writer.WriteEndObject();
        }

        private void WriteInstant(TraceEvent e, double ts, int tid)
        {
            bool user = e.Kind == TraceEventKind.User;
            _writer.WriteStartObject();
            _writer.WriteString("name", user ? UserEventName(e.Detail) : e.Kind.ToString());
            _writer.WriteString("cat", user ? "user" : "prismq");
            _writer.WriteString("ph", "i");
            _writer.WriteString("s", "t");
            _writer.WriteNumber("ts", ts);
            _writer.WriteNumber("pid", e.SourceId);
            _writer.WriteNumber("tid", tid);
            _writer.WriteStartObject("args");
            _writer.WriteString("kind", e.Kind.ToString());
            _writer.WriteNumber("task", e.TaskId);
            _writer.WriteNumber("attempt", e.Attempt);
            _writer.WriteNumber("value", e.Value);
            if (e.Detail is not null) _writer.WriteString(user ? "message" : "detail", e.Detail);
            if (e.DetailDropped) _writer.WriteBoolean("detailDropped", true);
            _writer.WriteEndObject();
            _writer.WriteEndObject();
        }

        private void WriteCounter(TraceEvent e, double ts)
        {
            _writer.WriteStartObject();
            _writer.WriteString("name", e.WorkerSlot == 0 ? "queue depth" : $"queue depth ({Worker(e.SourceId, e.WorkerSlot, e.WorkerId).Name})");
            _writer.WriteString("ph", "C");
            _writer.WriteNumber("ts", ts);
            _writer.WriteNumber("pid", e.SourceId);
            _writer.WriteNumber("tid", e.WorkerSlot);
            _writer.WriteStartObject("args");
            _writer.WriteNumber("ready", e.Value);
            _writer.WriteEndObject();
            _writer.WriteEndObject();
        }

        private void WriteMetadata(string name, long pid, int tid, string value)
        {
            _writer.WriteStartObject();
            _writer.WriteString("name", name);
            _writer.WriteString("ph", "M");
            _writer.WriteNumber("pid", pid);
            _writer.WriteNumber("tid", tid);
            _writer.WriteStartObject("args");
            _writer.WriteString("name", value);
            _writer.WriteEndObject();
            _writer.WriteEndObject();
        }

        private void WriteSortIndex(long pid, int tid, long index)
        {
            _writer.WriteStartObject();
            _writer.WriteString("name", "thread_sort_index");
            _writer.WriteString("ph", "M");
            _writer.WriteNumber("pid", pid);
            _writer.WriteNumber("tid", tid);
            _writer.WriteStartObject("args");
            _writer.WriteNumber("sort_index", index);
            _writer.WriteEndObject();
            _writer.WriteEndObject();
        }
    }
}
