using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tracing;

namespace PrismQ.Workers;

/// <summary>
/// A worker's queue-depth trace samples: while tracing is on and the store can count its ready tasks (<see cref="Storage.IReadyCounter"/>), every
/// <see cref="Interval"/> (and once at the start) it counts the tasks of the worker's queues that are ready to claim
/// (up to the store's cap per queue) and emits one <see cref="TraceEventKind.QueueDepth"/>
/// event on the worker's slot. The timeline export draws them as a counter. A failed sample is skipped.
/// </summary>
internal static class QueueDepthSampler
{
    /// <summary>The time between two samples.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>Samples until <paramref name="stop"/> fires; returns at once when there is nothing to sample.</summary>
    public static Task RunAsync(ITaskStore store, IReadOnlyList<string> queues, ITraceEmitter tracer, short workerSlot, TimeProvider clock, CancellationToken stop)
    {
        if (!tracer.IsEnabled || store is not Storage.IReadyCounter counter) return Task.CompletedTask;
        return Task.Run(async () =>
        {
            do
            {
                try
                {
                    tracer.Emit(TraceEventKind.QueueDepth, 0, 0, workerSlot, counter.CountReady(queues, CancellationToken.None));
                }
                catch (Exception)
                {
                    // A busy or closing database: the next sample tries again; a missing sample loses nothing.
                }
            }
            while (await ClockWait.DelayAsync(clock, Interval, stop).ConfigureAwait(false));
        });
    }

}
