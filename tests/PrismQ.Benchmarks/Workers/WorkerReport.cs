using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Benchmarks.Storage;

namespace PrismQ.Benchmarks.Workers;

/// <summary>
/// What BenchmarkDotNet cannot measure well, measured beside the same raw baseline in one run and printed as a
/// Markdown table: throughput of two worker processes, claim-to-start latency (p50, p99) under load, and the CPU an
/// idle worker uses. Run: <c>dotnet run -c Release --project tests/PrismQ.Benchmarks -- worker-report</c>.
/// </summary>
internal static class WorkerReport
{
    private const int Tasks = 20_000;
    private static readonly Task<string?> NoResult = Task.FromResult<string?>(null);

    public static int Run()
    {
        Console.WriteLine($"Worker report, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, {Tasks:N0} no-op tasks per run");
        Console.WriteLine();
        Console.WriteLine("| durability | what | tasks/s | ratio to raw cycle | claim-to-start p50 | p99 |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (Durability durability in new[] { Durability.Normal, Durability.Full })
        {
            double raw = RawCycleRate(durability);
            Console.WriteLine($"| {durability} | raw claim + complete, one at a time | {raw:N0} | 1.00 | | |");
            foreach (int concurrency in new[] { 1, 4, 16 })
            {
                (double rate, double p50, double p99) = InProcess(durability, concurrency);
                Console.WriteLine($"| {durability} | 1 process, concurrency {concurrency} | {rate:N0} | {rate / raw:N2} | {p50:N1} ms | {p99:N1} ms |");
            }

            (double twoRate, double twoP50, double twoP99) = TwoProcesses(durability);
            Console.WriteLine($"| {durability} | 2 processes, concurrency 4 each | {twoRate:N0} | {twoRate / raw:N2} | {twoP50:N1} ms | {twoP99:N1} ms |");
        }

        Console.WriteLine();
        TracingCost();

        Console.WriteLine();
        double idle = IdleCpuPercent(TimeSpan.FromSeconds(30));
        Console.WriteLine($"Idle worker (empty queue, default options), measured over 30 s after 5 s of warm-up: {idle:N3} % of one core (process CPU time)");
        return 0;
    }

    private static double RawCycleRate(Durability durability)
    {
        using var db = new BenchmarkDatabase("raw");
        db.CreateSchema(durability);
        using var raw = new RawSqlite(db.Path, durability);
        raw.InsertMany(Tasks, "{}");
        var sw = Stopwatch.StartNew();
        int done = 0;
        while (raw.ClaimAndComplete()) done++;
        return done / sw.Elapsed.TotalSeconds;
    }

    private static (double Rate, double P50, double P99) InProcess(Durability durability, int concurrency)
    {
        using var db = new BenchmarkDatabase("worker");
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db.Path, Durability = durability });
        store.EnqueueManyAsync(WorkerThroughputBenchmarks.Requests(Tasks), batchSize: 10_000).GetAwaiter().GetResult();
        var starts = new ConcurrentDictionary<long, long>();
        var options = new WorkerOptions { Concurrency = concurrency, MaxTasks = Tasks };
        options.Handlers["bench"] = (context, _) =>
        {
            starts[context.TaskId] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            return NoResult;
        };
        var sw = Stopwatch.StartNew();
        WorkerRunSummary summary = new Worker(store, options).RunAsync().GetAwaiter().GetResult();
        double rate = summary.Succeeded / sw.Elapsed.TotalSeconds;
        (double p50, double p99) = Latencies(store, starts);
        return (rate, p50, p99);
    }

    private static (double Rate, double P50, double P99) TwoProcesses(Durability durability)
    {
        using var db = new BenchmarkDatabase("two");
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db.Path, Durability = durability });
        store.EnqueueManyAsync(WorkerThroughputBenchmarks.Requests(Tasks), batchSize: 10_000).GetAwaiter().GetResult();
        long startMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Process[] children = Enumerable.Range(0, 2).Select(i => StartChild(db.Path, durability, i)).ToArray();
        var starts = new ConcurrentDictionary<long, long>();
        foreach (Process child in children)
        {
            string output = child.StandardOutput.ReadToEnd();
            child.WaitForExit();
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] parts = line.Split(' ');
                if (parts.Length == 2 && long.TryParse(parts[0], out long id) && long.TryParse(parts[1], out long ms)) starts[id] = ms;
            }
        }

        long succeeded = store.GetQueueStatsAsync().GetAwaiter().GetResult().Sum(q => q.Succeeded);
        if (succeeded != Tasks) throw new InvalidOperationException($"two processes finished {succeeded} of {Tasks} tasks");
        // The run ends with the last completion (the children then idle for a second before they stop).
        long endMs = store.QueryAsync(new TaskQuery { Filter = new TaskFilter { Statuses = new[] { TaskStatus.Succeeded } }, Limit = Tasks })
            .GetAwaiter().GetResult().Max(t => t.FinishedAt!.Value.ToUnixTimeMilliseconds());
        (double p50, double p99) = Latencies(store, starts);
        return (Tasks / ((endMs - startMs) / 1000.0), p50, p99);
    }

    private static Process StartChild(string db, Durability durability, int index)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
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
        return Process.Start(info)!;
    }

    /// <summary>A child process: a worker at concurrency 4 that stops when the queue has been idle for a second; prints "id startMs" per task.</summary>
    public static int Child(string db, string durability, string workerId)
    {
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db, Durability = Enum.Parse<Durability>(durability) });
        var starts = new ConcurrentQueue<(long, long)>();
        var options = new WorkerOptions { Concurrency = 4, IdleTimeout = TimeSpan.FromSeconds(1), WorkerId = workerId };
        options.Handlers["bench"] = (context, _) =>
        {
            starts.Enqueue((context.TaskId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            return NoResult;
        };
        new Worker(store, options).RunAsync().GetAwaiter().GetResult();
        var text = new System.Text.StringBuilder();
        foreach ((long id, long ms) in starts) text.Append(id).Append(' ').Append(ms).Append('\n');
        Console.Out.Write(text.ToString());
        return 0;
    }

    /// <summary>p50 and p99 of (handler start - claim), in ms; the claim instant is the task's StartedAt as stored.</summary>
    private static (double P50, double P99) Latencies(SqliteTaskStore store, ConcurrentDictionary<long, long> starts)
    {
        var claimed = new Dictionary<long, long>();
        long? after = null;
        while (true)
        {
            IReadOnlyList<TaskRecord> page = store.QueryAsync(new TaskQuery { Limit = 10_000, AfterId = after }).GetAwaiter().GetResult();
            if (page.Count == 0) break;
            foreach (TaskRecord t in page) claimed[t.Id] = t.StartedAt!.Value.ToUnixTimeMilliseconds();
            after = page[^1].Id;
        }

        double[] latencies = starts.Where(s => claimed.ContainsKey(s.Key)).Select(s => (double)Math.Max(0, s.Value - claimed[s.Key])).OrderBy(x => x).ToArray();
        if (latencies.Length == 0) return (double.NaN, double.NaN);
        return (latencies[(int)(latencies.Length * 0.50)], latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * 0.99))]);
    }

    /// <summary>
    /// Tracing on against off, in process CPU time per task (all threads, the drain's included) and wall time: a worker
    /// at concurrency 4 runs 10,000 no-op tasks, alternating off and on, seven pairs; the medians are compared.
    /// </summary>
    public static void TracingCost()
    {
        const int tasks = 10_000;
        var cpu = new List<double>[] { new(), new() };
        var wall = new List<double>[] { new(), new() };
        for (int round = 0; round < 8; round++)
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
        Console.WriteLine("Tracing on vs off (worker at concurrency 4, 10,000 no-op tasks incl. enqueue and the final drain, 7 alternating pairs, medians):");
        Console.WriteLine();
        Console.WriteLine("| measure | tracing off | tracing on | on / off |");
        Console.WriteLine("|---|---:|---:|---:|");
        Console.WriteLine($"| process CPU time per task | {cpuOff:N1} µs | {cpuOn:N1} µs | {cpuOn / cpuOff:N3} |");
        Console.WriteLine($"| wall time per task | {wallOff:N1} µs | {wallOn:N1} µs | {wallOn / wallOff:N3} |");
    }

    /// <summary>CPU time the process spends while one worker waits on an empty queue, as a percentage of one core.</summary>
    private static double IdleCpuPercent(TimeSpan period)
    {
        using var db = new BenchmarkDatabase("idle");
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db.Path });
        var options = new WorkerOptions { MaxRunTime = period + TimeSpan.FromSeconds(10) };
        options.Handlers["bench"] = (_, _) => NoResult;
        using var stop = new CancellationTokenSource();
        Task<WorkerRunSummary> run = new Worker(store, options).RunAsync(stop.Token);
        Thread.Sleep(5000); // let start-up (registration, first polls, tiered JIT) pass before measuring
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
