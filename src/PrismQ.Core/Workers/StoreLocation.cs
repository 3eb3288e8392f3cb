namespace PrismQ.Workers;

/// <summary>What a worker learns from the store behind it: the local database file and the store's tracer.</summary>
internal static class StoreLocation
{
    /// <summary>The full path of the store's database file, or null when the store is not a local SQLite file.</summary>
    public static string? DatabasePathOf(ITaskStore store) => store is SqliteTaskStore sqlite ? sqlite.DatabasePath : null;

    /// <summary>The store's trace emitter, or the no-op one.</summary>
    public static Tracing.ITraceEmitter TracerOf(ITaskStore store) => store is SqliteTaskStore sqlite ? sqlite.Tracer : Tracing.NullTraceEmitter.Instance;
}
