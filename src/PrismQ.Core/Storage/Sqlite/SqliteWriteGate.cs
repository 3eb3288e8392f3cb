using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace PrismQ.Storage.Sqlite;

/// <summary>
/// The host's queue for the write transactions on one database file: every store (any thread, any process of the
/// same login session) takes this named mutex around its write transactions, so a writer that finds another one
/// writing sleeps in the OS and wakes the moment it is done, instead of polling SQLite's lock with sleeps of 1, 2, 5,
/// 10 ms (SQLite's busy handler), which left the database idle between two processes' transactions. It is an
/// optimisation only: SQLite's own locks still decide, so a store that cannot open or enter the gate (another session
/// on Windows, a gate held past the busy timeout) writes without it and meets SQLite's busy handling as before.
/// </summary>
internal sealed class SqliteWriteGate : IDisposable
{
    private readonly Mutex? _mutex;

    private SqliteWriteGate(Mutex? mutex) => _mutex = mutex;

    /// <summary>A gate that is never entered.</summary>
    public static SqliteWriteGate None => new(null);

    /// <summary>The gate of the database at <paramref name="fullPath"/> (a no-op gate when the OS refuses the mutex).</summary>
    public static SqliteWriteGate Open(string fullPath)
    {
        try
        {
            return new SqliteWriteGate(new Mutex(false, NameOf(fullPath)));
        }
        catch (Exception)
        {
            return new SqliteWriteGate(null);
        }
    }

    /// <summary>The mutex name: a hash of the path (case-folded on Windows), so every store of the file finds the same one.</summary>
    internal static string NameOf(string fullPath)
    {
        string key = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? fullPath.ToUpperInvariant() : fullPath;
        using SHA256 sha = SHA256.Create();
        byte[] hash = sha.ComputeHash(Encoding.UTF8.GetBytes(key));
        var name = new StringBuilder("PrismQ.write.", 13 + 32);
        for (int i = 0; i < 16; i++) name.Append(hash[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return name.ToString();
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the gate; false when it was not entered (write without it).</summary>
    public bool Enter(TimeSpan timeout)
    {
        if (_mutex is null) return false;
        try
        {
            return _mutex.WaitOne(timeout);
        }
        catch (AbandonedMutexException)
        {
            return true; // its last holder died holding it: SQLite rolled its transaction back, and the gate is ours
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>Leaves the gate (after a successful <see cref="Enter"/>, on the same thread).</summary>
    public void Exit() => _mutex?.ReleaseMutex();

    public void Dispose() => _mutex?.Dispose();
}
