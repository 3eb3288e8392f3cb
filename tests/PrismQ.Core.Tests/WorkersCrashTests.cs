using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Storage;
using Xunit;
using Xunit.Abstractions;

namespace PrismQ.Tests;

/// <summary>Crash safety with real processes and real kills (worker processes stand in for hosts).</summary>
public abstract class WorkersCrashTests : WorkersBackendTests
{
    private readonly ITestOutputHelper _output;

    protected WorkersCrashTests(ITestOutputHelper output) => _output = output;

    /// <summary>
    /// The soak on this backend: its size unless PRISMQ_SOAK_TASKS says otherwise, how often a worker process is killed
    /// and how many times at most (null: until the work is done), and the worker processes' extra options (how a killed
    /// process's tasks are taken over differs by backend).
    /// </summary>
    private protected abstract SoakPlan Soak { get; }

    private protected sealed record SoakPlan(int Tasks, TimeSpan KillEvery, int? Kills, params string[] WorkerOptions);

    /// <summary>Waits until the worker process writing <paramref name="side"/> has started task <paramref name="id"/>.</summary>
    private protected static Task UntilStarted(string side, long id) =>
        WorkersTestDb.Until(() => Task.FromResult(File.Exists(side) && File.ReadAllText(side).Contains("E " + id + " ")), "the victim starts task " + id);

    /// <summary>Kills <paramref name="victim"/> (and waits for its end) once it has started task <paramref name="id"/>, or fails.</summary>
    private protected static async Task KillOnceStartedAsync(Process victim, string side, long id)
    {
        try
        {
            await UntilStarted(side, id);
        }
        finally
        {
            victim.Kill(entireProcessTree: true);
            await victim.WaitForExitAsync().Within();
        }
    }

    /// <summary>
    /// The soak: 4 worker processes (concurrency 4 each, each its own worker id) process the tasks while the test kills
    /// a random one at work with <see cref="Process.Kill(bool)"/> every <see cref="SoakPlan.KillEvery"/> and starts a replacement. Size:
    /// PRISMQ_SOAK_TASKS, else the backend's <see cref="Soak"/> (docs/operations.md gives the command for a larger run).
    /// Every task ends once, succeeded, and only by its last claim: any other execution was killed or had lost its lease.
    /// </summary>
    [Fact]
    public async Task Soak_four_processes_with_random_kills_lose_nothing_and_finish_nothing_twice()
    {
        SoakPlan plan = Soak;
        int count = int.TryParse(Environment.GetEnvironmentVariable("PRISMQ_SOAK_TASKS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : plan.Tasks;
        using var db = NewDb();
        await db.Store.EnqueueManyAsync(Enumerable.Range(0, count).Select(i => new EnqueueRequest("soak", "{\"i\":" + i + "}") { MaxAttempts = 1000 }));

        var random = new Random(12345);
        var live = new List<(Process Process, string Side)>();
        var killed = new HashSet<string>();
        var all = new List<(Process Process, string Side)>();
        int started = 0;
        (Process, string) Start()
        {
            string side = Path.Combine(db.Folder, $"worker-{started}.log");
            Process p = WorkersTestHost.StartWorker(db.Location, side, new[] { "--concurrency", "4", "--id", $"soak-{started++}" }.Concat(plan.WorkerOptions).ToArray());
            all.Add((p, side));
            return (p, side);
        }

        var clock = Stopwatch.StartNew();
        int kills = 0;
        try
        {
            for (int i = 0; i < 4; i++) live.Add(Start());
            while (true)
            {
                QueueStats stats = (await db.Store.GetQueueStatsAsync())[0];
                if (stats.Succeeded == count) break;
                if (clock.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"soak not done: {stats.Succeeded}/{count} succeeded");
                await Task.Delay(plan.KillEvery);
                live.RemoveAll(w => w.Process.HasExited);
                // The victim is a process at work (it has started a task), so that every kill leaves claimed tasks behind,
                // however slowly the processes start on this machine.
                var working = live.Where(w => File.Exists(w.Side) && File.ReadLines(w.Side).Any(l => l.StartsWith("E ", StringComparison.Ordinal))).ToList();
                if (working.Count > 0 && (plan.Kills is null || kills < plan.Kills))
                {
                    (Process victim, string side) = working[random.Next(working.Count)];
                    victim.Kill(entireProcessTree: true);
                    await victim.WaitForExitAsync().Within();
                    killed.Add(side);
                    live.Remove((victim, side));
                    kills++;
                }
                while (live.Count < 4) live.Add(Start());
            }
            // The survivors stop on their own (idle timeout) and must exit cleanly.
            foreach ((Process p, _) in live)
            {
                await p.WaitForExitAsync().Within();
                Assert.Equal(0, p.ExitCode);
            }
        }
        finally
        {
            foreach ((Process p, _) in all)
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
        }
        _output.WriteLine($"{count} tasks, {kills} kills, {started} processes, {clock.Elapsed.TotalSeconds:F1} s");

        // Every task succeeded; none is running, queued or lost.
        QueueStats final = (await db.Store.GetQueueStatsAsync())[0];
        Assert.Equal(count, final.Succeeded);
        Assert.Equal(0, final.Running + final.Queued + final.Failed + final.Cancelled);

        var executions = new List<(long Id, string Token, int Attempt, string Side)>();
        var outcomes = new Dictionary<string, string>(); // token -> outcome
        foreach ((_, string side) in all)
        {
            if (!File.Exists(side)) continue;
            foreach (string line in File.ReadAllLines(side))
            {
                string[] parts = line.Split(' ');
                if (parts[0] == "E" && parts.Length == 4) executions.Add((long.Parse(parts[1], CultureInfo.InvariantCulture), parts[2], int.Parse(parts[3], CultureInfo.InvariantCulture), side));
                else if (parts[0] == "O" && parts.Length == 4) outcomes[parts[2]] = parts[3];
            }
        }

        IReadOnlyList<TaskRecord> tasks = await db.Store.QueryAsync(new TaskQuery { Limit = 100_000 });
        Assert.Equal(count, tasks.Count);
        ILookup<long, (long Id, string Token, int Attempt, string Side)> byTask = executions.ToLookup(e => e.Id);
        int extra = 0;
        foreach (TaskRecord task in tasks)
        {
            Assert.Equal(TaskStatus.Succeeded, task.Status);
            string finalToken = JsonDocument.Parse(task.Result!).RootElement.GetProperty("token").GetString()!;
            var runs = byTask[task.Id].ToList();
            // The successful execution is recorded, and it was the last claim: attempts are counted exactly.
            var success = runs.Single(r => r.Token == finalToken);
            Assert.Equal(task.Attempts, success.Attempt);
            Assert.Equal(runs.Count, runs.Select(r => r.Attempt).Distinct().Count());
            Assert.True(runs.Count <= task.Attempts);
            Assert.All(runs, r => Assert.InRange(r.Attempt, 1, task.Attempts));
            foreach (var run in runs.Where(r => r.Token != finalToken))
            {
                extra++;
                // Any other execution belongs to a worker that was killed, or to an attempt whose lease was lost.
                bool ok = killed.Contains(run.Side) || (outcomes.TryGetValue(run.Token, out string? outcome) && outcome == "LeaseLost");
                Assert.True(ok, $"task {task.Id}: execution {run.Token} (attempt {run.Attempt}) in {Path.GetFileName(run.Side)} was neither killed nor lost its lease (outcome {(outcomes.TryGetValue(run.Token, out string? o) ? o : "none")})");
                Assert.NotEqual("Succeeded", outcomes.TryGetValue(run.Token, out string? other) ? other : null);
            }
        }
        _output.WriteLine($"{executions.Count} executions, {extra} beyond the successful one");
    }
}

/// <summary>SQLite: a killed process's liveness lock is free at once, so its tasks are taken over without waiting for any lease.</summary>
[Collection(WorkersTestHost.Collection)]
public sealed class WorkersCrashTestsOnSqlite : WorkersCrashTests
{
    public WorkersCrashTestsOnSqlite(ITestOutputHelper output)
        : base(output)
    {
    }

    protected override TestBackend Backend => TestBackend.Sqlite;

    /// <summary>
    /// 20,000 tasks (about 10 s here), a kill every half second, the default 30 s lease: only liveness can explain the
    /// takeovers in time. A process stops when it has found no work for 1.5 s.
    /// </summary>
    private protected override SoakPlan Soak => new(20_000, TimeSpan.FromMilliseconds(500), Kills: null, "--idle-timeout", "1500");

    [Fact]
    public async Task A_killed_worker_s_task_is_taken_over_by_liveness_not_by_lease_expiry()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        string side = Path.Combine(db.Folder, "killed.log");
        // A 10-minute lease: only the dead-process check can explain a takeover within the test's patience.
        using Process victim = WorkersTestHost.StartWorker(db.DbPath, side, "--lease", "600", "--block", "--id", "victim-1");
        await KillOnceStartedAsync(victim, side, id);
        Assert.Equal(TaskStatus.Running, (await db.GetAsync(id)).Status);
        Assert.Contains(await db.Store.ListWorkersAsync(), w => w.Id == "victim-1");

        var worker = new Worker(db.Store, new WorkerOptions { MaxTasks = 1, Handlers = { ["t"] = (c, t) => Task.FromResult<string?>("\"rescued\"") } });
        WorkerRunSummary summary = await worker.RunAsync().Within();

        Assert.Equal(1, summary.Succeeded);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Succeeded, task.Status);
        Assert.Equal("\"rescued\"", task.Result);
        Assert.Equal(2, task.Attempts); // the killed attempt is counted
        Assert.DoesNotContain(await db.Store.ListWorkersAsync(), w => w.Id == "victim-1");
    }

    /// <summary>
    /// A killed worker shows dead in the registry at once (its liveness lock is free), though its last heartbeat is
    /// fresh and no other worker has swept it yet; a live one stays alive.
    /// </summary>
    [Fact]
    public async Task A_killed_worker_is_listed_dead_at_once_not_alive_until_its_heartbeat_goes_stale()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        string side = Path.Combine(db.Folder, "killed.log");
        // No other worker runs, so nobody sweeps the victim: only the registry's own judgement can show it dead.
        using Process victim = WorkersTestHost.StartWorker(db.DbPath, side, "--lease", "600", "--block", "--id", "victim-2");
        try
        {
            await UntilStarted(side, id);
            Assert.Equal(WorkerState.Alive, (await WorkerRegistry.ListAsync(db.Store)).Single(w => w.Record.Id == "victim-2").State);
        }
        finally
        {
            victim.Kill(entireProcessTree: true);
            await victim.WaitForExitAsync().Within();
        }

        WorkerInfo dead = (await WorkerRegistry.ListAsync(db.Store)).Single(w => w.Record.Id == "victim-2");
        Assert.Equal(WorkerState.Dead, dead.State);
        Assert.True(dead.HeartbeatAge < WorkerRegistry.DefaultStaleAfter, "judged by its process, not by a stale heartbeat");
        Assert.Equal(TaskStatus.Running, (await db.GetAsync(id)).Status); // nobody has taken the task over yet
    }
}

/// <summary>
/// PostgreSQL: workers on other hosts cannot be checked for their process, so a killed worker's tasks come back when
/// their lease expires (short leases here), and the worker itself is swept once its heartbeat is old enough.
/// </summary>
[Trait("Backend", "PostgreSQL")]
[Collection(WorkersTestHost.Collection)]
public sealed class WorkersCrashTestsOnPostgres : WorkersCrashTests
{
    public WorkersCrashTestsOnPostgres(ITestOutputHelper output)
        : base(output)
    {
    }

    protected override TestBackend Backend => TestBackend.Postgres;

    /// <summary>
    /// 500 tasks, 3 s leases, 6 kills a second apart: a killed process's tasks are rescued when their lease expires,
    /// by the maintenance leader, whose lead outlives a killed leader by its term (5 s). Killing until the work is done,
    /// as on SQLite, could starve it here: a killed process's tasks wait for their lease, and the replacements are slow
    /// to start (Npgsql). A process stops when it has found no work for 10 s, longer than a rescue can take (lease,
    /// a heartbeat interval, a leader's term), so that the survivors wait for the rescued tasks instead of being replaced.
    /// </summary>
    private protected override SoakPlan Soak => new(500, TimeSpan.FromSeconds(1), Kills: 6, "--lease", "3", "--idle-timeout", "10000");

    [Fact]
    public async Task A_killed_worker_s_task_is_taken_over_once_its_lease_expires()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        string side = Path.Combine(db.Folder, "killed.log");
        using Process victim = WorkersTestHost.StartWorker(db.Location, side, "--lease", "2", "--block", "--id", "victim-1");
        await KillOnceStartedAsync(victim, side, id);
        TaskRecord held = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Running, held.Status);
        Assert.Equal("victim-1", held.LeaseOwner);

        // A short lease of its own, so that the rescuer looks for expired leases often (each heartbeat interval).
        var worker = new Worker(db.Store, new WorkerOptions { MaxTasks = 1, LeaseDuration = TimeSpan.FromSeconds(3), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>("\"rescued\"") } });
        WorkerRunSummary summary = await worker.RunAsync().Within();

        Assert.Equal(1, summary.Succeeded);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Succeeded, task.Status);
        Assert.Equal("\"rescued\"", task.Result);
        Assert.Equal(2, task.Attempts); // the killed attempt is counted
        Assert.Equal(worker.WorkerId, task.LeaseOwner);
    }

    /// <summary>
    /// The counterpart of SQLite's "listed dead at once": a killed worker shows dead once its heartbeat is older than the
    /// stale age, and a sweep then takes its task back and unregisters it (no worker runs meanwhile: nothing else rescues it).
    /// </summary>
    [Fact]
    public async Task A_killed_worker_is_listed_dead_by_its_heartbeat_age_and_swept_with_its_task()
    {
        using var db = NewDb();
        long id = await db.EnqueueAsync("t");
        string side = Path.Combine(db.Folder, "killed.log");
        // A 3 s lease: the victim heartbeats every second while it lives.
        using Process victim = WorkersTestHost.StartWorker(db.Location, side, "--lease", "3", "--block", "--id", "victim-2");
        try
        {
            await UntilStarted(side, id);
            Assert.Equal(WorkerState.Alive, (await WorkerRegistry.ListAsync(db.Store)).Single(w => w.Record.Id == "victim-2").State);
        }
        finally
        {
            victim.Kill(entireProcessTree: true);
            await victim.WaitForExitAsync().Within();
        }
        // Three heartbeats missed: dead by the rule of this backend.
        TimeSpan deadAfter = TimeSpan.FromSeconds(3);
        await WorkersTestDb.Until(async () => (await WorkerRegistry.ListAsync(db.Store, deadAfter)).Single(w => w.Record.Id == "victim-2").State == WorkerState.Dead, "the victim is listed dead");
        Assert.Equal(TaskStatus.Running, (await db.GetAsync(id)).Status); // listing judges, it takes nothing over

        var swept = await StorageDrivers.Of(db.Store).SweepDeadWorkersAsync("me", deadAfter, CancellationToken.None);

        (string sweptId, ReclaimResult result) = Assert.Single(swept);
        Assert.Equal("victim-2", sweptId);
        Assert.Equal(1, result.Requeued);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Queued, task.Status);
        Assert.Null(task.LeaseOwner);
        Assert.Equal(1, task.Attempts); // the killed attempt is counted
        Assert.DoesNotContain(await db.Store.ListWorkersAsync(), w => w.Id == "victim-2");
    }
}
