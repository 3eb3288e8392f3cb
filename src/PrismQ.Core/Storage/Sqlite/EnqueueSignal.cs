using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace PrismQ.Storage.Sqlite;

/// <summary>
/// The in-process wake-up of idle workers: a store raises it after committing an enqueue (or a retry) to a database
/// file, and every worker of this process on that file claims at once instead of waiting for its next poll.
/// Workers of other processes (and other connections of this one) learn of it through
/// <see cref="DatabaseChangeWatcher"/>, within about 20 ms.
/// </summary>
internal static class EnqueueSignal
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, List<Action>> Subscribers = new(StringComparer.Ordinal);
    private static int _count;

    /// <summary>Wakes the workers of this process that run on <paramref name="databasePath"/>. Cheap when there are none.</summary>
    public static void Raise(string? databasePath)
    {
        if (Volatile.Read(ref _count) == 0 || databasePath is null) return;
        Action[] actions;
        lock (Gate)
        {
            if (!Subscribers.TryGetValue(Key(databasePath), out List<Action>? list)) return;
            actions = list.ToArray();
        }
        foreach (Action action in actions) action();
    }

    /// <summary>Calls <paramref name="wake"/> on each <see cref="Raise"/> for the path, until the result is disposed.</summary>
    public static IDisposable Subscribe(string databasePath, Action wake)
    {
        string key = Key(databasePath);
        lock (Gate)
        {
            if (!Subscribers.TryGetValue(key, out List<Action>? list)) Subscribers[key] = list = new List<Action>();
            list.Add(wake);
            _count++;
        }
        return new Subscription(key, wake);
    }

    private static string Key(string path)
    {
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception)
        {
            full = path;
        }
        return RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? full.ToUpperInvariant() : full;
    }

    private sealed class Subscription : IDisposable
    {
        private readonly string _key;
        private Action? _wake;

        public Subscription(string key, Action wake)
        {
            _key = key;
            _wake = wake;
        }

        public void Dispose()
        {
            Action? wake = Interlocked.Exchange(ref _wake, null);
            if (wake is null) return;
            lock (Gate)
            {
                if (!Subscribers.TryGetValue(_key, out List<Action>? list)) return;
                list.Remove(wake);
                _count--;
                if (list.Count == 0) Subscribers.Remove(_key);
            }
        }
    }
}
