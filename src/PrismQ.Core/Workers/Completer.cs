using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.Workers;

/// <summary>
/// Writes the transitions the producer decided, in batches: one transaction for every attempt that ended within the
/// commit window (group commit), retrying a busy database, and reports each attempt back to the producer with what
/// was written. Until then the attempt is still held (its lease heartbeated); a crash before the commit re-runs it
/// (at-least-once), and every write is conditional on the attempt's lease (fencing).
/// </summary>
internal sealed class Completer
{
    /// <summary>The most transitions in one transaction.</summary>
    public const int MaxBatch = 128;

    private readonly ITaskStore _store;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _window;
    private readonly TimeSpan _retryFor;
    private readonly Func<bool> _moreComing;
    private readonly Action<RunningAttempt> _report;
    private readonly ConcurrentQueue<RunningAttempt> _queue = new();
    private readonly WakeSignal _wake = new();
    private int _pending;

    /// <param name="store">Where transitions are written.</param>
    /// <param name="clock">The worker's clock (the retry pauses).</param>
    /// <param name="window">How long the first transition of a batch may wait for others (wall-clock time).</param>
    /// <param name="retryFor">How long a busy database is retried before the attempts are given up as lease-lost.</param>
    /// <param name="moreComing">True while other attempts are running, so that waiting for them is worth it.</param>
    /// <param name="report">Called with each attempt once its transition is written (or found its lease lost).</param>
    public Completer(ITaskStore store, TimeProvider clock, TimeSpan window, TimeSpan retryFor, Func<bool> moreComing, Action<RunningAttempt> report)
    {
        _store = store;
        _clock = clock;
        _window = window;
        _retryFor = retryFor;
        _moreComing = moreComing;
        _report = report;
    }

    /// <summary>Transitions waiting or being written.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Queues the attempt's <see cref="RunningAttempt.Transition"/> for the next batch.</summary>
    public void Enqueue(RunningAttempt attempt)
    {
        Interlocked.Increment(ref _pending);
        _queue.Enqueue(attempt);
        _wake.Set();
    }

    /// <summary>Writes batches until <paramref name="stop"/> fires and nothing is left.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using WakeSignal.Registration wakeOnStop = _wake.WakeOn(stop);
        var batch = new List<RunningAttempt>(MaxBatch);
        while (true)
        {
            _wake.Reset();
            if (_queue.IsEmpty)
            {
                if (stop.IsCancellationRequested) return;
                await _wake.Task.ConfigureAwait(false);
                continue;
            }
            // Group commit: while other handlers are running, let their transitions join this one's transaction.
            if (_window > TimeSpan.Zero && _queue.Count < MaxBatch && _moreComing() && !stop.IsCancellationRequested)
                await Task.Delay(_window).ConfigureAwait(false);
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.TryDequeue(out RunningAttempt? attempt)) batch.Add(attempt);
            await WriteAsync(batch).ConfigureAwait(false);
            foreach (RunningAttempt attempt in batch)
            {
                Interlocked.Decrement(ref _pending);
                _report(attempt);
            }
        }
    }

    private async Task WriteAsync(List<RunningAttempt> batch)
    {
        var transitions = new LeaseTransition[batch.Count];
        for (int i = 0; i < transitions.Length; i++) transitions[i] = batch[i].Transition!;
        try
        {
            IReadOnlyList<TransitionResult> written = await RetryAsync(transitions).ConfigureAwait(false);
            for (int i = 0; i < batch.Count; i++) batch[i].Written = written[i];
            return;
        }
        catch (Exception) when (batch.Count > 1)
        {
            // One item may be what fails the batch: write them one by one, so that the others still land.
        }
        catch (Exception)
        {
            batch[0].Written = TransitionResult.Lost;
            return;
        }
        foreach (RunningAttempt attempt in batch)
        {
            try
            {
                attempt.Written = (await RetryAsync(new[] { attempt.Transition! }).ConfigureAwait(false))[0];
            }
            catch (Exception)
            {
                // Storage kept failing: the lease expires and the task is taken over; the attempt counts as lost here.
                attempt.Written = TransitionResult.Lost;
            }
        }
    }

    /// <summary>Writes, retrying a busy database (and other transient failures) for up to <see cref="_retryFor"/>.</summary>
    private async Task<IReadOnlyList<TransitionResult>> RetryAsync(IReadOnlyList<LeaseTransition> transitions)
    {
        long start = _clock.GetTimestamp();
        TimeSpan pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return await _store.ApplyTransitionsAsync(transitions, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e) && _clock.GetElapsedTime(start) < _retryFor)
            {
                await TimeProviderTaskExtensions.Delay(_clock, pause, CancellationToken.None).ConfigureAwait(false);
                if (pause < TimeSpan.FromSeconds(1)) pause = TimeSpan.FromTicks(pause.Ticks * 2);
            }
        }
    }

    /// <summary>A busy database, a storage error or an I/O error: worth another try.</summary>
    private static bool IsTransient(Exception e) =>
        e is PrismQException p ? p.Code == PrismQErrorCode.DatabaseBusy || p.Code == PrismQErrorCode.StorageError : e is System.IO.IOException;
}
