using System;
using System.Threading;
using Microsoft.Data.Sqlite;
using PrismQ.Internal;

namespace PrismQ.Storage.Sqlite;

/// <summary>
/// Copies the WAL back into the database on a thread of its own, so that no claim, completion or enqueue waits for a
/// checkpoint. SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that commit then
/// writes every page the WAL holds back into the database file and syncs it, which costs milliseconds, and more when
/// the pages are scattered (Weighted Random claims at a large backlog). Here the store counts the pages its own commits
/// write to the WAL (<c>SQLITE_DBSTATUS_CACHE_WRITE</c>) and, every <see cref="PagesPerCheckpoint"/> pages, wakes this
/// thread, which runs <c>PRAGMA wal_checkpoint(PASSIVE)</c> on a second connection. A passive checkpoint waits for no
/// reader or writer: the store's transactions go on while it copies. The connection's own automatic checkpoint stays
/// on, at <see cref="BackstopPages"/>: for when this thread cannot keep up, and to start the WAL over under writes that
/// never pause (see <see cref="CatchUp"/>).
/// </summary>
/// <remarks>
/// The thread and its connection start at the first checkpoint, so a store that writes little never starts them.
/// <see cref="Dispose"/> stops the thread and waits for it; a checkpoint under way is finished first.
/// </remarks>
internal sealed class WalCheckpointer : IDisposable
{
    /// <summary>Pages written to the WAL by this store between two checkpoints (about 4 MiB at 4 KiB pages).</summary>
    public const int PagesPerCheckpoint = 1000;

    /// <summary>
    /// The store connection's <c>wal_autocheckpoint</c> (about 40 MiB): the checkpoint SQLite runs itself, inside a
    /// commit, when this thread falls behind or writes never pause long enough for the WAL to start over.
    /// </summary>
    public const int BackstopPages = 10 * PagesPerCheckpoint;

    /// <summary>The most passive checkpoints one request runs to catch up with the writers.</summary>
    private const int MaxPasses = 3;

    private readonly SqliteConnection _writer;
    private readonly string _path;
    private readonly Durability _durability;
    private readonly object _gate = new();
    private Thread? _thread;
    private bool _requested;
    private bool _stopping;
    private long _pagesSinceCheckpoint;
    private long _completed;

    public WalCheckpointer(SqliteConnection writer, string path, Durability durability)
    {
        _writer = writer;
        _path = path;
        _durability = durability;
    }

    /// <summary>True once the thread has been started (at the first checkpoint request).</summary>
    public bool Started
    {
        get
        {
            lock (_gate) return _thread is not null;
        }
    }

    /// <summary>Checkpoints this thread has finished (for tests and diagnostics).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>The last error a checkpoint met other than a lock held elsewhere (it is tried again at the next one), or null.</summary>
    public Exception? LastError { get; private set; }

    /// <summary>Raised on the checkpoint thread after each request it handled, whether the checkpoint ran, met another one or failed (for tests).</summary>
    public event Action? CheckpointFinished;

    /// <summary>
    /// Called by the store after each unit of work, under the store lock: adds the pages the writer connection wrote to
    /// the WAL since the last call, and wakes the thread when they reach <see cref="PagesPerCheckpoint"/>.
    /// </summary>
    public void AfterWork()
    {
        SQLitePCL.raw.sqlite3_db_status(_writer.Handle, SQLitePCL.raw.SQLITE_DBSTATUS_CACHE_WRITE, out int written, out _, 1);
        _pagesSinceCheckpoint += written;
        if (_pagesSinceCheckpoint < PagesPerCheckpoint) return;
        _pagesSinceCheckpoint = 0;
        Request();
    }

    /// <summary>Asks for one checkpoint as soon as the thread is free (requests made while one runs are merged).</summary>
    public void Request()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _requested = true;
            if (_thread is null)
            {
                _thread = new Thread(Loop) { IsBackground = true, Name = "PrismQ WAL checkpoint" };
                _thread.Start();
            }
            Monitor.Pulse(_gate);
        }
    }

    public void Dispose()
    {
        Thread? thread;
        lock (_gate)
        {
            _stopping = true;
            thread = _thread;
            Monitor.Pulse(_gate);
        }
        thread?.Join();
    }

    private void Loop()
    {
        SqliteConnection? connection = null;
        try
        {
            while (true)
            {
                lock (_gate)
                {
                    while (!_requested && !_stopping) Monitor.Wait(_gate);
                    if (_stopping) return;
                    _requested = false;
                }
                try
                {
                    connection ??= Open();
                    CatchUp(connection);
                    Interlocked.Increment(ref _completed);
                }
                catch (SqliteException ex) when (SqliteErrors.IsBusy(ex))
                {
                    // The file was locked while the connection opened (a recovery under way): the next request retries.
                }
                catch (Exception ex)
                {
                    // Nothing may escape a background thread (it would end the process); the next request retries on a
                    // new connection, and SQLite's automatic checkpoint still bounds the WAL meanwhile.
                    LastError = ex;
                    connection?.Dispose();
                    connection = null;
                }
                CheckpointFinished?.Invoke();
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    /// <summary>
    /// Runs passive checkpoints until one has copied every frame in the WAL, at most <see cref="MaxPasses"/>. Commits
    /// made while a checkpoint copies leave frames behind it; SQLite starts the WAL over from its beginning only when a
    /// writer begins after a checkpoint that copied them all, which a second, short pass makes likely whenever the
    /// writers pause. Under writes that never pause the WAL grows to the backstop instead, and SQLite's own checkpoint
    /// (in a commit, with little left to copy) starts it over.
    /// </summary>
    private static void CatchUp(SqliteConnection connection)
    {
        for (int pass = 0; pass < MaxPasses; pass++)
        {
            // Busy: another connection's checkpoint was in the way, and that one copies the pages.
            (bool busy, long frames, long copied) = SqliteCommands.WalCheckpoint(connection, "PASSIVE", timeoutSeconds: 1);
            if (busy || copied >= frames) return;
        }
    }

    private SqliteConnection Open()
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = _path, Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            // The checkpoint syncs the WAL before it copies and the database after, as the store's own would.
            SqliteCommands.Execute(connection, _durability == Durability.Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", timeoutSeconds: 1);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
