using System;
using System.Collections.Generic;
using System.IO;

using PrismQ.Storage;

namespace PrismQ.PowerShell.Cores;

/// <summary>The cores of <c>Get-PrismQTrace</c>, <c>Export-PrismQTrace</c> and <c>Write-PrismQTrace</c> (outside a handler).</summary>
internal static class TraceCore
{
    /// <summary>How long a query waits for this process's buffered events to reach the trace database.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The kinds <c>Get-PrismQTrace</c> returns when <c>-Kind</c> is not given: every kind but the internal window
    /// records (WindowOpened, WindowMarked, WindowClosed), which steer what detail is kept and are shown only when
    /// asked for by <c>-Kind</c>.
    /// </summary>
    public static readonly string[] DefaultKinds = Array.ConvertAll(
        Array.FindAll((TraceEventKind[])Enum.GetValues(typeof(TraceEventKind)),
            kind => kind is not (TraceEventKind.WindowOpened or TraceEventKind.WindowMarked or TraceEventKind.WindowClosed)),
        kind => kind.ToString());

    /// <summary>Builds a query from the cmdlets' parameters; DateTime values without a kind count as local time.</summary>
    public static TraceQuery Query(long[]? taskIds, string? workerId, string[]? kinds, DateTime? since, DateTime? until, bool includeDetail, int? first)
    {
        var parsedKinds = new List<TraceEventKind>();
        if (kinds is not null)
            foreach (string kind in kinds)
            {
                if (!Enum.TryParse(kind, ignoreCase: true, out TraceEventKind parsed) || !Enum.IsDefined(typeof(TraceEventKind), parsed))
                    throw new PrismQException(PrismQErrorCode.InvalidArgument,
                        $"-Kind '{kind}' is not a trace event kind; use one of: {string.Join(", ", Enum.GetNames(typeof(TraceEventKind)))}.", "Kind", kind);
                parsedKinds.Add(parsed);
            }

        if (taskIds is { Length: > 1 })
            throw new PrismQException(PrismQErrorCode.InvalidArgument, "Internal: one task id per query.", "TaskId", taskIds.Length);
        return new TraceQuery
        {
            TaskId = taskIds is { Length: 1 } ? taskIds[0] : null,
            WorkerId = string.IsNullOrEmpty(workerId) ? null : workerId,
            Kinds = parsedKinds.Count > 0 ? parsedKinds : null,
            From = since is { } s ? TaskInfoMapper.ToInstant(s) : null,
            To = until is { } u ? TaskInfoMapper.ToInstant(u) : null,
            IncludeDetail = includeDetail,
            Limit = first ?? TraceQuery.MaxLimit,
        };
    }

    /// <summary>Makes this process's buffered events visible in the trace database (when this session traces that database).</summary>
    public static void Flush(string databasePath) => StoreCache.TraceSessionOf(databasePath)?.Flush(FlushTimeout);

    /// <summary>
    /// The events matching the query, for each task id when several are given (one query each), merged by timestamp;
    /// nothing when the database has no trace yet.
    /// </summary>
    public static IReadOnlyList<global::PrismQ.TraceEvent> Get(string databasePath, long[]? taskIds, Func<long[]?, TraceQuery> query)
    {
        if (StoreLocations.IsPostgres(databasePath)) return Array.Empty<global::PrismQ.TraceEvent>(); // no trace store on PostgreSQL (docs/tracing.md)
        Flush(databasePath);
        var store = TraceStore.ForQueue(databasePath);
        if (!File.Exists(store.DatabasePath)) return Array.Empty<global::PrismQ.TraceEvent>();
        if (taskIds is not { Length: > 1 }) return store.Query(query(taskIds));
        var all = new List<global::PrismQ.TraceEvent>();
        foreach (long id in taskIds) all.AddRange(store.Query(query(new[] { id })));
        all.Sort(CompareInTraceOrder);
        return all;
    }

    /// <summary>Writes a Chrome Trace Event JSON file of the matching events (task ids: one file with every listed task). Returns the file.</summary>
    public static FileInfo Export(string databasePath, string filePath, long[]? taskIds, DateTime? since, DateTime? until)
    {
        if (StoreLocations.IsPostgres(databasePath))
            throw new PrismQException(PrismQErrorCode.NotSupported, $"The database '{StoreLocations.Redact(databasePath)}' is on PostgreSQL, where PrismQ keeps no trace yet (docs/tracing.md); tracing works with SQLite files.", "Database", StoreLocations.Redact(databasePath));
        Flush(databasePath);
        var store = TraceStore.ForQueue(databasePath);
        if (!File.Exists(store.DatabasePath))
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"The database '{databasePath}' has no trace yet ({store.DatabasePath} does not exist); run a worker first.", "Database", databasePath);
        string? folder = Path.GetDirectoryName(filePath);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        string temporary = filePath + ".tmp";
        using (var output = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            if (taskIds is not { Length: > 1 })
            {
                store.ExportChromeTrace(output, Query(taskIds, null, null, since, until, includeDetail: true, first: null));
            }
            else
            {
                var events = new List<global::PrismQ.TraceEvent>();
                foreach (long id in taskIds) events.AddRange(store.Query(Query(new[] { id }, null, null, since, until, includeDetail: true, first: null)));
                events.Sort(CompareInTraceOrder); // the exporter reads an attempt's start before its end
                global::PrismQ.Tracing.ChromeTraceExporter.Write(output, events);
            }
        }

        if (File.Exists(filePath)) File.Delete(filePath);
        File.Move(temporary, filePath);
        return new FileInfo(filePath);
    }

    /// <summary>The order of the trace store's queries: timestamp, then source, lane and sequence (stable for equal timestamps).</summary>
    private static int CompareInTraceOrder(global::PrismQ.TraceEvent a, global::PrismQ.TraceEvent b)
    {
        int order = a.Timestamp.CompareTo(b.Timestamp);
        if (order == 0) order = a.SourceId.CompareTo(b.SourceId);
        if (order == 0) order = a.Lane.CompareTo(b.Lane);
        return order != 0 ? order : a.Sequence.CompareTo(b.Sequence);
    }

    /// <summary>The PowerShell-facing form of an engine event.</summary>
    public static TraceEvent ToInfo(global::PrismQ.TraceEvent e) => new()
    {
        Timestamp = e.Timestamp.LocalDateTime,
        Kind = e.Kind,
        TaskId = e.TaskId,
        Attempt = e.Attempt,
        WorkerId = e.WorkerId,
        Value = e.Value,
        Message = e.Detail,
        Host = e.Host,
        ProcessId = e.ProcessId,
    };

    /// <summary>A user event's text: the message, then the data as JSON when there is any.</summary>
    public static string UserMessage(string message, object? plainData) =>
        plainData is null ? message : message + " " + PayloadJson.Serialize(plainData);
}
