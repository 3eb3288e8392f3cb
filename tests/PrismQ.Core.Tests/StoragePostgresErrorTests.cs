using System;
using System.Threading.Tasks;
using Npgsql;
using PrismQ.Postgres;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>PostgreSQL errors as PrismQ's codes: transient ones are DatabaseBusy (the worker retries), the rest StorageError.</summary>
[Trait("Backend", "PostgreSQL")]
public sealed class StoragePostgresErrorTests : IDisposable
{
    private readonly PostgresStoreFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    [Theory]
    [InlineData(PostgresErrors.SerializationFailure, PrismQErrorCode.DatabaseBusy)]
    [InlineData(PostgresErrors.DeadlockDetected, PrismQErrorCode.DatabaseBusy)]
    [InlineData(PostgresErrors.LockNotAvailable, PrismQErrorCode.DatabaseBusy)]
    [InlineData(PostgresErrors.QueryCanceled, PrismQErrorCode.DatabaseBusy)]
    [InlineData(PostgresErrors.TooManyConnections, PrismQErrorCode.DatabaseBusy)]
    [InlineData("08006", PrismQErrorCode.DatabaseBusy)]
    [InlineData(PostgresErrors.AdminShutdown, PrismQErrorCode.DatabaseBusy)]
    [InlineData("23505", PrismQErrorCode.StorageError)]
    [InlineData("42P01", PrismQErrorCode.StorageError)]
    [InlineData(PostgresErrors.InvalidPassword, PrismQErrorCode.StorageError)]
    public void Sqlstates_map_to_codes_and_are_named(string sqlState, PrismQErrorCode code)
    {
        var error = new PostgresException("something happened", "ERROR", "ERROR", sqlState);
        PrismQException ex = PostgresErrors.Translate(error, "postgresql://u@h:5432/d?schema=s", "claim");
        Assert.Equal(code, ex.Code);
        Assert.Contains("SQLSTATE " + sqlState, ex.Message);
        Assert.Contains("claim", ex.Message);
        Assert.Same(error, ex.InnerException);
    }

    /// <summary>A row held by another transaction past the lock timeout: DatabaseBusy (SQLSTATE 55P03), and nothing changed.</summary>
    [Fact]
    public async Task A_lock_held_past_the_lock_timeout_is_busy()
    {
        long id;
        using (PostgresTaskStore setup = _factory.OpenPostgres(new StoreSettings()))
            id = (await setup.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        using PostgresTaskStore store = PostgresTaskStore.Open(_factory.Connection + "&options=-c%20lock_timeout%3D300");

        using NpgsqlConnection holder = PostgresTestServer.Connect();
        using NpgsqlTransaction tx = holder.BeginTransaction();
        using (var lockRow = new NpgsqlCommand($"SELECT id FROM \"{_factory.Schema}\".tasks WHERE id = {id} FOR UPDATE", holder, tx)) lockRow.ExecuteScalar();

        PrismQException ex = await Assert.ThrowsAsync<PrismQException>(() => store.CancelAsync(id));
        Assert.Equal(PrismQErrorCode.DatabaseBusy, ex.Code);
        Assert.Contains("55P03", ex.Message);
        tx.Rollback();
        Assert.Equal(TaskStatus.Queued, (await store.GetAsync(id))!.Status);
        Assert.Equal(CancelOutcome.Cancelled, await store.CancelAsync(id));
    }

    [Fact]
    public async Task A_disposed_store_refuses_calls()
    {
        PostgresTaskStore store = _factory.OpenPostgres(new StoreSettings());
        store.Dispose();
        store.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetAsync(1));
    }
}
