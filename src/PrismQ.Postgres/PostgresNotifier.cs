using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;

namespace PrismQ.Postgres;

/// <summary>
/// The new-work notifier of one store: a dedicated connection (outside the pool) that runs <c>LISTEN</c> on the
/// schema's channel and calls every subscriber on each notification (the payload, a queue name, is not needed: a wake
/// makes a worker claim). Started by the first subscription, stopped when the last one is disposed or the store is.
/// When the connection drops it reconnects with backoff (0.1 s doubling to 30 s); notifications sent meanwhile are
/// lost, so subscribers are also woken once after each reconnect, and workers keep polling anyway.
/// </summary>
/// <remarks>
/// LISTEN needs a session of its own: behind PgBouncer in transaction mode, point this store at a direct or
/// session-mode address for notifications to arrive (claims still work by polling without them).
/// </remarks>
internal sealed class PostgresNotifier : IDisposable
{
    private readonly object _gate = new();
    private readonly PostgresConnectionInfo _info;
    private readonly string _channel;
    private readonly List<Action> _subscribers = new();
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private bool _disposed;
    private int _connects;

    public PostgresNotifier(PostgresConnectionInfo info, string channel)
    {
        _info = info;
        _channel = channel;
    }

    /// <summary>How many times the listening connection has (re)connected and run LISTEN (for tests and diagnostics).</summary>
    public int Connects => Volatile.Read(ref _connects);

    /// <summary>Adds a subscriber; disposing the result removes it.</summary>
    public IDisposable Subscribe(Action wake)
    {
        if (wake is null) throw new PrismQException(PrismQErrorCode.InvalidArgument, "wake is null; it must be an action.", nameof(wake));
        lock (_gate)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(PostgresTaskStore));
            _subscribers.Add(wake);
            if (_loop is null)
            {
                _stop = new CancellationTokenSource();
                CancellationToken token = _stop.Token;
                _loop = Task.Run(() => ListenLoopAsync(token));
            }
        }
        return new Subscription(this, wake);
    }

    private void Unsubscribe(Action wake)
    {
        Task? loop = null;
        CancellationTokenSource? stop = null;
        lock (_gate)
        {
            _subscribers.Remove(wake);
            if (_subscribers.Count == 0 && _loop is not null)
            {
                (loop, stop) = (_loop, _stop);
                _loop = null;
                _stop = null;
            }
        }
        Stop(loop, stop);
    }

    public void Dispose()
    {
        Task? loop;
        CancellationTokenSource? stop;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _subscribers.Clear();
            (loop, stop) = (_loop, _stop);
            _loop = null;
            _stop = null;
        }
        Stop(loop, stop);
    }

    /// <summary>Cancels the loop and waits (a little) for it to close its connection.</summary>
    private static void Stop(Task? loop, CancellationTokenSource? stop)
    {
        if (stop is null) return;
        stop.Cancel();
        try
        {
            loop?.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
            // The loop ends by cancellation.
        }
        stop.Dispose();
    }

    private void WakeAll()
    {
        Action[] subscribers;
        lock (_gate) subscribers = _subscribers.ToArray();
        foreach (Action wake in subscribers)
        {
            try
            {
                wake();
            }
            catch (Exception)
            {
                // A subscriber must not throw; one that does must not stop the others or the listener.
            }
        }
    }

    private async Task ListenLoopAsync(CancellationToken stop)
    {
        var builder = new NpgsqlConnectionStringBuilder(_info.Builder.ConnectionString)
        {
            Pooling = false,
            ApplicationName = (_info.Builder.ApplicationName ?? "PrismQ") + " listener",
            // Npgsql sends a keepalive query when idle, so a dead server is noticed while waiting.
            KeepAlive = 30,
        };
        TimeSpan backoff = TimeSpan.FromMilliseconds(100);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(builder.ConnectionString);
                await connection.OpenAsync(stop).ConfigureAwait(false);
                connection.Notification += (_, _) => WakeAll();
                await using (var listen = new NpgsqlCommand("LISTEN \"" + _channel + "\"", connection))
                    await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                if (Interlocked.Increment(ref _connects) > 1) WakeAll(); // notifications may have been missed while away
                backoff = TimeSpan.FromMilliseconds(100);
                while (!stop.IsCancellationRequested) await connection.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // Dropped, unreachable, or anything else: try again after the backoff (the workers poll meanwhile).
            }
            try
            {
                await Task.Delay(backoff, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            backoff = TimeSpan.FromMilliseconds(Math.Min(30_000, backoff.TotalMilliseconds * 2));
        }
    }

    private sealed class Subscription : IDisposable
    {
        private PostgresNotifier? _owner;
        private readonly Action _wake;

        public Subscription(PostgresNotifier owner, Action wake)
        {
            _owner = owner;
            _wake = wake;
        }

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Unsubscribe(_wake);
    }
}
