using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// The values the argument completers offer: queue names known to the database, and task types seen among its newest
/// <see cref="TypeSampleSize"/> tasks. Completion never creates a database: a missing file offers nothing, and so does any error.
/// </summary>
internal static class CompletionCore
{
    /// <summary>How many of the newest tasks are read to collect task types.</summary>
    public const int TypeSampleSize = 2000;

    public static IReadOnlyList<string> Queues(string databasePath, string prefix)
    {
        try
        {
            if (!Storage.StoreLocations.IsPostgres(databasePath) && !File.Exists(databasePath)) return Array.Empty<string>();
            var names = new List<string>();
            foreach (QueueStats stats in StoreCache.Get(databasePath).GetQueueStatsAsync(null, CancellationToken.None).GetAwaiter().GetResult())
                names.Add(stats.Name);
            return Matching(names, prefix);
        }
        catch (Exception ex) when (ex is PrismQException || ex is IOException || ex is UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    public static IReadOnlyList<string> Types(string databasePath, string prefix)
    {
        try
        {
            if (!Storage.StoreLocations.IsPostgres(databasePath) && !File.Exists(databasePath)) return Array.Empty<string>();
            var types = new HashSet<string>(StringComparer.Ordinal);
            IReadOnlyList<TaskRecord> newest = StoreCache.Get(databasePath)
                .QueryAsync(new TaskQuery { Order = TaskOrder.NewestFirst, Limit = TypeSampleSize }, CancellationToken.None).GetAwaiter().GetResult();
            foreach (TaskRecord record in newest) types.Add(record.Type);
            return Matching(types, prefix);
        }
        catch (Exception ex) when (ex is PrismQException || ex is IOException || ex is UnauthorizedAccessException)
        {
            return Array.Empty<string>();
        }
    }

    /// <summary>The names starting with <paramref name="prefix"/> (ignoring case and surrounding quotes), sorted.</summary>
    public static IReadOnlyList<string> Matching(IEnumerable<string> names, string? prefix)
    {
        string start = (prefix ?? string.Empty).Trim('\'', '"');
        var result = new List<string>();
        foreach (string name in names)
            if (name.StartsWith(start, StringComparison.OrdinalIgnoreCase)) result.Add(name);
        result.Sort(StringComparer.OrdinalIgnoreCase);
        return result;
    }
}
