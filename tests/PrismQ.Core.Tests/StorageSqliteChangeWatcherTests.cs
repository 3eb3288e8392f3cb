using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Storage.Sqlite;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>
/// <see cref="DatabaseChangeWatcher"/>: commits by other connections and other processes call the subscribers, nothing
/// calls them while nothing commits, subscribers of one file share one watcher, and the last dispose stops it.
/// No test measures time: each waits for an event with a generous timeout, or counts polls.
/// </summary>
public sealed class StorageSqliteChangeWatcherTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string NewDatabase()
    {
        string db = _folder.File("queue.db");
        SqliteTaskStore.Open(db).Dispose();
        return db;
    }

    private static DatabaseChangeWatcher Watcher(string db) =>
        DatabaseChangeWatcher.Find(db) ?? throw new InvalidOperationException("no watcher runs for " + db);

    /// <summary>Waits (without measuring) until the watcher has made <paramref name="polls"/> more reads.</summary>
    private static void WaitForPolls(DatabaseChangeWatcher watcher, int polls)
    {
        long target = watcher.Polls + polls;
        Assert.True(SpinWait.SpinUntil(() => watcher.Polls >= target, Generous), $"the watcher made fewer than {polls} reads within {Generous}");
    }

    [Fact]
    public async Task A_commit_by_another_connection_of_this_process_calls_the_subscriber()
    {
        string db = NewDatabase();
        using SqliteTaskStore first = SqliteTaskStore.Open(db);
        using SqliteTaskStore second = SqliteTaskStore.Open(db);
        using var called = new ManualResetEventSlim();
        string? threadName = null;
        using (DatabaseChangeWatcher.Subscribe(db, () =>
               {
                   threadName = Thread.CurrentThread.Name;
                   called.Set();
               }))
        {
            await second.EnqueueAsync(new EnqueueRequest("t"));

            Assert.True(called.Wait(Generous), "an enqueue by a second store on the file did not call the subscriber");
            Assert.Equal(DatabaseChangeWatcher.ThreadName, threadName);
            Assert.True(Watcher(db).Changes >= 1);

            // Each commit after a call is seen again, whichever connection makes it.
            called.Reset();
            await first.EnqueueAsync(new EnqueueRequest("t"));
            Assert.True(called.Wait(Generous), "an enqueue by the first store did not call the subscriber");
        }
    }

    [Fact]
    public async Task A_commit_by_a_child_process_calls_the_subscriber()
    {
        string db = NewDatabase();
        using var called = new ManualResetEventSlim();
        using (DatabaseChangeWatcher.Subscribe(db, called.Set))
        {
            using Process child = StorageTestHost.Start("enqueue-keys", db, "child-", "1");
            Assert.True(called.Wait(Generous), "an enqueue by a child process did not call the subscriber");
            (int exit, string output, string error) = await StorageTestHost.WaitAsync(child, Generous);
            Assert.True(exit == 0, error);
            Assert.Equal("1", output.Trim());
        }

        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        Assert.Single(await store.QueryAsync(new TaskQuery()));
    }

    [Fact]
    public async Task Nothing_committed_means_no_call_over_30_polls()
    {
        string db = NewDatabase();
        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        await store.EnqueueAsync(new EnqueueRequest("t")); // before subscribing: part of the first value read
        int calls = 0;
        using (DatabaseChangeWatcher.Subscribe(db, () => Interlocked.Increment(ref calls)))
        {
            DatabaseChangeWatcher watcher = Watcher(db);
            // Reading, by the store's connection, changes nothing either.
            Assert.Single(await store.QueryAsync(new TaskQuery()));
            WaitForPolls(watcher, 30);

            Assert.Equal(0, Volatile.Read(ref calls));
            Assert.Equal(0, watcher.Changes);
            Assert.True(watcher.ConnectionOpen);
            Assert.Null(watcher.LastError);
        }
    }

    [Fact]
    public async Task Two_subscribers_share_one_watcher_and_the_last_dispose_stops_its_thread_and_closes_its_connection()
    {
        string db = NewDatabase();
        SqliteTaskStore store = SqliteTaskStore.Open(db);
        using var firstCalled = new ManualResetEventSlim();
        using var secondCalled = new ManualResetEventSlim();
        IDisposable first = DatabaseChangeWatcher.Subscribe(db, firstCalled.Set);
        // The same file, spelled another way.
        string otherSpelling = Path.Combine(_folder.Path, "sub", "..", "queue.db");
        IDisposable second = DatabaseChangeWatcher.Subscribe(otherSpelling, secondCalled.Set);

        DatabaseChangeWatcher watcher = Watcher(db);
        Assert.Same(watcher, DatabaseChangeWatcher.Find(otherSpelling));
        Assert.True(DatabaseChangeWatcher.LiveWatchers >= 1);
        Thread thread = watcher.WatcherThread!;
        Assert.True(thread.IsAlive);
        Assert.True(thread.IsBackground);
        Assert.Equal(DatabaseChangeWatcher.ThreadName, thread.Name);

        await store.EnqueueAsync(new EnqueueRequest("t"));
        Assert.True(firstCalled.Wait(Generous), "the first subscriber was not called");
        Assert.True(secondCalled.Wait(Generous), "the second subscriber was not called");

        // One subscription left: the watcher goes on, for it alone.
        first.Dispose();
        first.Dispose(); // twice does nothing
        Assert.Same(watcher, DatabaseChangeWatcher.Find(db));
        Assert.True(thread.IsAlive);
        Assert.True(watcher.ConnectionOpen);
        firstCalled.Reset();
        secondCalled.Reset();
        await store.EnqueueAsync(new EnqueueRequest("t"));
        Assert.True(secondCalled.Wait(Generous), "the remaining subscriber was not called");
        Assert.False(firstCalled.IsSet, "a disposed subscription was called");

        // The last one: Dispose returns after the thread has ended and the connection is closed.
        second.Dispose();
        Assert.False(thread.IsAlive, "Dispose returned before the watcher thread ended");
        Assert.True(watcher.Stopped);
        Assert.False(watcher.ConnectionOpen);
        Assert.Null(DatabaseChangeWatcher.Find(db));

        // No connection of the watcher is left on the file: the store's close is the last one, and removes the WAL.
        store.Dispose();
        Assert.False(File.Exists(db + "-wal"), "the WAL was left behind: the watcher's connection was still open");
        File.Delete(db);
        Assert.False(File.Exists(db));

        // A new subscription starts a new watcher.
        using (DatabaseChangeWatcher.Subscribe(db, () => { }))
        {
            Assert.NotSame(watcher, Watcher(db));
        }
    }

    [Fact]
    public async Task A_file_that_does_not_exist_yet_is_watched_once_it_does()
    {
        string db = _folder.File("later.db");
        using var called = new ManualResetEventSlim();
        using (DatabaseChangeWatcher.Subscribe(db, called.Set))
        {
            DatabaseChangeWatcher watcher = Watcher(db);
            WaitForPolls(watcher, 3);
            Assert.False(watcher.ConnectionOpen);
            Assert.NotNull(watcher.LastError);
            Assert.True(watcher.WatcherThread!.IsAlive, "a failed open ended the watcher thread");

            using SqliteTaskStore store = SqliteTaskStore.Open(db);
            await store.EnqueueAsync(new EnqueueRequest("t"));
            Assert.True(called.Wait(Generous), "the subscriber was not called once the file existed and had a commit");
            Assert.True(SpinWait.SpinUntil(() => watcher.ConnectionOpen, Generous), "the watcher did not open the file");
        }
    }

    [Fact]
    public async Task A_subscriber_that_throws_or_disposes_itself_does_not_stop_the_others()
    {
        string db = NewDatabase();
        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        using var called = new ManualResetEventSlim();
        using var selfDisposed = new ManualResetEventSlim();
        IDisposable? self = null;
        using IDisposable thrower = DatabaseChangeWatcher.Subscribe(db, () => throw new InvalidOperationException("subscriber failure"));
        self = DatabaseChangeWatcher.Subscribe(db, () =>
        {
            Volatile.Read(ref self)?.Dispose();
            selfDisposed.Set();
        });
        using IDisposable counted = DatabaseChangeWatcher.Subscribe(db, called.Set);

        await store.EnqueueAsync(new EnqueueRequest("t"));
        Assert.True(called.Wait(Generous), "the subscriber after a throwing one was not called");
        Assert.True(selfDisposed.Wait(Generous), "the self-disposing subscriber was not called");

        called.Reset();
        await store.EnqueueAsync(new EnqueueRequest("t"));
        Assert.True(called.Wait(Generous), "the watcher stopped after a subscriber threw");
        Assert.IsType<InvalidOperationException>(Watcher(db).LastError);
    }

    [Fact]
    public async Task The_last_dispose_from_inside_a_callback_ends_the_thread_without_waiting_for_itself()
    {
        string db = NewDatabase();
        using SqliteTaskStore store = SqliteTaskStore.Open(db);
        using var disposed = new ManualResetEventSlim();
        IDisposable? subscription = null;
        subscription = DatabaseChangeWatcher.Subscribe(db, () =>
        {
            Volatile.Read(ref subscription)!.Dispose();
            disposed.Set();
        });
        DatabaseChangeWatcher watcher = Watcher(db);
        Thread thread = watcher.WatcherThread!;

        await store.EnqueueAsync(new EnqueueRequest("t"));
        Assert.True(disposed.Wait(Generous), "the subscriber was not called");
        Assert.True(thread.Join(Generous), "the watcher thread did not end after its last subscription was disposed from a callback");
        Assert.True(watcher.Stopped);
        Assert.False(watcher.ConnectionOpen);
        Assert.Null(DatabaseChangeWatcher.Find(db));
    }
}
