using System;
using System.Collections.Generic;
using System.Threading;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Storage.Sqlite;

public sealed partial class SqliteTaskStore
{
    /// <summary>The most ready tasks one queue-depth sample counts per queue: the sample's cost stays bounded on a huge backlog.</summary>
    internal const int QueueDepthCap = 100_000;

    private PreparedStatement? _readyCount;

    /// <summary>
    /// Counts the tasks of <paramref name="queues"/> that are ready to claim now (queued and due), at most
    /// <see cref="QueueDepthCap"/> per queue: a worker's queue-depth trace sample. One read transaction, walking the
    /// ready tasks' partial index.
    /// </summary>
    public long CountReady(IReadOnlyList<string> queues, CancellationToken cancellationToken)
    {
        return Run("queue-depth", TxMode.Read, queues, static (s, list) =>
        {
            PreparedStatement st = s.Prepare(ref s._readyCount,
                "SELECT COUNT(*) FROM (SELECT 1 FROM tasks WHERE queue = $queue AND status = " + SqliteStatus.Queued + " AND not_before <= $now LIMIT $cap)",
                "$queue", "$now", "$cap");
            long now = s.Now();
            long total = 0;
            foreach (string queue in list)
            {
                st.P[0].Value = queue;
                st.P[1].Value = now;
                st.P[2].Value = QueueDepthCap;
                total += Convert.ToInt64(st.Command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }

            return total;
        }, cancellationToken);
    }
}
