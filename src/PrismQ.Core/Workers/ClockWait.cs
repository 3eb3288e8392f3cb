using System;
using System.Threading;
using System.Threading.Tasks;

namespace PrismQ.Workers;

/// <summary>The waits of the worker's periodic loops, on the worker's clock.</summary>
internal static class ClockWait
{
    /// <summary>Waits <paramref name="wait"/> on <paramref name="clock"/>; false when <paramref name="stop"/> fired first.</summary>
    public static async Task<bool> DelayAsync(TimeProvider clock, TimeSpan wait, CancellationToken stop)
    {
        try
        {
            await TimeProviderTaskExtensions.Delay(clock, wait, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
