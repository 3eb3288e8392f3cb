using System.Collections.Generic;
using System.Threading;

namespace PrismQ.Storage;

/// <summary>A store that can count its ready tasks cheaply, for the workers' queue-depth trace samples.</summary>
internal interface IReadyCounter
{
    /// <summary>The tasks of <paramref name="queues"/> ready to claim now, each queue counted up to a cap of the store's.</summary>
    long CountReady(IReadOnlyList<string> queues, CancellationToken cancellationToken);
}
