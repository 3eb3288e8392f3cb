using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>The store-neutral Scheduling tests, on PostgreSQL (one fresh schema per test).</summary>
[Trait("Backend", "PostgreSQL")]
public sealed class StoragePostgresSchedulingTests : StorageSchedulingTests
{
    private readonly PostgresStoreFactory _factory = new();

    protected override ITaskStore OpenStore(StoreSettings settings) => _factory.Open(settings);

    public override void Dispose()
    {
        base.Dispose();
        _factory.Dispose();
    }
}
