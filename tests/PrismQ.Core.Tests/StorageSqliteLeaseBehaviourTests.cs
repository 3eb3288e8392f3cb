namespace PrismQ.Tests.Storage;

/// <summary>The store-neutral lease behaviour, on SQLite.</summary>
public sealed class StorageSqliteLeaseBehaviourTests : StorageLeaseBehaviourTests
{
    private readonly SqliteStoreFactory _factory = new();

    protected override ITaskStore OpenStore(StoreSettings settings) => _factory.Open(settings);

    public override void Dispose()
    {
        base.Dispose();
        _factory.Dispose();
    }
}
