using System.IO;
using System.Threading;
using PrismQ.Storage;

namespace PrismQ.PowerShell.Cores;

/// <summary>The core of <c>Initialize-PrismQDatabase</c>: open (creating when missing) and describe the database.</summary>
internal static class DatabaseCore
{
    public static DatabaseInfo Initialize(string fullPath, Durability durability, CancellationToken cancellationToken)
    {
        if (StoreLocations.IsPostgres(fullPath))
        {
            // A server database: its schema is created (or migrated) at open; there is no file to measure.
            ITaskStore server = StoreCache.Get(fullPath);
            int count = server.GetQueueStatsAsync(null, cancellationToken).GetAwaiter().GetResult().Count;
            return new DatabaseInfo { Path = StoreLocations.Redact(fullPath), Created = false, Durability = durability, QueueCount = count };
        }
        bool existed = File.Exists(fullPath);
        ITaskStore store = StoreCache.Get(fullPath, durability);
        int queues = store.GetQueueStatsAsync(null, cancellationToken).GetAwaiter().GetResult().Count;
        return Describe(fullPath, !existed, durability, queues);
    }

    public static DatabaseInfo Describe(string fullPath, bool created, Durability durability, int queueCount)
    {
        var file = new FileInfo(fullPath);
        var wal = new FileInfo(fullPath + "-wal");
        return new DatabaseInfo
        {
            Path = fullPath,
            Created = created,
            Durability = durability,
            SizeBytes = file.Exists ? file.Length : 0,
            WalSizeBytes = wal.Exists ? wal.Length : 0,
            QueueCount = queueCount,
        };
    }
}
