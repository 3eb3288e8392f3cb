using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace PrismQ.Tracing;

/// <summary>
/// Writes the Chrome Trace Event Format (JSON object form) with <see cref="Utf8JsonWriter"/>:
/// <c>pid</c> is the trace source id (named "host/pid" by a <c>process_name</c> metadata event), <c>tid</c> is the
/// worker slot (named by the worker id; 0 is "no worker"), <c>ts</c>/<c>dur</c> are microseconds since the Unix epoch.
/// A task attempt is a complete slice (<c>"ph":"X"</c>) from its first Start (or a WindowOpened record, which the drain
/// does not store) to its first Complete/Fail/Timeout/LeaseLost/Release (or its last event); claims, failures, lease losses, timeouts,
/// gaps and user events are instants (<c>"ph":"i"</c>); queue depth is a counter (<c>"ph":"C"</c>).
/// </summary>
internal static class ChromeTraceExporter
{
    private const long UnixEpochTicks = 621355968000000000L;

    public static void Write(Stream output, IEnumerable<TraceEvent> events)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false });
        writer.WriteStartObject();
        writer.WriteString("displayTimeUnit", "ms");
        writer.WriteStartArray("traceEvents");

        var processes = new HashSet<long>();
        var threads = new HashSet<(long Source, short Slot)>();
        var attempts = new Dictionary<(long Source, long Task, int Attempt), Slice>();
        var order = new List<(long Source, long Task, int Attempt)>();

        foreach (TraceEvent e in events)
        {
            if (processes.Add(e.SourceId))
            {
                WriteMetadata(writer, "process_name", e.SourceId, 0, $"{e.Host}/{e.ProcessId}");
                if (threads.Add((e.SourceId, 0))) WriteMetadata(writer, "thread_name", e.SourceId, 0, "no worker");
            }

            if (threads.Add((e.SourceId, e.WorkerSlot)))
                WriteMetadata(writer, "thread_name", e.SourceId, e.WorkerSlot, e.WorkerId ?? "worker " + e.WorkerSlot);

            double ts = Microseconds(e.Timestamp.UtcTicks);
            switch (e.Kind)
            {
                case TraceEventKind.Claim:
                case TraceEventKind.Fail:
                case TraceEventKind.LeaseLost:
                case TraceEventKind.Timeout:
                case TraceEventKind.Gap:
                case TraceEventKind.User:
                    WriteInstant(writer, e, ts);
                    break;
                case TraceEventKind.QueueDepth:
                    writer.WriteStartObject();
                    writer.WriteString("name", "queue depth");
                    writer.WriteString("ph", "C");
                    writer.WriteNumber("ts", ts);
                    writer.WriteNumber("pid", e.SourceId);
                    writer.WriteNumber("tid", e.WorkerSlot);
                    writer.WriteStartObject("args");
                    writer.WriteNumber("ready", e.Value);
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                    break;
            }

            if (e.TaskId == 0) continue;
            var key = (e.SourceId, e.TaskId, e.Attempt);
            if (!attempts.TryGetValue(key, out Slice? slice))
            {
                slice = new Slice();
                attempts.Add(key, slice);
                order.Add(key);
            }

            if (slice.Slot == 0) slice.Slot = e.WorkerSlot;
            slice.Last = ts;
            if (slice.Begin is null && e.Kind is TraceEventKind.WindowOpened or TraceEventKind.Start) slice.Begin = ts;
            if (slice.Begin is not null && slice.End is null && e.Kind is TraceEventKind.Complete or TraceEventKind.Fail or TraceEventKind.Timeout
                    or TraceEventKind.LeaseLost or TraceEventKind.Release or TraceEventKind.WindowClosed)
            {
                slice.End = ts;
                slice.Outcome = e.Kind.ToString();
            }
        }

        foreach (var key in order)
        {
            Slice slice = attempts[key];
            if (slice.Begin is not double begin) continue;
            if (threads.Add((key.Source, slice.Slot))) WriteMetadata(writer, "thread_name", key.Source, slice.Slot, "worker " + slice.Slot);
            double end = slice.End ?? slice.Last;
            writer.WriteStartObject();
            writer.WriteString("name", $"task {key.Task}");
            writer.WriteString("cat", "task");
            writer.WriteString("ph", "X");
            writer.WriteNumber("ts", begin);
            writer.WriteNumber("dur", Math.Max(0, end - begin));
            writer.WriteNumber("pid", key.Source);
            writer.WriteNumber("tid", slice.Slot);
            writer.WriteStartObject("args");
            writer.WriteNumber("task", key.Task);
            writer.WriteNumber("attempt", key.Attempt);
            writer.WriteString("outcome", slice.Outcome ?? "unfinished");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    private static void WriteInstant(Utf8JsonWriter writer, TraceEvent e, double ts)
    {
        writer.WriteStartObject();
        writer.WriteString("name", e.Kind.ToString());
        writer.WriteString("cat", "prismq");
        writer.WriteString("ph", "i");
        writer.WriteString("s", "t");
        writer.WriteNumber("ts", ts);
        writer.WriteNumber("pid", e.SourceId);
        writer.WriteNumber("tid", e.WorkerSlot);
        writer.WriteStartObject("args");
        writer.WriteNumber("task", e.TaskId);
        writer.WriteNumber("attempt", e.Attempt);
        writer.WriteNumber("value", e.Value);
        if (e.Detail is not null) writer.WriteString("detail", e.Detail);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter writer, string name, long pid, short tid, string value)
    {
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteString("ph", "M");
        writer.WriteNumber("pid", pid);
        writer.WriteNumber("tid", tid);
        writer.WriteStartObject("args");
        writer.WriteString("name", value);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static double Microseconds(long utcTicks) => (utcTicks - UnixEpochTicks) / 10.0;

    private sealed class Slice
    {
        public double? Begin;
        public double? End;
        public double Last;
        public short Slot;
        public string? Outcome;
    }
}
