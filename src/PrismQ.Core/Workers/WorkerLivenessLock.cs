using System;
using System.IO;
using System.Threading;
using PrismQ.Internal;

namespace PrismQ.Workers;

/// <summary>
/// The OS-level exclusive lock a worker holds on <c>&lt;folder&gt;/&lt;worker id&gt;.lock</c> for its whole life
/// (<see cref="FileShare.None"/>: <c>flock</c> on Unix, a sharing mode on Windows). The operating system frees it
/// when the process dies, however it dies, so a free lock file of a registered worker means its process is gone.
/// Only meaningful on one host: locks on network shares are not to be trusted.
/// </summary>
internal sealed class WorkerLivenessLock : IDisposable
{
    private readonly string _path;
    private FileStream? _stream;

    private WorkerLivenessLock(string path, FileStream stream)
    {
        _path = path;
        _stream = stream;
    }

    /// <summary>The lock file's path.</summary>
    public string Path => _path;

    /// <summary>The lock file of <paramref name="workerId"/> in <paramref name="folder"/>.</summary>
    public static string PathFor(string folder, string workerId) => System.IO.Path.Combine(folder, WorkerIdentity.ToFileName(workerId));

    /// <summary>
    /// Takes the lock for <paramref name="workerId"/>, waiting up to <paramref name="wait"/> while another process
    /// holds it (a sweeper holds a dead worker's lock for a moment). Throws <see cref="PrismQException"/> when a live
    /// worker with the same id holds it. Returns null when the folder or file cannot be used, or when this platform's
    /// file locks do not exclude a second open (then liveness falls back to process ids).
    /// </summary>
    public static WorkerLivenessLock? Acquire(string folder, string workerId, TimeSpan wait, TimeProvider clock)
    {
        string path = PathFor(folder, workerId);
        try
        {
            OwnerOnlyFiles.CreateDirectory(folder); // owner-only on Unix (0700), as the database's own folder
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException)
        {
            return null;
        }

        long start = clock.GetTimestamp();
        while (true)
        {
            FileStream? stream = TryOpenExclusive(path, create: true, out bool held);
            if (stream is not null)
            {
                if (TryOpenExclusive(path, create: false, out _) is { } second)
                {
                    // File locking is off (DOTNET_SYSTEM_IO_DISABLEFILELOCKING, or a file system without locks).
                    second.Dispose();
                    stream.Dispose();
                    TryDelete(path);
                    return null;
                }
                return new WorkerLivenessLock(path, stream);
            }
            if (!held) return null;
            if (clock.GetElapsedTime(start) >= wait)
                throw new PrismQException(PrismQErrorCode.InvalidOption,
                    $"Worker id '{workerId}' is already in use by a running worker on this host (its liveness lock '{path}' is held); give each worker its own id.",
                    nameof(WorkerOptions.WorkerId), workerId);
            Thread.Sleep(20);
        }
    }

    /// <summary>
    /// Opens <paramref name="path"/> exclusively (creating it when <paramref name="create"/>). Null with <paramref name="held"/> true when another handle holds it;
    /// null with <paramref name="held"/> false when it cannot be opened for another reason (missing folder, rights).
    /// </summary>
    public static FileStream? TryOpenExclusive(string path, bool create, out bool held)
    {
        held = false;
        try
        {
            return new FileStream(path, create ? FileMode.OpenOrCreate : FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (UnauthorizedAccessException)
        {
            // On Windows a file being deleted refuses opens with access denied: treat it as held.
            held = File.Exists(path);
            return null;
        }
        catch (IOException) when (File.Exists(path))
        {
            held = true;
            return null;
        }
        catch (Exception e) when (e is IOException || e is ArgumentException || e is NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Deletes the file, ignoring failures (such as another handle open on Windows).</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Releases the lock and deletes the file (deleted while still held where the platform allows it).</summary>
    public void Dispose()
    {
        FileStream? stream = Interlocked.Exchange(ref _stream, null);
        if (stream is null) return;
        TryDelete(_path);   // Unix: unlinked while locked, so nobody can lock the old file in between.
        stream.Dispose();
        TryDelete(_path);   // Windows: an open file cannot be deleted; delete it once closed.
    }
}
