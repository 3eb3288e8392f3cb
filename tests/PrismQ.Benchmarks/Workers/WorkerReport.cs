using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using PrismQ.Benchmarks.Storage;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks.Workers;

/// <summary>
/// The worker measured end to end against raw baselines in the same run, printed as Markdown. Run:
/// <c>dotnet run -c Release --project tests/PrismQ.Benchmarks -- worker-report [--tasks N] [--quick]</c>
/// (see <see cref="Usage"/> for every option).
/// </summary>
/// <remarks>
/// <para>Sections: (1) the raw loops on the simplest queue schema (<see cref="RawQueue"/>: claim 1 + complete 1, and
/// claim 32 + complete 32) and the worker at concurrency 1, 4, 16 and 64 in one process, each as tasks/s and as a ratio
/// to both raw loops, with the claim-to-start latency; (2) two and four worker processes whose total concurrency is
/// the best single-process one, against that process's rate; (3) tracing on against off; (4) the CPU of an idle
/// worker; (5) the worker with 1,000,000 tasks queued against the same run with only the claimed N queued.</para>
/// <para>Every run uses only the public API (<see cref="SqliteTaskStore"/>, <see cref="Worker"/>). Each worker run
/// checks that every task ran exactly once: handler runs and distinct task ids both equal the task count, and the
/// store counts that many succeeded. Measurements are repeated in interleaved rounds (raw, then each worker run, then
/// again) and the medians are printed, so a load that comes and goes falls on every row alike.</para>
/// </remarks>
internal static class WorkerReport
{
    private static readonly Task<string?> NoResult = Task.FromResult<string?>(null);
    private static readonly int[] Concurrencies = { 1, 4, 16, 64 };
    private const int MillionQueued = 1_000_000;

    private const string Usage = """
        worker-report [--tasks N] [--quick] [--rounds R] [--idle-seconds S] [--durability-full] [--no-million]
          --tasks N          no-op tasks per run (default 50,000; 10,000 with --quick)
          --quick            a ~2 minute run: 10,000 tasks, one round, 3 tracing pairs, 5 s idle, no 1,000,000 section
          --rounds R         interleaved rounds per measurement, medians printed (default 3; 1 with --quick)
          --idle-seconds S   how long the idle worker's CPU is measured (default 30; 5 with --quick)
          --durability-full  also measure the raw loops, the worker and the processes under Durability Full
          --no-million       skip the 1,000,000 queued tasks section (--quick skips it too)
        """;

    private sealed class Settings
    {
        public int Tasks { get; set; } = 50_000;
        public bool Quick { get; set; }
        public int Rounds { get; set; } = 3;
        public int IdleSeconds { get; set; } = 30;
        public int TracingPairs { get; set; } = 7;
        public bool DurabilityFull { get; set; }
        public bool Million { get; set; } = true;
    }

    /// <summary>One worker run: its rate, claim-to-start latency and the exactly-once check.</summary>
    private readonly record struct WorkerRun(double Rate, double P50, double P99, long Runs, long Distinct, long Succeeded);

    public static int Run(string[] args)
    {
        Settings? settings = Parse(args);
        if (settings is null)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var total = Stopwatch.StartNew();
        PrintHeader(settings, args);
        WarmUp();
        var durabilities = settings.DurabilityFull ? new[] { Durability.Normal, Durability.Full } : new[] { Durability.Normal };
        int best = 0;
        foreach (Durability durability in durabilities)
        {
            int bestHere = Throughput(settings, durability);
            if (durability == Durability.Normal) best = bestHere;
        }

        Console.WriteLine("## Tracing on vs off");
        Console.WriteLine();
        Progress("tracing on/off");
        TracingCost(settings.TracingPairs);

        Console.WriteLine("## Idle worker");
        Console.WriteLine();
        Progress("idle CPU");
        TimeSpan warmUp = TimeSpan.FromSeconds(settings.Quick ? 2 : 5);
        double idle = IdleCpuPercent(TimeSpan.FromSeconds(settings.IdleSeconds), warmUp);
        Console.WriteLine($"Empty queue, default options, process CPU time over {settings.IdleSeconds} s after {warmUp.TotalSeconds:N0} s of warm-up: **{idle:N3} % of one core**.");
        Console.WriteLine();

        if (settings.Million && !settings.Quick) MillionSection(settings, best);

        Console.WriteLine($"Report finished in {total.Elapsed.TotalMinutes:N1} min.");
        return 0;
    }

    /// <summary>
    /// Runs every code path once on a few tasks before anything is measured (tiered JIT, SQLite's first pages), so the
    /// first row of the first round is not the one that pays for it.
    /// </summary>
    private static void WarmUp()
    {
        Progress("warm-up");
        const int tasks = 2_000;
        RawRate(Durability.Normal, tasks, batched: false);
        RawRate(Durability.Normal, tasks, batched: true);
        foreach (int concurrency in Concurrencies) InProcess(Durability.Normal, concurrency, tasks, queued: tasks);
    }

    /// <summary>A worker in this process runs <paramref name="tasks"/> no-op tasks on a scratch database (a child's warm-up).</summary>
    private static void WarmUpWorker(int concurrency, int tasks, Durability durability)
    {
        using var db = new BenchmarkDatabase("warm");
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db.Path, Durability = durability });
        Enqueue(store, tasks);
        var options = new WorkerOptions { Concurrency = concurrency, MaxTasks = tasks };
        options.Handlers["bench"] = (_, _) => NoResult;
        new Worker(store, options).RunAsync().GetAwaiter().GetResult();
    }

    private static Settings? Parse(string[] args)
    {
        var settings = new Settings();
        int? tasks = null, rounds = null, idle = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            bool hasValue = i + 1 < args.Length;
            switch (arg)
            {
                case "--quick": settings.Quick = true; break;
                case "--durability-full": settings.DurabilityFull = true; break;
                case "--no-million": settings.Million = false; break;
                case "--tasks" when hasValue && int.TryParse(args[i + 1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out int t) && t > 0:
                    tasks = t; i++; break;
                case "--rounds" when hasValue && int.TryParse(args[i + 1], out int r) && r > 0:
                    rounds = r; i++; break;
                case "--idle-seconds" when hasValue && int.TryParse(args[i + 1], out int s) && s > 0:
                    idle = s; i++; break;
                default:
                    Console.Error.WriteLine($"worker-report: unknown or incomplete argument '{arg}'");
                    return null;
            }
        }

        if (settings.Quick)
        {
            settings.Tasks = 10_000;
            settings.Rounds = 1;
            settings.IdleSeconds = 5;
            settings.TracingPairs = 3;
        }

        settings.Tasks = tasks ?? settings.Tasks;
        settings.Rounds = rounds ?? settings.Rounds;
        settings.IdleSeconds = idle ?? settings.IdleSeconds;
        return settings;
    }

    private static void PrintHeader(Settings settings, string[] args)
    {
        string sqlite;
        string plan;
        using (var db = new BenchmarkDatabase("probe"))
        using (var raw = new RawQueue(db.Path, Durability.Normal))
        {
            sqlite = raw.SqliteVersion;
            plan = raw.ClaimPlan().TrimEnd(' ', ';');
        }

        string command = "dotnet run -c Release --project tests/PrismQ.Benchmarks -- worker-report" + (args.Length > 0 ? " " + string.Join(" ", args) : "");
        Console.WriteLine("# Worker report");
        Console.WriteLine();
        Console.WriteLine("| | |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| date | {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC |");
        Console.WriteLine($"| command | `{command}` |");
        Console.WriteLine($"| machine | {Environment.ProcessorCount} cores, {RuntimeInformation.ProcessArchitecture}, {OsName()} |");
        Console.WriteLine($"| runtime | {RuntimeInformation.FrameworkDescription}, SQLite {sqlite} |");
        Console.WriteLine($"| runs | {settings.Tasks:N0} no-op tasks per run; {settings.Rounds} interleaved round(s), medians; durability {(settings.DurabilityFull ? "Normal and Full" : "Normal")} |");
        Console.WriteLine($"| raw claim plan | {plan} |");
        Console.WriteLine();
    }

    private static string OsName()
    {
        try
        {
            string? pretty = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            if (pretty is not null)
            {
                string name = pretty["PRETTY_NAME=".Length..].Trim('"');
                return name == RuntimeInformation.OSDescription ? name + ", kernel " + Environment.OSVersion.Version : name + " (" + RuntimeInformation.OSDescription + ")";
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return RuntimeInformation.OSDescription;
    }

    private static void Progress(string what) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {what}");

    /// <summary>The raw loops, the worker in one process at each concurrency, then two and four processes; returns the best concurrency.</summary>
    private static int Throughput(Settings settings, Durability durability)
    {
        int tasks = settings.Tasks;
        var rawSingle = new List<double>();
        var rawBatched = new List<double>();
        var inProcess = Concurrencies.ToDictionary(c => c, _ => new List<WorkerRun>());
        for (int round = 0; round < settings.Rounds; round++)
        {
            Progress($"{durability}: round {round + 1} of {settings.Rounds}, raw loops and one process");
            rawSingle.Add(RawRate(durability, tasks, batched: false));
            rawBatched.Add(RawRate(durability, tasks, batched: true));
            foreach (int concurrency in Concurrencies) inProcess[concurrency].Add(InProcess(durability, concurrency, tasks, queued: tasks));
        }

        double single = Statistics.Median(rawSingle);
        double batched = Statistics.Median(rawBatched);
        Dictionary<int, WorkerRun> medians = inProcess.ToDictionary(p => p.Key, p => Medians(p.Value));
        int best = medians.MaxBy(p => p.Value.Rate).Key;

        Console.WriteLine($"## Throughput, Durability {durability}");
        Console.WriteLine();
        Console.WriteLine($"{tasks:N0} no-op tasks per run, medians of {settings.Rounds} round(s). Raw loops: `RawQueue`, the simplest queue schema (one table, one partial index on ready rows); latency from the task's claim instant as stored to its handler's start.");
        Console.WriteLine();
        Console.WriteLine("| what | tasks/s | × raw single cycle | × raw batched (32) | claim-to-start p50 | p99 | runs / distinct ids |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| raw: claim 1 + complete 1 (two commits per task) | {single:N0} | 1.00 | {single / batched:N3} | | | |");
        Console.WriteLine($"| raw: claim 32 + complete 32 (two commits per 32 tasks) | {batched:N0} | {batched / single:N2} | 1.000 | | | |");
        foreach (int concurrency in Concurrencies)
        {
            WorkerRun r = medians[concurrency];
            Console.WriteLine($"| PrismQ worker, 1 process, concurrency {concurrency}{(concurrency == best ? " (best)" : "")} | {r.Rate:N0} | {r.Rate / single:N2} | {r.Rate / batched:N3} | {r.P50:N1} ms | {r.P99:N1} ms | {Checked(r, tasks)} |");
        }

        Console.WriteLine();

        // Two and four processes sharing the best single-process concurrency between them.
        var layouts = new[] { 2, 4 }.Select(p => (Processes: p, Each: Math.Max(1, best / p))).ToArray();
        var multi = layouts.ToDictionary(l => l.Processes, _ => new List<WorkerRun>());
        for (int round = 0; round < settings.Rounds; round++)
        {
            foreach ((int processes, int each) in layouts)
            {
                Progress($"{durability}: round {round + 1} of {settings.Rounds}, {processes} processes × concurrency {each}");
                multi[processes].Add(Processes(durability, processes, each, tasks));
            }
        }

        WorkerRun one = medians[best];
        Console.WriteLine($"### Several processes, Durability {durability}");
        Console.WriteLine();
        Console.WriteLine($"Separate OS processes on one database, total concurrency {best} (the best single-process one above). Each child first runs 2,000 tasks on a scratch database (a warm-up, as the in-process worker is warm), opens the store and builds its worker, then all are started together; the rate runs from that start to the last completion as stored. Each child stops after 1 s without work.");
        Console.WriteLine();
        Console.WriteLine($"| what | tasks/s | × 1 process at concurrency {best} | × raw single cycle | claim-to-start p50 | p99 | runs / distinct ids |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| 1 process, concurrency {best} | {one.Rate:N0} | 1.00 | {one.Rate / single:N2} | {one.P50:N1} ms | {one.P99:N1} ms | {Checked(one, tasks)} |");
        foreach ((int processes, int each) in layouts)
        {
            WorkerRun r = Medians(multi[processes]);
            Console.WriteLine($"| {processes} processes × concurrency {each} | {r.Rate:N0} | {r.Rate / one.Rate:N2} | {r.Rate / single:N2} | {r.P50:N1} ms | {r.P99:N1} ms | {Checked(r, tasks)} |");
        }

        Console.WriteLine();
        return best;
    }

    /// <summary>
    /// The worker at concurrency 1 and at the best concurrency, claiming N tasks with N queued and with 1,000,000
    /// queued, in interleaved rounds. The 1,000,000-task database is enqueued once through the store and copied for
    /// each run (the store closed, so the copy is the whole database), so that a round costs no million-task enqueue.
    /// </summary>
    private static void MillionSection(Settings settings, int best)
    {
        int tasks = settings.Tasks;
        int[] concurrencies = best == 1 ? new[] { 1 } : new[] { 1, best };
        var small = concurrencies.ToDictionary(c => c, _ => new List<WorkerRun>());
        var large = concurrencies.ToDictionary(c => c, _ => new List<WorkerRun>());
        Progress($"1,000,000 queued: enqueueing the template database");
        using var template = new BenchmarkDatabase("million");
        using (SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = template.Path, Durability = Durability.Normal }))
            Enqueue(store, MillionQueued);
        SqliteConnection.ClearAllPools();

        for (int round = 0; round < settings.Rounds; round++)
        {
            foreach (int concurrency in concurrencies)
            {
                Progress($"1,000,000 queued: round {round + 1} of {settings.Rounds}, concurrency {concurrency}");
                small[concurrency].Add(InProcess(Durability.Normal, concurrency, tasks, queued: tasks));
                large[concurrency].Add(InProcess(Durability.Normal, concurrency, tasks, queued: MillionQueued, template.Path));
            }
        }

        Console.WriteLine("## 1,000,000 queued tasks");
        Console.WriteLine();
        Console.WriteLine($"Durability Normal, FIFO. The worker claims the first {tasks:N0} tasks (`MaxTasks`) of a queue holding {MillionQueued:N0}, against the same run with only {tasks:N0} queued; medians of {settings.Rounds} interleaved round(s).");
        Console.WriteLine();
        Console.WriteLine($"| concurrency | {tasks:N0} queued: tasks/s | {MillionQueued:N0} queued: tasks/s | 1M / N | p50 / p99 at N | p50 / p99 at 1M | runs / distinct ids at 1M |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int concurrency in concurrencies)
        {
            WorkerRun s = Medians(small[concurrency]), l = Medians(large[concurrency]);
            Console.WriteLine($"| {concurrency} | {s.Rate:N0} | {l.Rate:N0} | {l.Rate / s.Rate:N2} | {s.P50:N1} / {s.P99:N1} ms | {l.P50:N1} / {l.P99:N1} ms | {Checked(l, tasks)} |");
        }

        Console.WriteLine();
    }

    private static string Checked(WorkerRun run, int tasks) =>
        run.Runs == tasks && run.Distinct == tasks && run.Succeeded == tasks
            ? $"{run.Runs:N0} / {run.Distinct:N0} ok"
            : $"**{run.Runs:N0} / {run.Distinct:N0}, {run.Succeeded:N0} succeeded: NOT exactly once**";

    /// <summary>Medians of each measure; the check columns keep the worst round (any round not exactly once shows).</summary>
    private static WorkerRun Medians(List<WorkerRun> runs)
    {
        WorkerRun worst = runs.FirstOrDefault(r => r.Runs != r.Distinct || r.Runs != r.Succeeded, runs[0]);
        return new WorkerRun(
            Statistics.Median(runs.Select(r => r.Rate).ToList()),
            Statistics.Median(runs.Select(r => r.P50).ToList()),
            Statistics.Median(runs.Select(r => r.P99).ToList()),
            worst.Runs, worst.Distinct, worst.Succeeded);
    }

    /// <summary>A raw loop over <paramref name="tasks"/> ready tasks on <see cref="RawQueue"/>; checks every task was done once.</summary>
    private static double RawRate(Durability durability, int tasks, bool batched)
    {
        using var db = new BenchmarkDatabase("raw");
        double rate;
        using (var raw = new RawQueue(db.Path, durability))
        {
            raw.InsertMany(tasks, "{}");
            var sw = Stopwatch.StartNew();
            long done = 0;
            if (batched)
            {
                int n;
                while ((n = raw.ClaimBatchCompleteBatch()) > 0) done += n;
            }
            else
            {
                while (raw.ClaimOneCompleteOne()) done++;
            }

            rate = done / sw.Elapsed.TotalSeconds;
            (long ready, long running, long finished, long maxAttempts) = raw.Counts();
            if (done != tasks || ready != 0 || running != 0 || finished != tasks || maxAttempts != 1)
                throw new InvalidOperationException($"raw loop: {done} done, {ready} ready, {running} running, {finished} finished, max attempts {maxAttempts}, of {tasks}");
        }

        return rate;
    }

    private static void Enqueue(SqliteTaskStore store, int count) =>
        store.EnqueueManyAsync(WorkerThroughputBenchmarks.Requests(count), batchSize: 10_000).GetAwaiter().GetResult();

    /// <summary>One worker in this process claims <paramref name="tasks"/> of <paramref name="queued"/> queued no-op tasks (MaxTasks).</summary>
    /// <remarks>With <paramref name="template"/>, the database is a copy of that file (which holds <paramref name="queued"/> tasks) instead of enqueued here.</remarks>
    private static WorkerRun InProcess(Durability durability, int concurrency, int tasks, int queued, string? template = null)
    {
        using var db = new BenchmarkDatabase("worker");
        if (template is not null)
        {
            File.Copy(template, db.Path);
            if (File.Exists(template + "-wal")) File.Copy(template + "-wal", db.Path + "-wal");
        }

        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db.Path, Durability = durability });
        if (template is null) Enqueue(store, queued);
        else if (store.GetQueueStatsAsync().GetAwaiter().GetResult().Sum(q => q.Queued) != queued)
            throw new InvalidOperationException($"the copy of {template} does not hold {queued} queued tasks");
        var starts = new ConcurrentDictionary<long, long>();
        long runs = 0;
        var options = new WorkerOptions { Concurrency = concurrency, MaxTasks = tasks };
        options.Handlers["bench"] = (context, _) =>
        {
            Interlocked.Increment(ref runs);
            starts[context.TaskId] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            return NoResult;
        };
        var worker = new Worker(store, options);
        var sw = Stopwatch.StartNew();
        WorkerRunSummary summary = worker.RunAsync().GetAwaiter().GetResult();
        double rate = summary.Succeeded / sw.Elapsed.TotalSeconds;
        Stored stored = ReadSucceeded(store);
        (double p50, double p99) = Latencies(stored, starts.Select(s => (s.Key, s.Value)));
        return new WorkerRun(rate, p50, p99, Interlocked.Read(ref runs), starts.Count, stored.Claimed.Count);
    }

    /// <summary>
    /// <paramref name="processes"/> child processes, each a worker at <paramref name="concurrency"/>, share
    /// <paramref name="tasks"/> queued tasks. The children open their store and build their worker, report ready, and
    /// are started together; the rate runs from that start to the last completion as stored.
    /// </summary>
    private static WorkerRun Processes(Durability durability, int processes, int concurrency, int tasks)
    {
        using var db = new BenchmarkDatabase("processes");
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db.Path, Durability = durability });
        Enqueue(store, tasks);
        Process[] children = Enumerable.Range(0, processes).Select(i => StartChild(db.Path, durability, i, concurrency)).ToArray();
        try
        {
            foreach (Process child in children)
            {
                string? line = child.StandardOutput.ReadLine();
                if (line != "ready") throw new InvalidOperationException($"worker-child did not report ready: '{line}' {child.StandardError.ReadToEnd()}");
            }

            long startMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (Process child in children)
            {
                child.StandardInput.WriteLine("go");
                child.StandardInput.Flush();
            }

            // Read every child's output at once: a child blocked on a full pipe would look like a slow worker.
            Task<string>[] outputs = children.Select(c => c.StandardOutput.ReadToEndAsync()).ToArray();
            Task.WaitAll(outputs);
            foreach (Process child in children)
            {
                child.WaitForExit();
                if (child.ExitCode != 0) throw new InvalidOperationException($"worker-child exited with {child.ExitCode}: {child.StandardError.ReadToEnd()}");
            }

            var starts = new List<(long Id, long Ms)>(tasks);
            foreach (Task<string> output in outputs)
            {
                foreach (string line in output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    string[] parts = line.Split(' ');
                    if (parts.Length == 2 && long.TryParse(parts[0], out long id) && long.TryParse(parts[1], out long ms)) starts.Add((id, ms));
                }
            }

            long distinct = starts.Select(s => s.Id).Distinct().LongCount();
            Stored stored = ReadSucceeded(store);
            double rate = stored.Claimed.Count / ((stored.LastFinishedMs - startMs) / 1000.0);
            (double p50, double p99) = Latencies(stored, starts);
            return new WorkerRun(rate, p50, p99, starts.Count, distinct, stored.Claimed.Count);
        }
        finally
        {
            foreach (Process child in children)
            {
                if (!child.HasExited) child.Kill();
                child.Dispose();
            }
        }
    }

    private static Process StartChild(string db, Durability durability, int index, int concurrency)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string self = typeof(WorkerReport).Assembly.Location;
        if (!Environment.ProcessPath!.EndsWith("PrismQ.Benchmarks", StringComparison.OrdinalIgnoreCase)
            && !Environment.ProcessPath.EndsWith("PrismQ.Benchmarks.exe", StringComparison.OrdinalIgnoreCase))
            info.ArgumentList.Add(self);
        info.ArgumentList.Add("worker-child");
        info.ArgumentList.Add(db);
        info.ArgumentList.Add(durability.ToString());
        info.ArgumentList.Add("child-" + index.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(concurrency.ToString(CultureInfo.InvariantCulture));
        return Process.Start(info)!;
    }

    /// <summary>
    /// A child process: warms up on 2,000 tasks of a scratch database, opens the store, builds a worker at <paramref name="concurrency"/> (default 4) that stops when
    /// the queue has been idle for a second, prints "ready", waits for a line on stdin, runs, then prints "id startMs"
    /// per handler run (one line per run, so a task run twice shows twice).
    /// </summary>
    public static int Child(string db, string durability, string workerId, string? concurrency)
    {
        int parallel = concurrency is null ? 4 : int.Parse(concurrency, CultureInfo.InvariantCulture);
        Durability mode = Enum.Parse<Durability>(durability);
        WarmUpWorker(parallel, 2_000, mode); // as warm as the in-process worker it is compared with
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db, Durability = mode });
        var starts = new ConcurrentQueue<(long, long)>();
        var options = new WorkerOptions { Concurrency = parallel, IdleTimeout = TimeSpan.FromSeconds(1), WorkerId = workerId };
        options.Handlers["bench"] = (context, _) =>
        {
            starts.Enqueue((context.TaskId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            return NoResult;
        };
        var worker = new Worker(store, options);
        Console.Out.Write("ready\n");
        Console.Out.Flush();
        Console.In.ReadLine();
        worker.RunAsync().GetAwaiter().GetResult();
        var text = new System.Text.StringBuilder();
        foreach ((long id, long ms) in starts) text.Append(id).Append(' ').Append(ms).Append('\n');
        Console.Out.Write(text.ToString());
        Console.Out.Flush();
        return 0;
    }

    /// <summary>Each succeeded task's claim instant (its StartedAt as stored), and the last FinishedAt.</summary>
    private sealed record Stored(Dictionary<long, long> Claimed, long LastFinishedMs);

    private static Stored ReadSucceeded(SqliteTaskStore store)
    {
        var claimed = new Dictionary<long, long>();
        long last = 0;
        long? after = null;
        var filter = new TaskFilter { Statuses = new[] { TaskStatus.Succeeded } };
        while (true)
        {
            IReadOnlyList<TaskRecord> page = store.QueryAsync(new TaskQuery { Filter = filter, Limit = 10_000, AfterId = after }).GetAwaiter().GetResult();
            if (page.Count == 0) break;
            foreach (TaskRecord t in page)
            {
                claimed[t.Id] = t.StartedAt!.Value.ToUnixTimeMilliseconds();
                last = Math.Max(last, t.FinishedAt!.Value.ToUnixTimeMilliseconds());
            }

            after = page[^1].Id;
        }

        return new Stored(claimed, last);
    }

    /// <summary>p50 and p99 of (handler start - claim), in ms; the claim instant is the task's StartedAt as stored.</summary>
    private static (double P50, double P99) Latencies(Stored stored, IEnumerable<(long Id, long Ms)> starts)
    {
        double[] latencies = starts.Where(s => stored.Claimed.ContainsKey(s.Id))
            .Select(s => (double)Math.Max(0, s.Ms - stored.Claimed[s.Id])).OrderBy(x => x).ToArray();
        if (latencies.Length == 0) return (double.NaN, double.NaN);
        return (latencies[(int)(latencies.Length * 0.50)], latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * 0.99))]);
    }

    /// <summary>
    /// Tracing on against off, in process CPU time per task (all threads, the drain's included) and wall time: a worker
    /// at concurrency 4 runs 10,000 no-op tasks, alternating off and on, one warm-up pair then <paramref name="pairs"/>
    /// measured pairs; the medians are compared.
    /// </summary>
    public static void TracingCost(int pairs = 7)
    {
        const int tasks = 10_000;
        var cpu = new List<double>[] { new(), new() };
        var wall = new List<double>[] { new(), new() };
        for (int round = 0; round <= pairs; round++)
        {
            for (int on = 0; on < 2; on++)
            {
                using var db = new BenchmarkDatabase("tracing");
                Process self = Process.GetCurrentProcess();
                TimeSpan cpuBefore = self.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                using (SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db.Path, Tracing = on == 1 ? new TraceOptions() : null }))
                {
                    store.EnqueueManyAsync(WorkerThroughputBenchmarks.Requests(tasks), batchSize: 10_000).GetAwaiter().GetResult();
                    var options = new WorkerOptions { Concurrency = 4, MaxTasks = tasks };
                    options.Handlers["bench"] = (_, _) => NoResult;
                    new Worker(store, options).RunAsync().GetAwaiter().GetResult();
                } // disposing the store drains the trace session: its cost is counted
                self.Refresh();
                if (round == 0) continue; // warm-up pair
                cpu[on].Add((self.TotalProcessorTime - cpuBefore).TotalMilliseconds * 1000 / tasks);
                wall[on].Add(sw.Elapsed.TotalMilliseconds * 1000 / tasks);
            }
        }

        double cpuOff = Statistics.Median(cpu[0]), cpuOn = Statistics.Median(cpu[1]);
        double wallOff = Statistics.Median(wall[0]), wallOn = Statistics.Median(wall[1]);
        Console.WriteLine($"Worker at concurrency 4, 10,000 no-op tasks incl. enqueue and the final drain, {pairs} alternating pairs after a warm-up pair, medians:");
        Console.WriteLine();
        Console.WriteLine("| measure | tracing off | tracing on | on / off |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| process CPU time per task | {cpuOff:N1} µs | {cpuOn:N1} µs | {cpuOn / cpuOff:N3} |");
        Console.WriteLine($"| wall time per task | {wallOff:N1} µs | {wallOn:N1} µs | {wallOn / wallOff:N3} |");
        Console.WriteLine();
    }

    /// <summary>CPU time the process spends while one worker waits on an empty queue, as a percentage of one core.</summary>
    private static double IdleCpuPercent(TimeSpan period, TimeSpan warmUp)
    {
        using var db = new BenchmarkDatabase("idle");
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db.Path });
        var options = new WorkerOptions { MaxRunTime = warmUp + period + TimeSpan.FromSeconds(10) };
        options.Handlers["bench"] = (_, _) => NoResult;
        using var stop = new CancellationTokenSource();
        Task<WorkerRunSummary> run = new Worker(store, options).RunAsync(stop.Token);
        Thread.Sleep(warmUp); // let start-up (registration, first polls, tiered JIT) pass before measuring
        Process self = Process.GetCurrentProcess();
        TimeSpan cpuBefore = self.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        Thread.Sleep(period);
        self.Refresh();
        TimeSpan cpu = self.TotalProcessorTime - cpuBefore;
        double percent = cpu.TotalMilliseconds / sw.Elapsed.TotalMilliseconds * 100;
        stop.Cancel();
        run.GetAwaiter().GetResult();
        return percent;
    }
}
