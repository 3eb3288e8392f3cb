using System;
using System.Diagnostics;
using System.Threading;
using Microsoft.Data.Sqlite;

namespace PrismQ.Storage.Sqlite;

/// <summary>Retries an action on SQLITE_BUSY/SQLITE_LOCKED with jittered backoff within <see cref="QueueOptions.BusyTimeout"/> (used while opening).</summary>
internal static class BusyRetry
{
    public static void Run(QueueOptions options, string path, string operation, Action action)
    {
        Stopwatch? clock = null;
        int retries = 0;
        while (true)
        {
            try
            {
                action();
                return;
            }
            catch (SqliteException ex) when (SqliteErrors.IsBusy(ex))
            {
                clock ??= Stopwatch.StartNew();
                retries++;
                if (clock.Elapsed >= options.BusyTimeout) throw SqliteErrors.BusyTimeout(path, operation, options.BusyTimeout, retries, ex);
                options.Tracer.Emit(TraceEventKind.BusyRetry, 0, 0, 0, retries);
                Thread.Sleep(SqliteTaskStore.BusyBackoffMs(retries));
            }
        }
    }
}
