using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PrismQ.Postgres;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>Extending many leases in one statement: each lease gets its own result, in order, and a lost one stops nothing.</summary>
[Trait("Backend", "PostgreSQL")]
public sealed class StoragePostgresLeaseTests : IDisposable
{
    private readonly PostgresStoreFactory _factory = new();
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Extend_leases_gives_each_lease_its_own_result_in_order()
    {
        PostgresTaskStore store = _factory.OpenPostgres(new StoreSettings { Clock = _clock });
        await store.EnqueueManyAsync(Enumerable.Range(0, 3).Select(_ => new EnqueueRequest("t")));
        IReadOnlyList<TaskRecord> c = await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 3 });
        await store.CancelAsync(c[2].Id);
        await store.CompleteAsync(c[1].Id, c[1].LeaseToken!.Value);
        _clock.Advance(TimeSpan.FromSeconds(10));

        var leases = new[]
        {
            new TaskLease(c[2].Id, c[2].LeaseToken!.Value),
            new TaskLease(c[0].Id, new LeaseToken(Guid.NewGuid())),
            new TaskLease(c[1].Id, c[1].LeaseToken!.Value),
            new TaskLease(c[0].Id, c[0].LeaseToken!.Value),
            new TaskLease(999_999, new LeaseToken(Guid.NewGuid())),
        };
        IReadOnlyList<ExtendResult> results = await store.ExtendLeasesAsync(leases, TimeSpan.FromMinutes(2));
        Assert.Equal(new[] { LeaseOutcome.Applied, LeaseOutcome.LeaseLost, LeaseOutcome.LeaseLost, LeaseOutcome.Applied, LeaseOutcome.LeaseLost },
            results.Select(r => r.Outcome));
        Assert.True(results[0].CancelRequested);
        Assert.False(results[3].CancelRequested);
        DateTimeOffset expected = _clock.GetUtcNow() + TimeSpan.FromMinutes(2);
        Assert.Equal(expected, results[0].ExpiresAt);
        Assert.Equal(expected, (await store.GetAsync(c[0].Id))!.LeaseExpiresAt);
        Assert.Null(results[1].ExpiresAt);
        Assert.Empty(await store.ExtendLeasesAsync(Array.Empty<TaskLease>(), TimeSpan.FromMinutes(1)));
    }
}
