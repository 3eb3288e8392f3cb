using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace PrismQ.Tests;

/// <summary>
/// Checks a file of the Chrome Trace Event Format (JSON object form, or the bare array form) the way a viewer needs it:
/// valid JSON; every event an object with a known phase and the fields that phase requires (name, ph, pid, tid, ts;
/// dur ≥ 0 for complete slices; numeric args for counters; a name and args for metadata); B/E events balanced per
/// track (pid, tid), an E never before its B; and no two slices (X, or a B/E pair) of one track overlapping unless one
/// lies wholly inside the other (properly nested). Returns every violation found, each naming the event.
/// </summary>
internal static class TraceEventFormatValidator
{
    private static readonly HashSet<string> KnownPhases = new(StringComparer.Ordinal)
    {
        "B", "E", "X", "i", "I", "C", "M", "b", "n", "e", "s", "t", "f", "P", "N", "O", "D", "R", "c", "(", ")",
    };

    private static readonly HashSet<string> MetadataNames = new(StringComparer.Ordinal)
    {
        "process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index",
    };

    /// <summary>Parses and checks the JSON text; the parsed events are returned for further assertions.</summary>
    public static IReadOnlyList<string> Validate(string json, out IReadOnlyList<JsonElement> events)
    {
        var violations = new List<string>();
        var list = new List<JsonElement>();
        events = list;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            violations.Add("not valid JSON: " + ex.Message);
            return violations;
        }

        JsonElement root = document.RootElement;
        JsonElement array;
        if (root.ValueKind == JsonValueKind.Array) array = root;
        else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("traceEvents", out array) && array.ValueKind == JsonValueKind.Array) { }
        else
        {
            violations.Add("the root is neither an array nor an object with a traceEvents array");
            return violations;
        }

        var slices = new Dictionary<(double Pid, double Tid), List<(double Begin, double End, string What)>>();
        var open = new Dictionary<(double Pid, double Tid), Stack<(double Ts, string Name, int Index)>>();
        int index = -1;
        foreach (JsonElement e in array.EnumerateArray())
        {
            index++;
            list.Add(e.Clone());
            string at = $"event {index}";
            if (e.ValueKind != JsonValueKind.Object)
            {
                violations.Add($"{at}: not an object");
                continue;
            }

            string? ph = String(e, "ph");
            if (ph is null || !KnownPhases.Contains(ph))
            {
                violations.Add($"{at}: ph '{ph}' is missing or not a phase of the format");
                continue;
            }

            string? name = String(e, "name");
            at = $"event {index} ({ph} '{name}')";
            if (name is null && ph != "E") violations.Add($"{at}: no name");
            double? pid = Number(e, "pid");
            double? tid = Number(e, "tid");
            if (pid is null) violations.Add($"{at}: no numeric pid");
            if (tid is null) violations.Add($"{at}: no numeric tid");
            double? ts = Number(e, "ts");
            if (ph != "M" && ts is null) violations.Add($"{at}: no numeric ts");

            switch (ph)
            {
                case "M":
                    if (name is not null && !MetadataNames.Contains(name)) violations.Add($"{at}: unknown metadata name");
                    if (!e.TryGetProperty("args", out JsonElement margs) || margs.ValueKind != JsonValueKind.Object) violations.Add($"{at}: metadata without args");
                    break;
                case "X":
                    double? dur = Number(e, "dur");
                    if (dur is null || dur < 0) violations.Add($"{at}: a complete slice needs a dur of 0 or more");
                    else if (pid is not null && tid is not null && ts is not null) Add(slices, (pid.Value, tid.Value), ts.Value, ts.Value + dur.Value, at);
                    break;
                case "B":
                    if (pid is not null && tid is not null && ts is not null)
                    {
                        if (!open.TryGetValue((pid.Value, tid.Value), out var stack)) open[(pid.Value, tid.Value)] = stack = new();
                        stack.Push((ts.Value, name ?? "", index));
                    }

                    break;
                case "E":
                    if (pid is not null && tid is not null && ts is not null)
                    {
                        if (!open.TryGetValue((pid.Value, tid.Value), out var stack) || stack.Count == 0)
                        {
                            violations.Add($"{at}: an E with no open B on track {pid}/{tid}");
                            break;
                        }

                        (double begin, string bName, int bIndex) = stack.Pop();
                        if (ts.Value < begin) violations.Add($"{at}: ends before its B (event {bIndex})");
                        else Add(slices, (pid.Value, tid.Value), begin, ts.Value, $"B/E events {bIndex}-{index} ('{bName}')");
                    }

                    break;
                case "i":
                case "I":
                    string? scope = String(e, "s");
                    if (e.TryGetProperty("s", out _) && scope is not ("g" or "p" or "t")) violations.Add($"{at}: instant scope '{scope}' is not g, p or t");
                    break;
                case "C":
                    if (!e.TryGetProperty("args", out JsonElement cargs) || cargs.ValueKind != JsonValueKind.Object || !cargs.EnumerateObject().Any())
                        violations.Add($"{at}: a counter needs args with at least one series");
                    else if (cargs.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.Number))
                        violations.Add($"{at}: a counter's args must all be numbers");
                    break;
            }
        }

        foreach (var track in open)
            foreach (var b in track.Value)
                violations.Add($"event {b.Index} (B '{b.Name}'): never ended on track {track.Key.Pid}/{track.Key.Tid}");

        foreach (var track in slices)
        {
            // Sorted by begin, the longer first on a tie: each slice must end before the next begins, or hold it whole.
            var ordered = track.Value.OrderBy(s => s.Begin).ThenByDescending(s => s.End).ToList();
            var enclosing = new Stack<(double Begin, double End, string What)>();
            foreach (var slice in ordered)
            {
                while (enclosing.Count > 0 && enclosing.Peek().End <= slice.Begin) enclosing.Pop();
                if (enclosing.Count > 0 && enclosing.Peek().End < slice.End)
                    violations.Add($"track {track.Key.Pid}/{track.Key.Tid}: {slice.What} [{Show(slice.Begin)}, {Show(slice.End)}] overlaps {enclosing.Peek().What} [{Show(enclosing.Peek().Begin)}, {Show(enclosing.Peek().End)}] without nesting");
                enclosing.Push(slice);
            }
        }

        return violations;
    }

    private static void Add(Dictionary<(double, double), List<(double, double, string)>> slices, (double, double) track, double begin, double end, string what)
    {
        if (!slices.TryGetValue(track, out var list)) slices[track] = list = new();
        list.Add((begin, end, what));
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double? Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static string Show(double us) => us.ToString("F1", CultureInfo.InvariantCulture);
}
