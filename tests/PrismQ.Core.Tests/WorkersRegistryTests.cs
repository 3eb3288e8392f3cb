using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Storage;
using PrismQ.Workers;
using Xunit;

namespace PrismQ.Tests;

/// <summary>Worker visibility: registry, heartbeats, dead-worker detection (each backend's own rule in its subclass).</summary>
public abstract class WorkersRegistryTests : WorkersBackendTests
{
    [Fact]
    public async Task A_running_worker_is_listed_alive_with_its_tasks_and_removed_at_a_clean_stop()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = new Worker(db.Store, new WorkerOptions
        {
            Queues = new[] { "default", "other" },
            MaxTasks = 1,
            LeaseDuration = TimeSpan.FromSeconds(30), // a lease that cannot expire under load;
            HeartbeatFraction = 0.01,                  // heartbeats every 300 ms all the same
            Handlers = { ["t"] = async (c, t) => { await release.Task; return null; } },
        });
        Task<WorkerRunSummary> run = worker.RunAsync();
        await WorkersTestDb.Until(async () => (await db.Store.ListWorkersAsync()).Any(w => w.CurrentTaskIds.Contains(id)), "the registry heartbeat lists the running task");

        WorkerInfo info = Assert.Single(await WorkerRegistry.ListAsync(db.Store));
        Assert.Equal(worker.WorkerId, info.Record.Id);
        Assert.Equal(WorkerState.Alive, info.State);
        Assert.Equal(Environment.MachineName, info.Record.Host);
        Assert.Equal(Environment.ProcessId, info.Record.ProcessId);
        Assert.Equal(new[] { "default", "other" }, info.Record.Queues);
        // SQLite proves the worker alive by a lock file beside the database; PostgreSQL by its heartbeat only.
        string? lockFile = db.Backend == TestBackend.Sqlite ? WorkerLivenessLock.PathFor(db.DbPath + "-workers", worker.WorkerId) : null;
        if (lockFile is not null) Assert.True(File.Exists(lockFile));

        release.SetResult(true);
        await run.Within();
        Assert.Empty(await db.Store.ListWorkersAsync());
        if (lockFile is not null) Assert.False(File.Exists(lockFile));
    }

    [Fact]
    public async Task A_stale_heartbeat_shows_as_dead()
    {
        using var db = NewDb();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        await db.Store.RegisterWorkerAsync(new WorkerRecord { Id = "old", Host = "elsewhere", ProcessId = 1, Queues = new[] { "default" }, StartedAt = now.AddMinutes(-10), LastHeartbeatAt = now.AddMinutes(-5) });
        await db.Store.RegisterWorkerAsync(new WorkerRecord { Id = "fresh", Host = "elsewhere", ProcessId = 2, Queues = new[] { "default" }, StartedAt = now.AddMinutes(-1), LastHeartbeatAt = now });
        var list = await WorkerRegistry.ListAsync(db.Store);
        Assert.Equal(WorkerState.Dead, list.Single(w => w.Record.Id == "old").State);
        Assert.Equal(WorkerState.Alive, list.Single(w => w.Record.Id == "fresh").State);
        Assert.Equal(WorkerState.Dead, WorkerRegistry.StateOf(TimeSpan.FromSeconds(31), WorkerRegistry.DefaultStaleAfter));
        Assert.Equal(WorkerState.Alive, WorkerRegistry.StateOf(TimeSpan.FromSeconds(29), WorkerRegistry.DefaultStaleAfter));
    }

    [Fact]
    public async Task A_worker_runs_only_once()
    {
        using var db = NewDb();
        var worker = new Worker(db.Store, new WorkerOptions { MaxRunTime = TimeSpan.FromMilliseconds(50), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });
        await worker.RunAsync().Within();
        await Assert.ThrowsAsync<PrismQException>(() => worker.RunAsync());
    }
}

/// <summary>SQLite: liveness by lock files and by the process table of this host.</summary>
public sealed class WorkersRegistryTestsOnSqlite : WorkersRegistryTests
{
    protected override TestBackend Backend => TestBackend.Sqlite;

    [Fact]
    public async Task A_worker_of_this_host_whose_process_is_gone_is_swept_and_its_task_taken_over()
    {
        using var db = NewDb();
        int deadPid = await DeadProcessId();
        long id = await db.EnqueueAsync("t");
        await db.Store.RegisterWorkerAsync(new WorkerRecord { Id = "ghost", Host = Environment.MachineName, ProcessId = deadPid, Queues = new[] { "default" }, StartedAt = DateTimeOffset.UtcNow, LastHeartbeatAt = DateTimeOffset.UtcNow });
        Assert.Single(await db.Store.ClaimAsync(new ClaimRequest("ghost") { LeaseDuration = TimeSpan.FromHours(1) }));

        var worker = new Worker(db.Store, new WorkerOptions { MaxTasks = 1, Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });
        WorkerRunSummary summary = await worker.RunAsync().Within();

        Assert.Equal(1, summary.Succeeded);
        Assert.Equal(2, (await db.GetAsync(id)).Attempts);
        Assert.DoesNotContain(await db.Store.ListWorkersAsync(), w => w.Id == "ghost");
    }

    [Fact]
    public async Task A_held_liveness_lock_means_alive_and_a_free_one_means_dead()
    {
        using var db = NewDb();
        string folder = db.DbPath + "-workers";
        Directory.CreateDirectory(folder);
        // Both claim this (live) process id: only the lock decides.
        foreach (string name in new[] { "held", "free" })
            await db.Store.RegisterWorkerAsync(new WorkerRecord { Id = name, Host = Environment.MachineName, ProcessId = Environment.ProcessId, Queues = new[] { "default" }, StartedAt = DateTimeOffset.UtcNow, LastHeartbeatAt = DateTimeOffset.UtcNow });
        using WorkerLivenessLock? held = WorkerLivenessLock.Acquire(folder, "held", TimeSpan.Zero, TimeProvider.System);
        Assert.NotNull(held);
        File.WriteAllText(WorkerLivenessLock.PathFor(folder, "free"), "");

        var sweeper = new DeadWorkerSweeper(db.Store, "me", folder);
        var swept = await sweeper.SweepAsync(CancellationToken.None);

        Assert.Equal(new[] { "free" }, swept.Select(s => s.WorkerId));
        Assert.Equal(new[] { "held" }, (await db.Store.ListWorkersAsync()).Select(w => w.Id));
        Assert.False(File.Exists(WorkerLivenessLock.PathFor(folder, "free")));
    }

    [Fact]
    public async Task While_a_dead_worker_without_a_lock_file_is_reclaimed_no_worker_can_start_with_its_id()
    {
        // A worker restarted with a fixed id (PRISMQ_QUEUE_WORKER_ID) must not start between the sweeper's liveness
        // check and its reclaim: the reclaim takes back every lease of that id, so it would take the new worker's too.
        using var db = NewDb();
        string folder = db.DbPath + "-workers";
        Directory.CreateDirectory(folder);
        await db.Store.RegisterWorkerAsync(new WorkerRecord { Id = "fixed-id", Host = Environment.MachineName, ProcessId = await DeadProcessId(), Queues = new[] { "default" }, StartedAt = DateTimeOffset.UtcNow, LastHeartbeatAt = DateTimeOffset.UtcNow });
        Assert.False(File.Exists(WorkerLivenessLock.PathFor(folder, "fixed-id")));
        var store = new CountingStore(db.Store);
        bool? restartRefused = null;
        store.BeforeReclaimWorker = id =>
        {
            try
            {
                using WorkerLivenessLock? restarted = WorkerLivenessLock.Acquire(folder, id, TimeSpan.Zero, TimeProvider.System);
                restartRefused = restarted is null;
            }
            catch (PrismQException)
            {
                restartRefused = true;
            }
        };

        var swept = await new DeadWorkerSweeper(store, "me", folder).SweepAsync(CancellationToken.None);

        Assert.Equal(new[] { "fixed-id" }, swept.Select(s => s.WorkerId));
        Assert.True(restartRefused, "a worker with the dead worker's id could take its liveness lock during the reclaim");
        Assert.False(File.Exists(WorkerLivenessLock.PathFor(folder, "fixed-id")));
        using WorkerLivenessLock? afterwards = WorkerLivenessLock.Acquire(folder, "fixed-id", TimeSpan.Zero, TimeProvider.System);
        Assert.NotNull(afterwards);
    }

    [Fact]
    public async Task Workers_of_other_hosts_are_never_swept()
    {
        using var db = NewDb();
        await db.Store.RegisterWorkerAsync(new WorkerRecord { Id = "remote", Host = "another-machine", ProcessId = await DeadProcessId(), Queues = new[] { "default" }, StartedAt = DateTimeOffset.UtcNow, LastHeartbeatAt = DateTimeOffset.UtcNow });
        var sweeper = new DeadWorkerSweeper(db.Store, "me", db.DbPath + "-workers");
        Assert.Empty(await sweeper.SweepAsync(CancellationToken.None));
        Assert.Single(await db.Store.ListWorkersAsync());
    }

    [Fact]
    public async Task Two_running_workers_cannot_share_an_id_on_one_host()
    {
        using var db = NewDb();
        using var cts = new CancellationTokenSource();
        var first = new Worker(db.Store, new WorkerOptions { WorkerId = "same", Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });
        Task<WorkerRunSummary> run = first.RunAsync(cts.Token);
        await WorkersTestDb.Until(async () => (await db.Store.ListWorkersAsync()).Count == 1, "the first worker registers");
        var second = new Worker(db.Store, new WorkerOptions { WorkerId = "same", Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });
        var error = await Assert.ThrowsAsync<PrismQException>(() => second.RunAsync());
        Assert.Contains("'same'", error.Message);
        cts.Cancel();
        await run.Within();
    }

    private static async Task<int> DeadProcessId()
    {
        using Process process = Process.Start(new ProcessStartInfo("dotnet", "--version") { UseShellExecute = false, RedirectStandardOutput = true })!;
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.Id;
    }
}

/// <summary>PostgreSQL: liveness by heartbeat age only, on any host.</summary>
[Trait("Backend", "PostgreSQL")]
public sealed class WorkersRegistryTestsOnPostgres : WorkersRegistryTests
{
    protected override TestBackend Backend => TestBackend.Postgres;

    private static WorkerRecord Registered(string id, string host, TimeSpan heartbeatAge) => new()
    {
        Id = id,
        Host = host,
        ProcessId = 1,
        Queues = new[] { "default" },
        StartedAt = DateTimeOffset.UtcNow - heartbeatAge,
        LastHeartbeatAt = DateTimeOffset.UtcNow - heartbeatAge,
    };

    /// <summary>The counterpart of SQLite's gone-process sweep: here a heartbeat older than the dead age is what tells.</summary>
    [Fact]
    public async Task A_worker_whose_heartbeat_is_older_than_the_dead_age_is_swept_and_its_task_taken_over()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        await db.Store.RegisterWorkerAsync(Registered("ghost", Environment.MachineName, TimeSpan.FromMinutes(5)));
        // A lease of an hour: only the sweep of the silent worker can give the task back within the test's patience.
        Assert.Single(await db.Store.ClaimAsync(new ClaimRequest("ghost") { LeaseDuration = TimeSpan.FromHours(1) }));

        var worker = new Worker(db.Store, new WorkerOptions { MaxTasks = 1, Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });
        WorkerRunSummary summary = await worker.RunAsync().Within();

        Assert.Equal(1, summary.Succeeded);
        Assert.Equal(2, (await db.GetAsync(id)).Attempts);
        Assert.DoesNotContain(await db.Store.ListWorkersAsync(), w => w.Id == "ghost");
    }

    /// <summary>The counterpart of SQLite's other-host rule: any host's worker is judged, by its heartbeat age alone.</summary>
    [Fact]
    public async Task Only_workers_with_a_heartbeat_older_than_the_dead_age_are_swept_whatever_their_host()
    {
        using var db = NewDb();
        await db.Store.RegisterWorkerAsync(Registered("remote-fresh", "another-machine", TimeSpan.Zero));
        await db.Store.RegisterWorkerAsync(Registered("remote-silent", "another-machine", TimeSpan.FromMinutes(5)));
        await db.Store.RegisterWorkerAsync(Registered("local-fresh", Environment.MachineName, TimeSpan.Zero));

        var swept = await StorageDrivers.Of(db.Store).SweepDeadWorkersAsync("me", WorkerRegistry.DefaultStaleAfter, CancellationToken.None);

        Assert.Equal(new[] { "remote-silent" }, swept.Select(s => s.WorkerId));
        Assert.Equal(new[] { "local-fresh", "remote-fresh" }, (await db.Store.ListWorkersAsync()).Select(w => w.Id).OrderBy(w => w, StringComparer.Ordinal));
    }
}
