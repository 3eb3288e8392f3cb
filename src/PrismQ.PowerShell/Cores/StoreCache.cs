using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using PrismQ.Storage.Sqlite;
using PrismQ.Storage;

namespace PrismQ.PowerShell.Cores;

/// <summary>
/// One open store per database file per PowerShell session (the module is loaded once per process, so per process),
/// opened on first use and disposed when the module is removed. Thread-safe.
/// </summary>
internal static class StoreCache
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, Entry> Stores = new(PathComparer);

    /// <summary>How stores are opened. Tests may replace it; the default opens the SQLite store.</summary>
    public static Func<QueueOptions, ITaskStore> Factory { get; set; } = DefaultFactory;

    /// <summary>Paths compare without case on Windows and macOS, with case elsewhere.</summary>
    public static StringComparer PathComparer =>
        RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;

    /// <summary>
    /// The store for <paramref name="fullPath"/>, opened when needed. With <paramref name="durability"/> set and an
    /// open store using another durability, the store is reopened with it.
    /// </summary>
    public static ITaskStore Get(string fullPath, Durability? durability = null)
    {
        if (string.IsNullOrWhiteSpace(fullPath))
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath, $"The database path '{fullPath}' is empty; give a file path.", "Database", fullPath);
        lock (Gate)
        {
            if (Stores.TryGetValue(fullPath, out Entry? entry))
            {
                if (durability is null || durability == entry.Durability) return entry.Store;
                Stores.Remove(fullPath);
                entry.Store.Dispose();
            }

            Durability chosen = durability ?? Durability.Normal;
            ITaskStore store = Factory(new QueueOptions { DatabasePath = fullPath, Durability = chosen });
            Stores[fullPath] = new Entry(store, chosen);
            return store;
        }
    }

    /// <summary>The durability of the open store for this path, or null when none is open.</summary>
    public static Durability? DurabilityOf(string fullPath)
    {
        lock (Gate) return Stores.TryGetValue(fullPath, out Entry? entry) ? entry.Durability : null;
    }

    /// <summary>Closes and forgets the store for one path (for example before the file is replaced).</summary>
    public static void Close(string fullPath)
    {
        lock (Gate)
        {
            if (!Stores.TryGetValue(fullPath, out Entry? entry)) return;
            Stores.Remove(fullPath);
            entry.Store.Dispose();
        }
    }

    /// <summary>Closes every open store (module removal).</summary>
    public static void CloseAll()
    {
        lock (Gate)
        {
            foreach (Entry entry in Stores.Values)
            {
                try
                {
                    entry.Store.Dispose();
                }
                catch (Exception)
                {
                    // Closing at module removal must not fail the removal; the file stays consistent (WAL).
                }
            }

            Stores.Clear();
        }
    }

    /// <summary>
    /// The database after the precedence: the parameter, else <c>PRISMQ_QUEUE_DB_PATH</c>, else the platform default. A
    /// file path is made absolute against <paramref name="currentDirectory"/> (PowerShell's current file-system
    /// location); a PostgreSQL URI is kept as given.
    /// </summary>
    public static string ResolvePath(string? parameter, string currentDirectory)
    {
        if (parameter is not null && parameter.Trim().Length == 0)
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath, "The -Database value is empty; give a file path or leave it out.", "Database", parameter);
        string path = new QueueOptions { DatabasePath = parameter }.ResolveDatabasePath();
        if (StoreLocations.IsPostgres(path)) return path.Trim();
        try
        {
            return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(currentDirectory, path));
        }
        catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is PathTooLongException)
        {
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath, $"The database path '{path}' is not a valid file path: {ex.Message}", "Database", path, ex);
        }
    }

    /// <summary>
    /// Opens the store for <see cref="QueueOptions.DatabasePath"/> (<see cref="StoreLocations.Open"/>). A SQLite file
    /// is opened with tracing on (<see cref="QueueOptions.Tracing"/>): the store checks and opens the queue database
    /// first, then starts a <see cref="TraceSession"/> writing to <c>&lt;database&gt;.trace.db</c>, and drains and
    /// closes it when the store is disposed. A PostgreSQL store is opened without tracing (docs/configuration.md).
    /// </summary>
    private static ITaskStore DefaultFactory(QueueOptions options) =>
        StoreLocations.Open(options.DatabasePath!, new QueueOptions
        {
            Durability = options.Durability,
            Tracing = StoreLocations.IsPostgres(options.DatabasePath) ? null : new TraceOptions(),
        });

    /// <summary>The trace session of the open store for this path, or null (no store open, or a store without tracing).</summary>
    public static TraceSession? TraceSessionOf(string fullPath)
    {
        lock (Gate) return Stores.TryGetValue(fullPath, out Entry? entry) && entry.Store is SqliteTaskStore sqlite ? sqlite.Tracing : null;
    }

    private sealed class Entry
    {
        public Entry(ITaskStore store, Durability durability)
        {
            Store = store;
            Durability = durability;
        }

        public ITaskStore Store { get; }

        public Durability Durability { get; }
    }
}
