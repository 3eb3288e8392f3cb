using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace PrismQ.Storage.Sqlite;

/// <summary>
/// Tells this process when another connection has committed to a database file: another process, or another
/// connection of this process (a second store on the same file). It is the cross-process counterpart of
/// <see cref="EnqueueSignal"/>: an idle worker subscribes and claims at once when the file changes, instead of
/// waiting for its next poll.
/// </summary>
/// <remarks>
/// <para>
/// How: one read-only connection per file and process, and one background thread that runs a prepared
/// <c>PRAGMA data_version</c> every <see cref="PollInterval"/> (20 ms). SQLite changes that value on a connection whenever
/// another connection has committed since the last read, and reading it looks only at the WAL index in shared memory
/// (and the cached page 1): no table is read and no lock is kept between reads. When the value changes, every
/// subscriber is called once, however many commits there were. A commit that writes nothing (a claim that found no
/// task) does not change the value; every commit that writes does, so subscribers must treat a call as a hint ("look
/// again"), not as "a task was enqueued".
/// </para>
/// <para>
/// Sharing: <see cref="Subscribe"/> keys watchers by full path, as <see cref="EnqueueSignal"/> does (case-blind
/// on Windows). The first subscription opens the connection, reads the first value and starts the thread before it
/// returns, so any commit after <see cref="Subscribe"/> returns is seen; later subscriptions share that watcher. The
/// last <see cref="IDisposable.Dispose"/> stops the thread, waits for it and closes the connection.
/// </para>
/// <para>
/// Callbacks run on the watcher's thread, one after another: they must be short (set an event, release a semaphore). An
/// exception from one is swallowed. Disposing a subscription from inside a callback is allowed (the thread is then not
/// waited for; it ends after the callbacks return).
/// </para>
/// <para>
/// Errors: a read that meets a lock (<c>SQLITE_BUSY</c>, a WAL recovery under way) is retried at the next poll on the
/// same connection; any other error (the file was missing or replaced, an I/O error, the file briefly locked on Windows
/// by a virus scanner) closes the connection, and the next poll opens a new one. Consecutive failures double the wait,
/// up to <see cref="MaxErrorInterval"/> (the worker's own poll bound). A new connection counts
/// <c>data_version</c> afresh, so commits made while none was open cannot be known: subscribers are called once when a
/// connection opens after a failure. The thread never ends on an exception.
/// </para>
/// <para>
/// Closing order: while the watcher's connection is open, a store's close is not the last one on the file, so it
/// does not checkpoint the WAL away and delete it (a read-only connection that closes last cannot do it either; the
/// next open recovers the WAL as usual). Dispose subscriptions before the store when the WAL should be removed.
/// </para>
/// <para>
/// Windows: the connection is read-only and SQLite opens the file sharing reads and writes with every other handle, so
/// it does not get in the way of stores in this or other processes (only deleting the file while it is open fails, as
/// with any SQLite connection). The sleep between polls ends on a system timer tick there (15.6 ms by default), so
/// 20 ms lasts about two ticks (31 ms) unless a process raised the timer resolution: inside the 50 ms budget, but with
/// less room for the claim (not measured on Windows).
/// </para>
/// </remarks>
internal sealed class DatabaseChangeWatcher
{
    /// <summary>
    /// Time between two reads of <c>data_version</c>: 20 ms. The budget is 50 ms from a commit in another process to
    /// the start of its task, with well under 1 % of a core while idle. The read itself is cheap (about 6 µs of CPU in
    /// a loop), but an idle poller pays mostly for its wake-ups: on a loaded 2-core machine, a thread that only sleeps
    /// 10 ms in a loop used about 0.6 % of a core, and the watcher at 10 ms 0.9 to 1.2 % (100 to 130 µs per poll with
    /// cold caches; p99 commit-to-callback 11 to 16 ms). At 20 ms the watcher used 0.4 to 0.7 %, and a commit reached
    /// the callback in 10 to 12 ms (p50) and 23 to 30 ms (p99), which leaves the claim its share of the 50 ms. Measured by
    /// <c>dotnet run -c Release --project tests/PrismQ.Benchmarks -- wake-report</c>.
    /// </summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(PollIntervalMs);

    /// <summary>The longest wait between two attempts after consecutive failures (the worker's own poll bound).</summary>
    internal static readonly TimeSpan MaxErrorInterval = TimeSpan.FromSeconds(1);

    /// <summary>The name of every watcher thread.</summary>
    internal const string ThreadName = "PrismQ change watcher";

    private const int PollIntervalMs = 20;

    private static readonly object Registry = new();
    private static readonly Dictionary<string, DatabaseChangeWatcher> Watchers = new(StringComparer.Ordinal);
    private static int _live;

    private readonly string _path;
    private readonly int _busyTimeoutMs;

    // Guards the start and the stop of the thread.
    private readonly object _gate = new();

    // Under Registry: the subscriptions that hold this watcher. The array is replaced, never changed, so the thread
    // reads it without the lock.
    private int _references;
    private Action[] _subscribers = Array.Empty<Action>();

    private Thread? _thread;
    private bool _stopping;
    private bool _stopped;

    // Owned by whichever thread polls: the subscriber that starts the watcher, then the watcher thread.
    private SqliteConnection? _connection;
    private sqlite3_stmt? _read;
    private long _version;
    private int _failures;

    private long _polls;
    private long _changes;

    private DatabaseChangeWatcher(string path, int busyTimeoutMs)
    {
        _path = path;
        _busyTimeoutMs = busyTimeoutMs;
    }

    /// <summary>
    /// Watchers started and not yet stopped in this process (each holds a thread and, when it could open it, a
    /// connection), for tests and diagnostics.
    /// </summary>
    internal static int LiveWatchers => Volatile.Read(ref _live);

    /// <summary>The full path of the watched file.</summary>
    internal string DatabasePath => _path;

    /// <summary>Reads of <c>data_version</c> attempted so far (also failed ones), for tests and diagnostics.</summary>
    internal long Polls => Interlocked.Read(ref _polls);

    /// <summary>Times the subscribers were called (changes seen, and opens after a failure).</summary>
    internal long Changes => Interlocked.Read(ref _changes);

    /// <summary>True while the connection is open.</summary>
    internal bool ConnectionOpen => Volatile.Read(ref _connection) is not null;

    /// <summary>The watcher's thread once started (for tests: it is not alive after the last dispose).</summary>
    internal Thread? WatcherThread
    {
        get
        {
            lock (_gate) return _thread;
        }
    }

    /// <summary>True once the last subscription was disposed and the thread has ended (or was never started).</summary>
    internal bool Stopped => Volatile.Read(ref _stopped);

    /// <summary>The last error a read, an open or a callback met (each is retried or ignored), or null.</summary>
    internal Exception? LastError { get; private set; }

    /// <summary>
    /// Calls <paramref name="onChange"/> (on the watcher's thread) each time another connection has committed to
    /// <paramref name="databasePath"/>, until the result is disposed. Commits made after this returns are seen (within
    /// about <see cref="PollInterval"/>); several commits between two reads make one call. Never throws for the
    /// database: a file that cannot be opened yet is retried in the background.
    /// </summary>
    public static IDisposable Subscribe(string databasePath, Action onChange)
    {
        if (databasePath is null) throw new ArgumentNullException(nameof(databasePath));
        if (onChange is null) throw new ArgumentNullException(nameof(onChange));
        string full = FullPath(databasePath);
        string key = Key(full);
        DatabaseChangeWatcher? watcher;
        lock (Registry)
        {
            if (!Watchers.TryGetValue(key, out watcher))
            {
                // The store's SQLite busy wait at default options (QueueOptions is per store; the watcher is per file).
                int busyMs = (int)SqliteDatabaseOpener.SqliteBusyTimeout(new QueueOptions()).TotalMilliseconds;
                watcher = new DatabaseChangeWatcher(full, busyMs);
                Watchers[key] = watcher;
                Interlocked.Increment(ref _live);
            }
            watcher._references++;
            var subscribers = new Action[watcher._subscribers.Length + 1];
            Array.Copy(watcher._subscribers, subscribers, watcher._subscribers.Length);
            subscribers[subscribers.Length - 1] = onChange;
            Volatile.Write(ref watcher._subscribers, subscribers);
        }
        // Outside the registry lock (opening may wait for a lock on the file); every subscriber waits here until the
        // first value has been read, so none returns before its commits can be seen.
        watcher.Start();
        return new Subscription(watcher, key, onChange);
    }

    /// <summary>The running watcher of <paramref name="databasePath"/> in this process, or null (for tests and diagnostics).</summary>
    internal static DatabaseChangeWatcher? Find(string databasePath)
    {
        string key = Key(FullPath(databasePath));
        lock (Registry) return Watchers.TryGetValue(key, out DatabaseChangeWatcher? watcher) ? watcher : null;
    }

    private static string FullPath(string path)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception)
        {
            return path;
        }
    }

    // The same key as EnqueueSignal's: the full path, upper-cased on Windows where paths are case-blind.
    private static string Key(string full) => RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? full.ToUpperInvariant() : full;

    private void Start()
    {
        lock (_gate)
        {
            if (_thread is not null || _stopping) return;
            // The first value is read here, on the subscriber's thread; a failure is left to the thread's polls.
            TryOpen();
            _thread = new Thread(Loop) { IsBackground = true, Name = ThreadName };
            _thread.Start();
        }
    }

    private void Unsubscribe(string key, Action onChange)
    {
        bool last;
        lock (Registry)
        {
            int index = Array.IndexOf(_subscribers, onChange);
            if (index >= 0)
            {
                var subscribers = new Action[_subscribers.Length - 1];
                Array.Copy(_subscribers, 0, subscribers, 0, index);
                Array.Copy(_subscribers, index + 1, subscribers, index, _subscribers.Length - index - 1);
                Volatile.Write(ref _subscribers, subscribers);
            }
            last = --_references == 0;
            if (last && Watchers.TryGetValue(key, out DatabaseChangeWatcher? current) && ReferenceEquals(current, this)) Watchers.Remove(key);
        }
        // Outside the registry lock: a callback running now may subscribe (to this file, which then gets a new watcher).
        if (last) Stop();
    }

    private void Stop()
    {
        Thread? thread;
        lock (_gate)
        {
            Volatile.Write(ref _stopping, true);
            thread = _thread;
        }
        if (thread is null)
        {
            // Never started (cannot happen while a subscriber holds it, kept for safety): nothing but the connection.
            Finish();
            return;
        }
        // The thread sees the flag within one PollInterval. From a callback on the thread itself: it ends (and closes
        // the connection) once the callbacks return.
        if (thread != Thread.CurrentThread) thread.Join();
    }

    private void Loop()
    {
        try
        {
            while (true)
            {
                // Thread.Sleep, not Monitor.Wait or an event with a timeout: the cheapest wake-up, and the idle cost is
                // mostly the wake-ups. A stop is seen at the next one (Dispose waits at most that long).
                for (int waited = 0, wait = WaitMs(); waited < wait; waited += PollIntervalMs)
                {
                    Thread.Sleep(PollIntervalMs);
                    if (Volatile.Read(ref _stopping)) return;
                }
                Poll();
            }
        }
        finally
        {
            Finish();
        }
    }

    /// <summary>The poll interval, doubled for each failure after the first in a row, up to <see cref="MaxErrorInterval"/>.</summary>
    private int WaitMs()
    {
        if (_failures <= 1) return PollIntervalMs;
        long wait = (long)PollIntervalMs << Math.Min(_failures - 1, 16);
        return (int)Math.Min(wait, (long)MaxErrorInterval.TotalMilliseconds);
    }

    private void Poll()
    {
        Interlocked.Increment(ref _polls);
        try
        {
            if (_connection is null)
            {
                if (!TryOpen()) return;
                // A new connection counts afresh: commits made while none was open are unknown, so look again.
                Notify();
                return;
            }
            long version = Read();
            _failures = 0;
            if (version == _version) return;
            _version = version;
            Notify();
        }
        catch (Exception ex)
        {
            // Nothing may escape a background thread (it would end the process).
            Failed(ex);
        }
    }

    /// <summary>Opens the connection and reads the first value; false (and the connection closed) on failure.</summary>
    private bool TryOpen()
    {
        SqliteConnection? connection = null;
        sqlite3_stmt? read = null;
        try
        {
            var builder = new SqliteConnectionStringBuilder
            {
                DataSource = _path,
                Mode = SqliteOpenMode.ReadOnly,
                Pooling = false,
                DefaultTimeout = 1,
            };
            connection = new SqliteConnection(builder.ToString());
            connection.Open();
            using (SqliteCommand busy = connection.CreateCommand())
            {
                busy.CommandText = "PRAGMA busy_timeout = " + _busyTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture);
                busy.ExecuteNonQuery();
            }
            // Prepared once and stepped through SQLitePCL directly: no reader, no allocation, no exception per read.
            int rc = raw.sqlite3_prepare_v2(connection.Handle, "PRAGMA data_version", out read);
            if (rc != raw.SQLITE_OK) throw new SqliteException(raw.sqlite3_errmsg(connection.Handle).utf8_to_string(), rc);
            _read = read;
            _version = Read();
            Volatile.Write(ref _connection, connection);
            _failures = 0;
            return true;
        }
        catch (Exception ex)
        {
            _read = null;
            read?.Dispose();
            connection?.Dispose();
            LastError = ex;
            _failures++;
            return false;
        }
    }

    /// <summary>One read of <c>data_version</c>; throws <see cref="SqliteException"/> with SQLite's code when the step fails.</summary>
    private long Read()
    {
        sqlite3_stmt statement = _read!;
        int rc = raw.sqlite3_step(statement);
        long version = rc == raw.SQLITE_ROW ? raw.sqlite3_column_int64(statement, 0) : 0;
        int reset = raw.sqlite3_reset(statement);
        if (rc != raw.SQLITE_ROW) throw new SqliteException($"PRAGMA data_version failed (SQLite error {rc}, reset {reset}).", rc);
        return version;
    }

    private void Failed(Exception ex)
    {
        LastError = ex;
        _failures++;
        // A lock held elsewhere passes: keep the connection and read again. Anything else: start over on a new one.
        if (ex is SqliteException sqlite && SqliteErrors.IsBusy(sqlite)) return;
        CloseConnection();
    }

    private void Notify()
    {
        Interlocked.Increment(ref _changes);
        foreach (Action subscriber in Volatile.Read(ref _subscribers))
        {
            try
            {
                subscriber();
            }
            catch (Exception ex)
            {
                LastError = ex;
            }
        }
    }

    private void CloseConnection()
    {
        try
        {
            _read?.Dispose();
            _connection?.Dispose();
        }
        catch (Exception ex)
        {
            LastError = ex;
        }
        _read = null;
        Volatile.Write(ref _connection, null);
    }

    private void Finish()
    {
        CloseConnection();
        lock (_gate)
        {
            if (_stopped) return;
            _stopped = true;
        }
        Interlocked.Decrement(ref _live);
    }

    private sealed class Subscription : IDisposable
    {
        private readonly string _key;
        private DatabaseChangeWatcher? _watcher;
        private readonly Action _onChange;

        public Subscription(DatabaseChangeWatcher watcher, string key, Action onChange)
        {
            _watcher = watcher;
            _key = key;
            _onChange = onChange;
        }

        public void Dispose() => Interlocked.Exchange(ref _watcher, null)?.Unsubscribe(_key, _onChange);
    }
}
