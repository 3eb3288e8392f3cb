using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using PrismQ.Postgres;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>The PostgreSQL schema: its version record, a newer or foreign schema refused, and concurrent first opens.</summary>
[Trait("Backend", "PostgreSQL")]
public sealed class StoragePostgresMigrationTests : IDisposable
{
    private readonly PostgresStoreFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    private string Table(string name) => $"\"{_factory.Schema}\".{name}";

    [Fact]
    public void A_new_schema_records_its_version_and_application()
    {
        using ITaskStore store = PostgresTaskStore.Open(_factory.Connection);
        Assert.Equal(PostgresSchema.CurrentVersion, PostgresTestServer.Scalar($"SELECT version FROM {Table("schema_version")}"));
        Assert.Equal(1, PostgresTestServer.Scalar($"SELECT count(*) FROM {Table("schema_version")} WHERE application = 'PrismQ'"));
        // Opening again changes nothing.
        using ITaskStore again = PostgresTaskStore.Open(_factory.Connection);
        Assert.Equal(1, PostgresTestServer.Scalar($"SELECT count(*) FROM {Table("schema_version")}"));
    }

    [Fact]
    public void A_schema_written_by_a_newer_PrismQ_is_refused_and_left_alone()
    {
        PostgresTaskStore.Open(_factory.Connection).Dispose();
        PostgresTestServer.Exec($"UPDATE {Table("schema_version")} SET version = 99");
        PrismQException ex = Assert.Throws<PrismQException>(() => PostgresTaskStore.Open(_factory.Connection));
        Assert.Equal(PrismQErrorCode.SchemaTooNew, ex.Code);
        Assert.Contains("version 99", ex.Message);
        Assert.Contains("newer PrismQ", ex.Message);
        Assert.Equal(99, PostgresTestServer.Scalar($"SELECT version FROM {Table("schema_version")}"));
    }

    [Fact]
    public void A_schema_that_is_not_PrismQs_is_refused()
    {
        PostgresTestServer.Exec($"CREATE SCHEMA \"{_factory.Schema}\"; CREATE TABLE {Table("invoices")} (id int)");
        PrismQException ex = Assert.Throws<PrismQException>(() => PostgresTaskStore.Open(_factory.Connection));
        Assert.Equal(PrismQErrorCode.NotADatabase, ex.Code);
        Assert.Contains("not a PrismQ schema", ex.Message);
        Assert.Equal(0, PostgresTestServer.Scalar($"SELECT count(*) FROM pg_tables WHERE schemaname = '{_factory.Schema}' AND tablename = 'tasks'"));
    }

    [Fact]
    public void An_empty_existing_schema_is_used()
    {
        PostgresTestServer.Exec($"CREATE SCHEMA \"{_factory.Schema}\"");
        using ITaskStore store = PostgresTaskStore.Open(_factory.Connection);
        Assert.Equal(PostgresSchema.CurrentVersion, PostgresTestServer.Scalar($"SELECT version FROM {Table("schema_version")}"));
    }

    /// <summary>Eight processes' worth of first opens at once: every one succeeds, the schema is created once, and all of them work.</summary>
    [Fact]
    public async Task Eight_concurrent_first_opens_all_succeed_and_migrate_once()
    {
        using var start = new System.Threading.ManualResetEventSlim(false);
        Task<PostgresTaskStore>[] opens = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.Wait();
            return PostgresTaskStore.Open(_factory.Connection);
        })).ToArray();
        start.Set();
        PostgresTaskStore[] stores = await Task.WhenAll(opens);
        try
        {
            Assert.Equal(1, PostgresTestServer.Scalar($"SELECT count(*) FROM {Table("schema_version")}"));
            Assert.Equal(PostgresSchema.CurrentVersion, PostgresTestServer.Scalar($"SELECT version FROM {Table("schema_version")}"));
            var ids = new List<long>();
            foreach (PostgresTaskStore s in stores) ids.Add((await s.EnqueueAsync(new EnqueueRequest("t"))).Task.Id);
            Assert.Equal(8, ids.Distinct().Count());
        }
        finally
        {
            foreach (PostgresTaskStore s in stores) s.Dispose();
        }
    }
}
