using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Postgres;
using PrismQ.Storage;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>The PostgreSQL driver: LISTEN/NOTIFY wake-ups, leader election, the dead-worker sweep.</summary>
[Trait("Backend", "PostgreSQL")]
public sealed class StoragePostgresDriverTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private readonly PostgresStoreFactory _factory = new();
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _factory.Dispose();

    private PostgresTaskStore Open() => _factory.OpenPostgres(new StoreSettings { Clock = _clock });

    private static void WaitListening(PostgresTaskStore store, int connects = 1) =>
        Assert.True(SpinWait.SpinUntil(() => store.Notifier.Connects >= connects, Generous), "the listener did not connect");

    [Fact]
    public async Task An_enqueue_by_another_store_wakes_the_subscriber()
    {
        PostgresTaskStore listener = Open();
        PostgresTaskStore writer = Open();
        using var woken = new ManualResetEventSlim(false);
        using IDisposable? subscription = ((IStorageDriver)listener).SubscribeToNewWork(woken.Set);
        Assert.NotNull(subscription);
        WaitListening(listener);
        await writer.EnqueueAsync(new EnqueueRequest("t"));
        Assert.True(woken.Wait(Generous), "no wake-up after an enqueue");

        // A release (a re-queue) wakes too.
        woken.Reset();
        TaskRecord t = (await writer.ClaimAsync(new ClaimRequest("w"))).Single();
        await writer.ReleaseAsync(t.Id, t.LeaseToken!.Value);
        Assert.True(woken.Wait(Generous), "no wake-up after a release");
    }

    [Fact]
    public async Task The_listener_reconnects_after_its_connection_is_killed()
    {
        PostgresTaskStore listener = Open();
        PostgresTaskStore writer = Open();
        using var woken = new ManualResetEventSlim(false);
        using IDisposable? subscription = ((IStorageDriver)listener).SubscribeToNewWork(woken.Set);
        WaitListening(listener);
        PostgresTestServer.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'PrismQ listener' AND query LIKE '%" + listener.Channel + "%'");
        WaitListening(listener, 2);
        woken.Reset();
        await writer.EnqueueAsync(new EnqueueRequest("t"));
        Assert.True(woken.Wait(Generous), "no wake-up after the reconnect");
    }

    [Fact]
    public async Task No_wake_up_after_the_subscription_is_disposed_and_other_schemas_do_not_wake()
    {
        PostgresTaskStore listener = Open();
        using var otherFactory = new PostgresStoreFactory();
        PostgresTaskStore other = otherFactory.OpenPostgres(new StoreSettings());
        int wakes = 0;
        IDisposable subscription = ((IStorageDriver)listener).SubscribeToNewWork(() => Interlocked.Increment(ref wakes))!;
        WaitListening(listener);
        await other.EnqueueAsync(new EnqueueRequest("t"));
        subscription.Dispose();
        await Open().EnqueueAsync(new EnqueueRequest("t"));
        Assert.Equal(0, Volatile.Read(ref wakes));
    }

    [Fact]
    public async Task Exactly_one_of_two_contenders_leads_until_it_resigns_or_its_term_runs_out()
    {
        IStorageDriver a = Open();
        IStorageDriver b = Open();
        TimeSpan term = TimeSpan.FromSeconds(30);
        Assert.True(await a.TryLeadAsync("w1", term, default));
        Assert.False(await b.TryLeadAsync("w2", term, default));
        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.True(await a.TryLeadAsync("w1", term, default)); // renewed: 30 s from now
        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.False(await b.TryLeadAsync("w2", term, default));

        await a.ResignAsync("w1", default);
        Assert.True(await b.TryLeadAsync("w2", term, default));
        Assert.False(await a.TryLeadAsync("w1", term, default));
        await a.ResignAsync("w1", default); // not the leader: changes nothing
        Assert.True(await b.TryLeadAsync("w2", term, default));

        _clock.Advance(TimeSpan.FromSeconds(31)); // w2 stopped renewing
        Assert.True(await a.TryLeadAsync("w1", term, default));
        Assert.False(await b.TryLeadAsync("w2", term, default));
    }

    [Fact]
    public async Task Concurrent_contenders_elect_exactly_one_leader()
    {
        PostgresTaskStore[] stores = Enumerable.Range(0, 8).Select(_ => Open()).ToArray();
        for (int round = 0; round < 10; round++)
        {
            using var start = new ManualResetEventSlim(false);
            Task<bool>[] tries = stores.Select((s, i) => Task.Run(async () =>
            {
                start.Wait();
                return await ((IStorageDriver)s).TryLeadAsync("w" + i + "-" + round, TimeSpan.FromSeconds(10), default);
            })).ToArray();
            start.Set();
            bool[] led = await Task.WhenAll(tries);
            Assert.Equal(1, led.Count(x => x));
            _clock.Advance(TimeSpan.FromSeconds(11));
        }
    }

    [Fact]
    public async Task The_sweep_reclaims_and_removes_workers_whose_heartbeat_is_too_old_and_never_itself()
    {
        PostgresTaskStore store = Open();
        IStorageDriver driver = store;
        await store.RegisterWorkerAsync(new WorkerRecord { Id = "dead", Host = "h", ProcessId = 1 });
        await store.RegisterWorkerAsync(new WorkerRecord { Id = "alive", Host = "h", ProcessId = 2 });
        await store.RegisterWorkerAsync(new WorkerRecord { Id = "me", Host = "h", ProcessId = 3 });
        long a = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        long b = (await store.EnqueueAsync(new EnqueueRequest("t"))).Task.Id;
        await store.ClaimAsync(new ClaimRequest("dead"));
        await store.ClaimAsync(new ClaimRequest("alive"));

        _clock.Advance(TimeSpan.FromSeconds(50));
        await store.HeartbeatWorkerAsync("alive", new[] { b });
        Assert.Empty(await driver.SweepDeadWorkersAsync("me", TimeSpan.FromMinutes(1), default));

        _clock.Advance(TimeSpan.FromSeconds(20)); // dead and me: 70 s silent; alive: 20 s
        var swept = await driver.SweepDeadWorkersAsync("me", TimeSpan.FromMinutes(1), default);
        (string id, ReclaimResult result) = Assert.Single(swept);
        Assert.Equal("dead", id);
        Assert.Equal(1, result.Requeued);
        Assert.Equal(new[] { "alive", "me" }, (await store.ListWorkersAsync()).Select(w => w.Id));
        TaskRecord rescued = (await store.GetAsync(a))!;
        Assert.Equal(TaskStatus.Queued, rescued.Status);
        Assert.Contains("dead", Assert.Single(rescued.Errors).Message);
        Assert.Equal(TaskStatus.Running, (await store.GetAsync(b))!.Status);
        Assert.Null(driver.HoldLiveness("me", _clock));
        driver.RunUpkeep();
    }
}
