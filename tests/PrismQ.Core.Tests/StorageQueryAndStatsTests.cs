using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>Queries with filters and paging, queue statistics, and the worker registry: any store.</summary>
public abstract class StorageQueryAndStatsTests : StoreTestBase
{
    [Fact]
    public async Task Queue_stats_count_every_status_including_running_and_scheduled()
    {
        ITaskStore store = Open();
        long lastReady = 0;
        for (int i = 0; i < 6; i++) lastReady = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        await store.EnqueueAsync(new EnqueueRequest("t") { Delay = TimeSpan.FromHours(1) });
        await store.EnqueueAsync(new EnqueueRequest("t") { Queue = "other" });
        Clock.Advance(TimeSpan.FromSeconds(40));
        IReadOnlyList<TaskRecord> c = await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 4 });
        await store.CompleteAsync(c[0].Id, c[0].LeaseToken!.Value);
        await store.FailAsync(c[1].Id, c[1].LeaseToken!.Value, new TaskError("e"), new RetryPolicy { BaseDelay = TimeSpan.FromMinutes(5), MaxDelay = TimeSpan.FromMinutes(5), Jitter = 0 });
        await store.CancelAsync(c[2].Id);
        Assert.Equal(CancelOutcome.Cancelled, await store.CancelAsync(lastReady));

        QueueStats s = (await store.GetQueueStatsAsync(new[] { QueueNames.Default })).Single();
        Assert.Equal(QueueNames.Default, s.Name);
        Assert.Equal(3, s.Queued);      // one ready, one delayed, one waiting for its retry
        Assert.Equal(2, s.Scheduled);
        Assert.Equal(2, s.Running);     // c[2] has a cancel request but still runs
        Assert.Equal(1, s.Succeeded);
        Assert.Equal(0, s.Failed);
        Assert.Equal(1, s.Cancelled);
        Assert.Equal(TimeSpan.FromSeconds(40), s.OldestQueuedAge);
        Assert.False(s.Paused);

        IReadOnlyList<QueueStats> all = await store.GetQueueStatsAsync();
        Assert.Equal(new[] { QueueNames.Default, "other" }, all.Select(x => x.Name));
        // A queue that does not exist is left out (the cmdlets report it as QueueNotFound).
        Assert.Empty(await store.GetQueueStatsAsync(new[] { "never-used" }));
        Assert.Equal(new[] { "other" }, (await store.GetQueueStatsAsync(new[] { "never-used", "other" })).Select(x => x.Name));
    }

    [Fact]
    public async Task Query_filters_and_pages_in_both_orders()
    {
        ITaskStore store = Open();
        var ids = new List<long>();
        for (int i = 0; i < 10; i++)
        {
            ids.Add((await store.EnqueueAsync(new EnqueueRequest(i % 2 == 0 ? "even" : "odd") { Queue = i < 5 ? "a" : "b" })).Task.Id);
            Clock.Advance(TimeSpan.FromMinutes(1));
        }
        IReadOnlyList<TaskRecord> page1 = await store.QueryAsync(new TaskQuery { Limit = 4 });
        IReadOnlyList<TaskRecord> page2 = await store.QueryAsync(new TaskQuery { Limit = 4, AfterId = page1[^1].Id });
        Assert.Equal(ids.Take(8), page1.Concat(page2).Select(t => t.Id));
        IReadOnlyList<TaskRecord> newest = await store.QueryAsync(new TaskQuery { Order = TaskOrder.NewestFirst, Limit = 3 });
        Assert.Equal(new[] { ids[9], ids[8], ids[7] }, newest.Select(t => t.Id));
        IReadOnlyList<TaskRecord> newer = await store.QueryAsync(new TaskQuery { Order = TaskOrder.NewestFirst, Limit = 3, AfterId = ids[7] });
        Assert.Equal(new[] { ids[6], ids[5], ids[4] }, newer.Select(t => t.Id));

        Assert.Equal(new[] { ids[0], ids[2], ids[4] }, (await store.QueryAsync(new TaskQuery { Filter = new TaskFilter { Queue = "a", Type = "even" } })).Select(t => t.Id));
        DateTimeOffset start = (await store.GetAsync(ids[0]))!.CreatedAt;
        IReadOnlyList<TaskRecord> range = await store.QueryAsync(new TaskQuery { Filter = new TaskFilter { CreatedAfter = start + TimeSpan.FromMinutes(2), CreatedBefore = start + TimeSpan.FromMinutes(5) } });
        Assert.Equal(new[] { ids[2], ids[3], ids[4] }, range.Select(t => t.Id));
        Assert.Equal(new[] { ids[1], ids[3] }, (await store.QueryAsync(new TaskQuery { Filter = new TaskFilter { Ids = new[] { ids[3], ids[1], 99999L } } })).Select(t => t.Id));
    }

    [Fact]
    public async Task Worker_registry_records_refreshes_and_removes_workers()
    {
        ITaskStore store = Open();
        await store.RegisterWorkerAsync(new WorkerRecord { Id = "w1", Host = "box", ProcessId = 42, Queues = new[] { "a", "b,c" }, StartedAt = Clock.GetUtcNow() });
        await store.RegisterWorkerAsync(new WorkerRecord { Id = "w2", Host = "box", ProcessId = 43 });
        Clock.Advance(TimeSpan.FromSeconds(10));
        await store.HeartbeatWorkerAsync("w1", new[] { 5L, 7L });
        IReadOnlyList<WorkerRecord> workers = await store.ListWorkersAsync();
        Assert.Equal(new[] { "w1", "w2" }, workers.Select(w => w.Id));
        WorkerRecord w1 = workers[0];
        Assert.Equal("box", w1.Host);
        Assert.Equal(42, w1.ProcessId);
        Assert.Equal(new[] { "a", "b,c" }, w1.Queues);
        Assert.Equal(new[] { 5L, 7L }, w1.CurrentTaskIds);
        Assert.Equal(Clock.GetUtcNow(), w1.LastHeartbeatAt);
        Assert.Equal(Clock.GetUtcNow() - TimeSpan.FromSeconds(10), w1.StartedAt);
        await store.UnregisterWorkerAsync("w1");
        Assert.Equal(new[] { "w2" }, (await store.ListWorkersAsync()).Select(w => w.Id));
    }
}

/// <summary>The store-neutral query, statistics and registry tests, on SQLite.</summary>
public sealed class StorageSqliteQueryAndStatsTests : StorageQueryAndStatsTests
{
    private readonly SqliteStoreFactory _factory = new();

    protected override ITaskStore OpenStore(StoreSettings settings) => _factory.Open(settings);

    public override void Dispose()
    {
        base.Dispose();
        _factory.Dispose();
    }
}
