using System.IO;
using System.Threading;

namespace PrismQ.PowerShell.Cores;

/// <summary>The core of <c>Initialize-PrismQDatabase</c>: open (creating when missing) and describe the database.</summary>
internal static class DatabaseCore
{
    public static DatabaseInfo Initialize(string fullPath, Durability durability, CancellationToken cancellationToken)
    {
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
