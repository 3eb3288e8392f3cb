using System;
using System.Collections.Generic;
using System.IO;
using PrismQ.PowerShell.Cores;
using Xunit;

namespace PrismQ.PowerShell.Tests;

[Collection(StoreCacheCollection.Name)]
public sealed class StoreCacheTests : IDisposable
{
    private readonly Func<QueueOptions, ITaskStore> _saved = StoreCache.Factory;
    private readonly List<(QueueOptions Options, FakeTaskStore Store)> _opened = new();

    public StoreCacheTests()
    {
        StoreCache.CloseAll();
        StoreCache.Factory = options =>
        {
            var store = new FakeTaskStore();
            _opened.Add((options, store));
            return store;
        };
    }

    public void Dispose()
    {
        StoreCache.CloseAll();
        StoreCache.Factory = _saved;
    }

    [Fact]
    public void One_store_per_path_reopened_for_another_durability_and_closed_at_removal()
    {
        string path = Path.Combine(Path.GetTempPath(), "prismq-cache-test.db");
        ITaskStore first = StoreCache.Get(path);
        Assert.Same(first, StoreCache.Get(path));
        Assert.Same(first, StoreCache.Get(path, Durability.Normal));
        Assert.Equal(Durability.Normal, StoreCache.DurabilityOf(path));
        Assert.Equal(path, _opened[0].Options.DatabasePath);

        ITaskStore full = StoreCache.Get(path, Durability.Full);
        Assert.NotSame(first, full);
        Assert.True(((FakeTaskStore)first).Disposed);
        Assert.Equal(Durability.Full, _opened[1].Options.Durability);

        ITaskStore other = StoreCache.Get(path + "2");
        StoreCache.CloseAll();
        Assert.True(((FakeTaskStore)full).Disposed);
        Assert.True(((FakeTaskStore)other).Disposed);
        Assert.Null(StoreCache.DurabilityOf(path));
    }

    [Fact]
    public void Path_precedence_is_parameter_then_environment_then_default_made_absolute()
    {
        string cwd = Path.GetTempPath();
        string? saved = Environment.GetEnvironmentVariable(PrismQEnvironment.DatabasePathVariable);
        try
        {
            Environment.SetEnvironmentVariable(PrismQEnvironment.DatabasePathVariable, "env.db");
            Assert.Equal(Path.GetFullPath(Path.Combine(cwd, "p.db")), StoreCache.ResolvePath("p.db", cwd));
            Assert.Equal(Path.GetFullPath(Path.Combine(cwd, "env.db")), StoreCache.ResolvePath(null, cwd));
            Environment.SetEnvironmentVariable(PrismQEnvironment.DatabasePathVariable, null);
            Assert.Equal(PrismQEnvironment.DefaultDatabasePath(), StoreCache.ResolvePath(null, cwd));
            Assert.Equal(PrismQErrorCode.InvalidDatabasePath, Assert.Throws<PrismQException>(() => StoreCache.ResolvePath("  ", cwd)).Code);
        }
        finally
        {
            Environment.SetEnvironmentVariable(PrismQEnvironment.DatabasePathVariable, saved);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StoreCacheCollection
{
    public const string Name = "StoreCache (process-wide state)";
}
