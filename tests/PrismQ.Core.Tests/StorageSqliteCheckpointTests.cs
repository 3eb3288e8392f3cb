using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;
using PrismQ.Storage.Sqlite;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>The WAL is checkpointed by a thread of the store, not inside the commit that crosses the threshold.</summary>
public sealed class StorageSqliteCheckpointTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static long Length(string file) => File.Exists(file) ? new FileInfo(file).Length : 0;

    /// <summary>The frames in the WAL, as a passive checkpoint from another connection reports them.</summary>
    private static long WalFrames(string db)
    {
        using SqliteConnection connection = RawDb.Open(db);
        return SqliteCommands.WalCheckpoint(connection, "PASSIVE").WalFrames;
    }

    [Fact]
    public async Task Pages_written_by_commits_are_copied_into_the_database_by_the_checkpoint_thread()
    {
        string db = _folder.File("queue.db");
        SqliteTaskStore store = SqliteTaskStore.Open(db);
        Thread? checkpointThread = null;
        using var finished = new ManualResetEventSlim();
        store.Checkpointer.CheckpointFinished += () =>
        {
            checkpointThread = Thread.CurrentThread;
            finished.Set();
        };
        long databaseBefore = Length(db);

        // About 1,500 pages to the WAL: over the thread's threshold, under SQLite's own automatic checkpoint.
        string payload = "{\"text\":\"" + new string('x', 400) + "\"}";
        await store.EnqueueManyAsync(Enumerable.Range(0, 8_000).Select(_ => new EnqueueRequest("t", payload)), batchSize: 500);

        Assert.True(finished.Wait(TimeSpan.FromSeconds(60)), "no checkpoint ran after the store wrote over 1,000 pages");
        long walFrameBytes = 4096 + 24;
        Assert.True(Length(db + "-wal") < WalCheckpointer.BackstopPages * walFrameBytes,
            "the WAL reached SQLite's own automatic checkpoint, so this test cannot tell which one ran");
        Assert.NotNull(checkpointThread);
        Assert.NotEqual(Environment.CurrentManagedThreadId, checkpointThread!.ManagedThreadId);
        Assert.Equal("PrismQ WAL checkpoint", checkpointThread.Name);
        Assert.True(Length(db) > databaseBefore + 100L * 4096, $"the database file did not grow by the checkpointed pages ({databaseBefore} -> {Length(db)} bytes)");
        Assert.True(store.Checkpointer.Completed >= 1);
        Assert.Null(store.Checkpointer.LastError);

        // Writers pause: a checkpoint now copies every frame, and the next commit starts the WAL over from its
        // beginning (nothing of the checkpoint's connection holds it back).
        finished.Reset();
        store.Checkpointer.Request();
        Assert.True(finished.Wait(TimeSpan.FromSeconds(60)), "the requested checkpoint did not run");
        await store.EnqueueAsync(new EnqueueRequest("t", payload));
        Assert.True(WalFrames(db) < 50, $"the WAL did not start over: {WalFrames(db)} frames after one more enqueue");

        store.Dispose();
        Assert.False(checkpointThread.IsAlive, "Dispose returned before the checkpoint thread ended");
        Assert.False(File.Exists(db + "-wal"), "the WAL was left behind: the store's connection was not the last one closed");
        using SqliteConnection check = RawDb.Open(db);
        using SqliteCommand command = check.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM tasks), (SELECT integrity_check FROM pragma_integrity_check)";
        using SqliteDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(8_001L, reader.GetInt64(0));
        Assert.Equal("ok", reader.GetString(1));
    }

    [Fact]
    public async Task A_store_that_writes_little_starts_no_checkpoint_thread()
    {
        using SqliteTaskStore store = SqliteTaskStore.Open(_folder.File("queue.db"));
        for (int i = 0; i < 20; i++) await store.EnqueueAsync(new EnqueueRequest("t"));
        await store.QueryAsync(new TaskQuery());

        Assert.False(store.Checkpointer.Started);
        Assert.Equal(0, store.Checkpointer.Completed);
    }
}
