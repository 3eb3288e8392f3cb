namespace PrismQ.Workers;

/// <summary>The local database file behind a store, when there is one (for liveness locks and the enqueue signal).</summary>
internal static class StoreLocation
{
    /// <summary>The full path of the store's database file, or null when the store is not a local SQLite file.</summary>
    public static string? DatabasePathOf(ITaskStore store) => null;
}
