using System;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.Workers;

/// <summary>
/// Coalesces one attempt's progress reports: at most one store write per interval, the last value wins, and
/// <see cref="FlushAsync"/> writes the final value. Reporting never blocks and never throws a storage error.
/// </summary>
internal sealed class ProgressThrottle
{
    private readonly ITaskStore _store;
    private readonly long _taskId;
    private readonly LeaseToken _token;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _clock;
    private readonly Action<int?, string?> _onWritten;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _closing = new();
    private bool _hasPending;
    private int? _percent;
    private string? _message;
    private Task? _pump;
    private bool _closed;
    private int _writes;

    public ProgressThrottle(ITaskStore store, long taskId, LeaseToken token, TimeSpan interval, TimeProvider clock, Action<int?, string?> onWritten)
    {
        _store = store;
        _taskId = taskId;
        _token = token;
        _interval = interval;
        _clock = clock;
        _onWritten = onWritten;
    }

    /// <summary>Store writes made so far.</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>Records a value; writes it now when no write happened in the last interval, else when the interval ends.</summary>
    public void Report(int? percent, string? message)
    {
        lock (_gate)
        {
            if (_closed) return;
            _percent = percent;
            _message = message;
            _hasPending = true;
            if (_pump is null) _pump = Task.Run(PumpAsync);
        }
    }

    /// <summary>Stops the throttle and writes the last value if it is not written yet.</summary>
    public async Task FlushAsync()
    {
        Task? pump;
        lock (_gate)
        {
            _closed = true;
            pump = _pump;
        }
        _closing.Cancel();
        if (pump is not null) await pump.ConfigureAwait(false);
        int? percent;
        string? message;
        lock (_gate)
        {
            if (!_hasPending) return;
            _hasPending = false;
            percent = _percent;
            message = _message;
        }
        await WriteAsync(percent, message).ConfigureAwait(false);
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            int? percent;
            string? message;
            lock (_gate)
            {
                if (!_hasPending || _closed)
                {
                    _pump = null;
                    return;
                }
                _hasPending = false;
                percent = _percent;
                message = _message;
            }
            await WriteAsync(percent, message).ConfigureAwait(false);
            try
            {
                await TimeProviderTaskExtensions.Delay(_clock, _interval, _closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Closing: FlushAsync writes what is left.
            }
        }
    }

    private async Task WriteAsync(int? percent, string? message)
    {
        try
        {
            await _store.ReportProgressAsync(_taskId, _token, percent, message, CancellationToken.None).ConfigureAwait(false);
            Interlocked.Increment(ref _writes);
            _onWritten(percent, message);
        }
        catch (Exception)
        {
            // Progress is best effort: a busy database or a lost lease must not fail the handler.
            // (A lost lease is noticed by the next heartbeat.)
        }
    }
}
