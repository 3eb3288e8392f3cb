using System;
using System.Threading;

namespace PrismQ.Tracing;

/// <summary>
/// Wakes the drain early. Producers call <see cref="Wake"/> only when a ring crosses its high-water mark (or starts
/// dropping), so the cost is paid once per crossing, not per event.
/// </summary>
internal sealed class DrainSignal : IDisposable
{
    private readonly ManualResetEventSlim _event = new(false, spinCount: 0);

    public void Wake() => _event.Set();

    /// <summary>Drain: clears the signal before a pass, so a wake during the pass is not lost.</summary>
    public void Reset() => _event.Reset();

    /// <summary>Drain: sleeps until woken or the interval passes.</summary>
    public void Wait(TimeSpan interval) => _event.Wait(interval);

    /// <summary>True while a wake is pending (tests).</summary>
    public bool IsSet => _event.IsSet;

    public void Dispose() => _event.Dispose();
}
