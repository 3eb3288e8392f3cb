using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Postgres;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>Many connections at once: idempotency keys give exactly one task, and concurrent claims never share a task.</summary>
[Trait("Backend", "PostgreSQL")]
public sealed class StoragePostgresConcurrencyTests : IDisposable
{
    private readonly PostgresStoreFactory _factory = new();

    public void Dispose() => _factory.Dispose();

    /// <summary>Four stores (four pools), eight parallel enqueues each, all with the same key: one task, one creator, every caller sees its id.</summary>
    [Fact]
    public async Task Concurrent_enqueues_with_one_idempotency_key_make_exactly_one_task()
    {
        PostgresTaskStore[] stores = Enumerable.Range(0, 4).Select(_ => _factory.OpenPostgres(new StoreSettings())).ToArray();
        for (int round = 0; round < 5; round++)
        {
            string key = "key-" + round;
            using var start = new ManualResetEventSlim(false);
            Task<EnqueueResult>[] calls = Enumerable.Range(0, 32).Select(i => Task.Run(async () =>
            {
                start.Wait();
                return await stores[i % stores.Length].EnqueueAsync(new EnqueueRequest("t") { IdempotencyKey = key, Payload = "{\"i\":" + i + "}" });
            })).ToArray();
            start.Set();
            EnqueueResult[] results = await Task.WhenAll(calls);
            Assert.Single(results, r => r.Created);
            Assert.Single(results.Select(r => r.Task.Id).Distinct());
            Assert.Equal(1, PostgresTestServer.Scalar($"SELECT count(*) FROM \"{_factory.Schema}\".tasks WHERE idempotency_key = '{key}'"));
        }
    }

    [Fact]
    public async Task Concurrent_batches_sharing_keys_agree_on_each_task()
    {
        PostgresTaskStore[] stores = Enumerable.Range(0, 3).Select(_ => _factory.OpenPostgres(new StoreSettings())).ToArray();
        var requests = Enumerable.Range(0, 50).Select(i => new EnqueueRequest("t") { IdempotencyKey = "k" + i }).ToArray();
        IReadOnlyList<long>[] ids = await Task.WhenAll(stores.Select(s => Task.Run(() => s.EnqueueManyAsync(requests, batchSize: 10))));
        Assert.All(ids, list => Assert.Equal(ids[0], list));
        Assert.Equal(50, PostgresTestServer.Scalar($"SELECT count(*) FROM \"{_factory.Schema}\".tasks"));
    }

    /// <summary>Eight claimers on their own pools drain a queue under every strategy: each task is claimed once.</summary>
    [Theory]
    [InlineData(SchedulingStrategy.Fifo)]
    [InlineData(SchedulingStrategy.Lifo)]
    [InlineData(SchedulingStrategy.Priority)]
    [InlineData(SchedulingStrategy.WeightedRandom)]
    public async Task Concurrent_claims_never_take_a_task_twice(SchedulingStrategy strategy)
    {
        PostgresTaskStore[] stores = Enumerable.Range(0, 8).Select(_ => _factory.OpenPostgres(new StoreSettings())).ToArray();
        await stores[0].EnqueueManyAsync(Enumerable.Range(0, 400).Select(i => new EnqueueRequest("t") { Priority = i % 5, Queue = i % 2 == 0 ? "a" : "b" }));
        var claimed = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Task.WhenAll(stores.Select((s, i) => Task.Run(async () =>
        {
            string[] queues = i % 2 == 0 ? new[] { "a" } : new[] { "a", "b" };
            int empty = 0;
            while (empty < 3)
            {
                IReadOnlyList<TaskRecord> batch = await s.ClaimAsync(new ClaimRequest("w" + i) { Strategy = strategy, MaxCount = 7, Queues = queues });
                if (batch.Count == 0 && queues.Length == 1) queues = new[] { "a", "b" };
                empty = batch.Count == 0 ? empty + 1 : 0;
                foreach (TaskRecord t in batch) claimed.Add(t.Id);
            }
        })));
        Assert.Equal(400, claimed.Count);
        Assert.Equal(400, claimed.Distinct().Count());
    }
}
