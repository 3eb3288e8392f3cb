using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Tests.Storage;

/// <summary>Many threads and many processes on one SQLite database: each task completed exactly once, no key duplicated.</summary>
public sealed class StorageSqliteConcurrencyTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Db => _folder.File("queue.db");

    public void Dispose() => _folder.Dispose();

    private async Task<HashSet<long>> Seed(int count)
    {
        using SqliteTaskStore store = SqliteTaskStore.Open(Db);
        IReadOnlyList<long> ids = await store.EnqueueManyAsync(Enumerable.Range(0, count).Select(i => new EnqueueRequest("work", i.ToString(CultureInfo.InvariantCulture))), 5000);
        return ids.ToHashSet();
    }

    private async Task AssertAllSucceededOnce(int count)
    {
        using SqliteTaskStore store = SqliteTaskStore.Open(Db);
        QueueStats stats = (await store.GetQueueStatsAsync(new[] { QueueNames.Default })).Single();
        Assert.Equal(count, stats.Succeeded);
        Assert.Equal(0, stats.Running);
        Assert.Equal(0, stats.Queued);
        Assert.Equal(0, stats.Failed);
        IReadOnlyList<TaskRecord> claimedTwice = await store.QueryAsync(new TaskQuery { Limit = 100_000 });
        Assert.Equal(count, claimedTwice.Count);
        Assert.All(claimedTwice, t => Assert.Equal(1, t.Attempts));
    }

    [Fact]
    public async Task Eight_threads_claim_and_complete_20000_tasks_each_exactly_once()
    {
        const int count = 20_000;
        HashSet<long> seeded = await Seed(count);
        var completed = new ConcurrentDictionary<long, int>();
        var duplicates = new ConcurrentBag<long>();
        var errors = new ConcurrentBag<Exception>();
        var threads = new List<Thread>();
        for (int t = 0; t < 8; t++)
        {
            int worker = t;
            var thread = new Thread(() =>
            {
                try
                {
                    // Each thread has its own store (its own connection): they contend through SQLite locks, as processes do.
                    using SqliteTaskStore store = SqliteTaskStore.Open(Db);
                    int batch = worker % 2 == 0 ? 1 : 16;
                    var request = new ClaimRequest("thread-" + worker) { MaxCount = batch };
                    while (true)
                    {
                        IReadOnlyList<TaskRecord> tasks = store.ClaimAsync(request).GetAwaiter().GetResult();
                        if (tasks.Count == 0) return;
                        if (batch == 1)
                        {
                            Assert.Equal(LeaseOutcome.Applied, store.CompleteAsync(tasks[0].Id, tasks[0].LeaseToken!.Value).GetAwaiter().GetResult());
                        }
                        else
                        {
                            IReadOnlyList<LeaseOutcome> outcomes = store.CompleteManyAsync(tasks.Select(x => new TaskCompletion(x.Id, x.LeaseToken!.Value)).ToList()).GetAwaiter().GetResult();
                            Assert.All(outcomes, o => Assert.Equal(LeaseOutcome.Applied, o));
                        }
                        foreach (TaskRecord task in tasks)
                        {
                            if (!completed.TryAdd(task.Id, worker)) duplicates.Add(task.Id);
                        }
                    }
                }
                catch (Exception ex)
                {
                    errors.Add(ex);
                }
            });
            thread.Start();
            threads.Add(thread);
        }
        foreach (Thread thread in threads) Assert.True(thread.Join(TimeSpan.FromMinutes(5)), "a worker thread did not finish within 5 minutes");

        Assert.Empty(errors);
        Assert.Empty(duplicates);
        Assert.Equal(count, completed.Count);
        Assert.True(seeded.SetEquals(completed.Keys));
        Assert.True(completed.Values.Distinct().Count() > 1, "only one thread did any work: the test did not exercise concurrency");
        await AssertAllSucceededOnce(count);
    }

    [Fact]
    public async Task Four_processes_claim_and_complete_each_task_exactly_once()
    {
        const int count = 6_000;
        HashSet<long> seeded = await Seed(count);
        var processes = new List<(Process Process, string IdsFile)>();
        for (int p = 0; p < 4; p++)
        {
            string idsFile = _folder.File($"ids-{p}.txt");
            processes.Add((StorageTestHost.Start("claim-complete", Db, "proc-" + p, p % 2 == 0 ? "1" : "8", idsFile), idsFile));
        }

        int reported = 0;
        var all = new List<long>();
        foreach ((Process process, string idsFile) in processes)
        {
            using (process)
            {
                (int exit, string output, string error) = await StorageTestHost.WaitAsync(process, TimeSpan.FromMinutes(5));
                Assert.True(exit == 0, $"test host failed ({exit}): {error}");
                reported += int.Parse(output.Trim(), CultureInfo.InvariantCulture);
                all.AddRange(File.ReadAllLines(idsFile).Select(l => long.Parse(l, CultureInfo.InvariantCulture)));
            }
        }

        Assert.Equal(count, reported);
        Assert.Equal(count, all.Count);
        Assert.Equal(count, all.Distinct().Count());
        Assert.True(seeded.SetEquals(all));
        await AssertAllSucceededOnce(count);
    }

    [Fact]
    public async Task Concurrent_enqueues_with_the_same_keys_create_each_task_once_across_threads()
    {
        const int keys = 300;
        using (SqliteTaskStore.Open(Db))
        {
        }
        var results = new ConcurrentBag<EnqueueResult>();
        var errors = new ConcurrentBag<Exception>();
        using var start = new ManualResetEventSlim(false);
        var threads = Enumerable.Range(0, 6).Select(t => new Thread(() =>
        {
            try
            {
                using SqliteTaskStore store = SqliteTaskStore.Open(Db);
                start.Wait();
                for (int i = 0; i < keys; i++)
                {
                    int k = (i + t * 37) % keys;
                    results.Add(store.EnqueueAsync(new EnqueueRequest("keyed") { IdempotencyKey = "key-" + k }).GetAwaiter().GetResult());
                }
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        start.Set();
        threads.ForEach(t => Assert.True(t.Join(TimeSpan.FromMinutes(2))));

        Assert.Empty(errors);
        foreach (IGrouping<string?, EnqueueResult> byKey in results.GroupBy(r => r.Task.IdempotencyKey))
        {
            Assert.Equal(6, byKey.Count());
            Assert.Equal(1, byKey.Count(r => r.Created));
            Assert.Single(byKey.Select(r => r.Task.Id).Distinct());
        }
        using SqliteTaskStore check = SqliteTaskStore.Open(Db);
        Assert.Equal(keys, (await check.QueryAsync(new TaskQuery { Limit = 10_000 })).Count);
    }

    [Fact]
    public async Task Concurrent_enqueues_with_the_same_keys_create_each_task_once_across_processes()
    {
        const int keys = 400;
        using (SqliteTaskStore.Open(Db))
        {
        }
        var processes = Enumerable.Range(0, 3).Select(_ => StorageTestHost.Start("enqueue-keys", Db, "k-", keys.ToString(CultureInfo.InvariantCulture))).ToList();
        int created = 0;
        foreach (Process process in processes)
        {
            using (process)
            {
                (int exit, string output, string error) = await StorageTestHost.WaitAsync(process, TimeSpan.FromMinutes(3));
                Assert.True(exit == 0, $"test host failed ({exit}): {error}");
                created += int.Parse(output.Trim(), CultureInfo.InvariantCulture);
            }
        }
        Assert.Equal(keys, created);
        using SqliteTaskStore check = SqliteTaskStore.Open(Db);
        IReadOnlyList<TaskRecord> all = await check.QueryAsync(new TaskQuery { Limit = 10_000 });
        Assert.Equal(keys, all.Count);
        Assert.Equal(keys, all.Select(t => t.IdempotencyKey).Distinct().Count());
    }
}
