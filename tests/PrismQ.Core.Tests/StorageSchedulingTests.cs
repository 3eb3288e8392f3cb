using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>FIFO, LIFO, Priority (with and without aging) and Weighted Random: any store.</summary>
public abstract class StorageSchedulingTests : StoreTestBase
{
    private async Task<long> Add(ITaskStore store, int priority = 0, string queue = QueueNames.Default, TimeSpan? delay = null)
    {
        long id = (await store.EnqueueAsync(new EnqueueRequest("t") { Priority = priority, Queue = queue, Delay = delay })).Task.Id;
        Clock.Advance(TimeSpan.FromMilliseconds(10));
        return id;
    }

    private static async Task<List<long>> ClaimAllOneByOne(ITaskStore store, SchedulingStrategy strategy, TimeSpan? aging = null, params string[] queues)
    {
        var order = new List<long>();
        while (true)
        {
            IReadOnlyList<TaskRecord> c = await store.ClaimAsync(new ClaimRequest("w")
            {
                Strategy = strategy,
                PriorityAging = aging,
                Queues = queues.Length == 0 ? new[] { QueueNames.Default } : queues,
            });
            if (c.Count == 0) return order;
            order.Add(Assert.Single(c).Id);
        }
    }

    [Fact]
    public async Task Fifo_claims_in_order_of_becoming_ready()
    {
        ITaskStore store = Open();
        long a = await Add(store);
        long delayed = await Add(store, delay: TimeSpan.FromSeconds(5));
        long b = await Add(store);
        long c = await Add(store);
        Assert.Equal(new[] { a, b, c }, await ClaimAllOneByOne(store, SchedulingStrategy.Fifo));
        Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(new[] { delayed }, await ClaimAllOneByOne(store, SchedulingStrategy.Fifo));
    }

    [Fact]
    public async Task Lifo_claims_the_most_recently_ready_first_and_a_batch_comes_in_that_order()
    {
        ITaskStore store = Open();
        long a = await Add(store);
        long b = await Add(store);
        long future = await Add(store, delay: TimeSpan.FromMinutes(1));
        long c = await Add(store);
        IReadOnlyList<TaskRecord> batch = await store.ClaimAsync(new ClaimRequest("w") { Strategy = SchedulingStrategy.Lifo, MaxCount = 10 });
        Assert.Equal(new[] { c, b, a }, batch.Select(t => t.Id));
        Assert.DoesNotContain(future, batch.Select(t => t.Id));
    }

    [Fact]
    public async Task Priority_claims_highest_first_then_fifo_within_a_level()
    {
        ITaskStore store = Open();
        long p0 = await Add(store, 0);
        long p5a = await Add(store, 5);
        long pm3 = await Add(store, -3);
        long p5b = await Add(store, 5);
        long p9late = await Add(store, 9, delay: TimeSpan.FromMinutes(1));
        Assert.Equal(new[] { p5a, p5b, p0, pm3 }, await ClaimAllOneByOne(store, SchedulingStrategy.Priority));
        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(new[] { p9late }, await ClaimAllOneByOne(store, SchedulingStrategy.Priority));
    }

    [Fact]
    public async Task Priority_batch_comes_in_priority_order()
    {
        ITaskStore store = Open();
        long low = await Add(store, 1);
        long high = await Add(store, 7);
        long mid = await Add(store, 3);
        IReadOnlyList<TaskRecord> batch = await store.ClaimAsync(new ClaimRequest("w") { Strategy = SchedulingStrategy.Priority, MaxCount = 3 });
        Assert.Equal(new[] { high, mid, low }, batch.Select(t => t.Id));
    }

    [Fact]
    public async Task Aging_lets_an_old_low_priority_task_through()
    {
        ITaskStore store = Open();
        long old = await Add(store, 0);
        Clock.Advance(TimeSpan.FromSeconds(100));
        long fresh1 = await Add(store, 10);
        long fresh2 = await Add(store, 10);

        // Without aging the fresh high-priority tasks win.
        IReadOnlyList<TaskRecord> plain = await store.ClaimAsync(new ClaimRequest("w") { Strategy = SchedulingStrategy.Priority });
        Assert.Equal(fresh1, plain.Single().Id);
        await store.ReleaseAsync(fresh1, plain.Single().LeaseToken!.Value);

        // With one level per second of waiting, the 100 s old task (effective 100) beats priority 10.
        Assert.Equal(new[] { old, fresh1, fresh2 }, await ClaimAllOneByOne(store, SchedulingStrategy.Priority, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Aging_with_a_long_step_keeps_strict_priority_and_skips_delayed_levels()
    {
        ITaskStore store = Open();
        long low = await Add(store, 1);
        long top = await Add(store, 50, delay: TimeSpan.FromHours(1));
        long mid = await Add(store, 5);
        long mid2 = await Add(store, 5);
        IReadOnlyList<TaskRecord> batch = await store.ClaimAsync(new ClaimRequest("w")
        {
            Strategy = SchedulingStrategy.Priority, PriorityAging = TimeSpan.FromDays(1), MaxCount = 10,
        });
        Assert.Equal(new[] { mid, mid2, low }, batch.Select(t => t.Id));
        Assert.DoesNotContain(top, batch.Select(t => t.Id));
    }

    [Fact]
    public async Task Several_queues_are_merged_in_strategy_order_and_paused_ones_skipped()
    {
        ITaskStore store = Open();
        long a1 = await Add(store, 0, "a");
        long b1 = await Add(store, 2, "b");
        long a2 = await Add(store, 3, "a");
        long c1 = await Add(store, 9, "c");
        await store.PauseQueueAsync("c");

        IReadOnlyList<TaskRecord> fifo = await store.ClaimAsync(new ClaimRequest("w") { Queues = new[] { "a", "b", "c" }, MaxCount = 10 });
        Assert.Equal(new[] { a1, b1, a2 }, fifo.Select(t => t.Id));
        foreach (TaskRecord t in fifo) await store.ReleaseAsync(t.Id, t.LeaseToken!.Value);

        IReadOnlyList<TaskRecord> prio = await store.ClaimAsync(new ClaimRequest("w") { Queues = new[] { "a", "b", "c" }, MaxCount = 2, Strategy = SchedulingStrategy.Priority });
        Assert.Equal(new[] { a2, b1 }, prio.Select(t => t.Id));

        Assert.Empty(await store.ClaimAsync(new ClaimRequest("w") { Queues = new[] { "c" } }));
        await store.ResumeQueueAsync("c");
        Assert.Equal(c1, (await store.ClaimAsync(new ClaimRequest("w") { Queues = new[] { "c" } })).Single().Id);
    }

    [Fact]
    public async Task Paused_queue_is_not_claimed_but_accepts_enqueues()
    {
        ITaskStore store = Open();
        await store.PauseQueueAsync(QueueNames.Default);
        await Add(store);
        foreach (SchedulingStrategy s in Enum.GetValues<SchedulingStrategy>())
            Assert.Empty(await store.ClaimAsync(new ClaimRequest("w") { Strategy = s }));
        QueueStats stats = (await store.GetQueueStatsAsync(new[] { QueueNames.Default })).Single();
        Assert.True(stats.Paused);
        Assert.Equal(1, stats.Queued);
        await store.ResumeQueueAsync(QueueNames.Default);
        Assert.Single(await store.ClaimAsync(new ClaimRequest("w")));
    }

    /// <summary>
    /// Weighted Random: three priority levels (-1, 0, 2: weights 1/2, 1, 3), ten tasks each. 12,000 times: claim one,
    /// count its level, release it (which draws a new key). The counts must fit the rule's probabilities
    /// n_l * w_l / sum(n_j * w_j) by a chi-square test at alpha = 0.001 (2 degrees of freedom: critical value 13.816).
    /// The random source is seeded, so the test is repeatable; a wrong rule (for example lowest-weight-first, or
    /// uniform) gives a statistic in the thousands.
    /// </summary>
    [Fact]
    public async Task Weighted_random_follows_the_stated_rule_by_a_chi_square_test()
    {
        ITaskStore store = Open(new StoreSettings { Clock = Clock, Random = new SeededRandom(20250101).Next });
        int[] priorities = { -1, 0, 2 };
        double[] weights = { 0.5, 1, 3 };
        const int perLevel = 10;
        const int claims = 12_000;
        var levelOf = new Dictionary<long, int>();
        for (int k = 0; k < perLevel; k++)
        {
            for (int l = 0; l < priorities.Length; l++) levelOf[await Add(store, priorities[l])] = l;
        }

        var counts = new int[priorities.Length];
        var request = new ClaimRequest("w") { Strategy = SchedulingStrategy.WeightedRandom };
        for (int i = 0; i < claims; i++)
        {
            TaskRecord t = (await store.ClaimAsync(request)).Single();
            counts[levelOf[t.Id]]++;
            Assert.Equal(LeaseOutcome.Applied, await store.ReleaseAsync(t.Id, t.LeaseToken!.Value));
        }

        double total = weights.Sum() * perLevel;
        double chi2 = 0;
        for (int l = 0; l < priorities.Length; l++)
        {
            double expected = claims * perLevel * weights[l] / total;
            chi2 += (counts[l] - expected) * (counts[l] - expected) / expected;
        }
        Assert.True(chi2 < 13.816, $"chi-square {chi2:F2} >= 13.816 (alpha 0.001, df 2); counts {string.Join(", ", counts)}");
    }

    /// <summary>Across two queues (weights 1 and 2, five tasks each): the pick follows the union's weights (df 1, alpha 0.001: 10.828).</summary>
    [Fact]
    public async Task Weighted_random_across_queues_follows_the_weights_of_the_union()
    {
        ITaskStore store = Open(new StoreSettings { Clock = Clock, Random = new SeededRandom(77).Next });
        var inA = new HashSet<long>();
        for (int k = 0; k < 5; k++)
        {
            inA.Add(await Add(store, 0, "a"));
            await Add(store, 1, "b");
        }
        const int claims = 6_000;
        int countA = 0;
        var request = new ClaimRequest("w") { Strategy = SchedulingStrategy.WeightedRandom, Queues = new[] { "a", "b" } };
        for (int i = 0; i < claims; i++)
        {
            TaskRecord t = (await store.ClaimAsync(request)).Single();
            if (inA.Contains(t.Id)) countA++;
            await store.ReleaseAsync(t.Id, t.LeaseToken!.Value);
        }
        double expectedA = claims / 3.0, expectedB = claims * 2 / 3.0;
        double chi2 = Math.Pow(countA - expectedA, 2) / expectedA + Math.Pow(claims - countA - expectedB, 2) / expectedB;
        Assert.True(chi2 < 10.828, $"chi-square {chi2:F2} >= 10.828 (alpha 0.001, df 1); queue a got {countA} of {claims}");
    }

    [Fact]
    public async Task Weighted_random_batch_takes_distinct_ready_tasks()
    {
        ITaskStore store = Open();
        for (int i = 0; i < 20; i++) await Add(store, i % 4);
        await Add(store, 100, delay: TimeSpan.FromHours(1));
        IReadOnlyList<TaskRecord> batch = await store.ClaimAsync(new ClaimRequest("w") { Strategy = SchedulingStrategy.WeightedRandom, MaxCount = 50 });
        Assert.Equal(20, batch.Select(t => t.Id).Distinct().Count());
        Assert.DoesNotContain(batch, t => t.Priority == 100);
    }
}
