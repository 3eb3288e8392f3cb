using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.Data.Sqlite;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks.Workers;

/// <summary>
/// A measurement, not a test, of <see cref="DatabaseChangeWatcher"/>: what one <c>PRAGMA data_version</c> read costs,
/// the latency from a commit in a child process (and in a second connection of this process) to the watcher's
/// callback, p50 and p99 over 200 commits, and the CPU an idle watcher uses, as a percentage of one core.
/// Run: <c>dotnet run -c Release --project tests/PrismQ.Benchmarks -- wake-report</c> (about two minutes).
/// </summary>
/// <remarks>
/// Timestamps are <see cref="Stopwatch.GetTimestamp"/> in both processes: a monotonic clock shared by every process of
/// the machine (CLOCK_MONOTONIC on Linux, QueryPerformanceCounter on Windows), so a child's instant and ours compare.
/// Each commit starts after a random pause of 0 to 20 ms, so commits fall at every point of the watcher's poll cycle.
/// </remarks>
internal static class WakeReport
{
    private const int Commits = 200;
    private const int WarmUpCommits = 20;
    private static readonly TimeSpan CallbackTimeout = TimeSpan.FromSeconds(10);

    public static int Run()
    {
        Console.WriteLine($"Wake report, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, " +
                          $"poll interval {DatabaseChangeWatcher.PollInterval.TotalMilliseconds:N0} ms");
        Console.WriteLine();

        using var db = new BenchmarkDatabase("wake");
        db.CreateSchema(Durability.Normal);

        (double readCpuUs, double readWallUs) = ReadCost(db.Path, 100_000);
        Console.WriteLine($"One PRAGMA data_version read (prepared, read-only connection, nothing changed), 100,000 reads: {readCpuUs:N2} µs CPU, {readWallUs:N2} µs wall");
        Console.WriteLine();

        Console.WriteLine($"Commit to callback, {Commits} commits after {WarmUpCommits} warm-up ones (from the return of the enqueue that committed):");
        Console.WriteLine();
        Console.WriteLine("| committer | p50 | p99 | max | enqueue call p50 | callbacks before the enqueue returned |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        PrintLatency("child process", ChildProcessLatencies(db.Path));
        PrintLatency("second connection, this process", SecondConnectionLatencies(db.Path));
        Console.WriteLine();

        var period = TimeSpan.FromSeconds(20);
        (double baseline, double sleeper, double watching, long polls) = IdleCpu(db.Path, period);
        Console.WriteLine($"Idle CPU over {period.TotalSeconds:N0} s (process CPU time; a store open on the file, nothing commits; 5 s warm-up before each):");
        Console.WriteLine();
        Console.WriteLine("| process | % of one core |");
        Console.WriteLine("|---|---:|");
        Console.WriteLine($"| no watcher | {baseline:N3} % |");
        Console.WriteLine($"| no watcher, a thread that only sleeps {DatabaseChangeWatcher.PollInterval.TotalMilliseconds:N0} ms in a loop (the floor of any poller) | {sleeper:N3} % |");
        Console.WriteLine($"| one watcher subscribed | {watching:N3} % |");
        Console.WriteLine($"| difference (the watcher) | {watching - baseline:N3} % |");
        Console.WriteLine();
        double perPoll = (watching - baseline) / 100 * period.TotalMilliseconds * 1000 / Math.Max(1, polls);
        Console.WriteLine($"The watcher made {polls:N0} reads in {period.TotalSeconds:N0} s ({polls / period.TotalSeconds:N1} a second): about {perPoll:N1} µs of process CPU per poll, wake-up included.");
        return 0;
    }

    /// <summary>
    /// CPU and wall time of one prepared <c>PRAGMA data_version</c> read on a read-only connection, in µs, stepped
    /// through SQLitePCL as the watcher does.
    /// </summary>
    private static (double CpuUs, double WallUs) ReadCost(string path, int reads)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        if (SQLitePCL.raw.sqlite3_prepare_v2(connection.Handle, "PRAGMA data_version", out SQLitePCL.sqlite3_stmt statement) != SQLitePCL.raw.SQLITE_OK)
            throw new InvalidOperationException("PRAGMA data_version did not prepare");
        using (statement)
        {
            void Read()
            {
                SQLitePCL.raw.sqlite3_step(statement);
                SQLitePCL.raw.sqlite3_column_int64(statement, 0);
                SQLitePCL.raw.sqlite3_reset(statement);
            }

            for (int i = 0; i < 10_000; i++) Read();
            Process self = Process.GetCurrentProcess();
            self.Refresh();
            TimeSpan cpuBefore = self.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reads; i++) Read();
            double wall = sw.Elapsed.TotalMilliseconds * 1000 / reads;
            self.Refresh();
            return ((self.TotalProcessorTime - cpuBefore).TotalMilliseconds * 1000 / reads, wall);
        }
    }

    private readonly struct Sample
    {
        public Sample(double afterReturnMs, double enqueueMs)
        {
            AfterReturnMs = afterReturnMs;
            EnqueueMs = enqueueMs;
        }

        /// <summary>Callback instant minus the enqueue's return (negative: the callback came while the enqueue returned).</summary>
        public double AfterReturnMs { get; }

        public double EnqueueMs { get; }
    }

    private static void PrintLatency(string committer, List<Sample> samples)
    {
        double[] latency = samples.Select(s => Math.Max(0, s.AfterReturnMs)).OrderBy(x => x).ToArray();
        double[] enqueue = samples.Select(s => s.EnqueueMs).OrderBy(x => x).ToArray();
        int early = samples.Count(s => s.AfterReturnMs < 0);
        Console.WriteLine($"| {committer} | {Percentile(latency, 0.50):N2} ms | {Percentile(latency, 0.99):N2} ms | {latency[^1]:N2} ms | {Percentile(enqueue, 0.50):N2} ms | {early} of {samples.Count} |");
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * p))];

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    /// <summary>The watcher's callbacks, as the instant of the last one and an event.</summary>
    private sealed class Callbacks : IDisposable
    {
        private long _last;

        public AutoResetEvent Called { get; } = new(false);

        public long Last => Interlocked.Read(ref _last);

        public void OnChange()
        {
            Interlocked.Exchange(ref _last, Stopwatch.GetTimestamp());
            Called.Set();
        }

        public void Dispose() => Called.Dispose();
    }

    /// <summary>A child process commits one enqueue per line we send it; the watcher here sees each.</summary>
    private static List<Sample> ChildProcessLatencies(string path)
    {
        using var callbacks = new Callbacks();
        using Process child = StartChild(path);
        string? first = child.StandardOutput.ReadLine();
        if (first != "ready") throw new InvalidOperationException($"the wake child did not start ('{first}'): " + child.StandardError.ReadToEnd());
        var samples = new List<Sample>();
        var random = new Random(1);
        using (DatabaseChangeWatcher.Subscribe(path, callbacks.OnChange))
        {
            for (int i = 0; i < WarmUpCommits + Commits; i++)
            {
                Thread.Sleep(random.Next(0, 21));
                callbacks.Called.Reset();
                child.StandardInput.WriteLine("go");
                child.StandardInput.Flush();
                string[] reply = (child.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the wake child ended: " + child.StandardError.ReadToEnd())).Split(' ');
                long before = long.Parse(reply[0], CultureInfo.InvariantCulture), after = long.Parse(reply[1], CultureInfo.InvariantCulture);
                if (!callbacks.Called.WaitOne(CallbackTimeout)) throw new InvalidOperationException($"no callback within {CallbackTimeout} of commit {i}");
                if (i >= WarmUpCommits) samples.Add(new Sample(Ms(callbacks.Last - after), Ms(after - before)));
            }
        }
        child.StandardInput.Close();
        child.WaitForExit();
        return samples;
    }

    /// <summary>A second store in this process commits; the watcher's own connection sees it as another connection's.</summary>
    private static List<Sample> SecondConnectionLatencies(string path)
    {
        using var callbacks = new Callbacks();
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = path });
        var samples = new List<Sample>();
        var random = new Random(2);
        using (DatabaseChangeWatcher.Subscribe(path, callbacks.OnChange))
        {
            for (int i = 0; i < WarmUpCommits + Commits; i++)
            {
                Thread.Sleep(random.Next(0, 21));
                callbacks.Called.Reset();
                long before = Stopwatch.GetTimestamp();
                store.EnqueueAsync(new EnqueueRequest("wake")).GetAwaiter().GetResult();
                long after = Stopwatch.GetTimestamp();
                if (!callbacks.Called.WaitOne(CallbackTimeout)) throw new InvalidOperationException($"no callback within {CallbackTimeout} of commit {i}");
                if (i >= WarmUpCommits) samples.Add(new Sample(Ms(callbacks.Last - after), Ms(after - before)));
            }
        }
        return samples;
    }

    /// <summary>Process CPU, in % of one core, over <paramref name="period"/> without a watcher, then with one; and the watcher's reads meanwhile.</summary>
    private static (double Baseline, double Sleeper, double Watching, long Polls) IdleCpu(string path, TimeSpan period)
    {
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = path });
        GC.Collect();
        Thread.Sleep(5000);
        double baseline = CpuPercent(period);

        bool stop = false;
        var sleeping = new Thread(() =>
        {
            while (!Volatile.Read(ref stop)) Thread.Sleep((int)DatabaseChangeWatcher.PollInterval.TotalMilliseconds);
        }) { IsBackground = true };
        sleeping.Start();
        Thread.Sleep(2000);
        double sleeper = CpuPercent(period);
        Volatile.Write(ref stop, true);
        sleeping.Join();

        using IDisposable subscription = DatabaseChangeWatcher.Subscribe(path, () => { });
        DatabaseChangeWatcher watcher = DatabaseChangeWatcher.Find(path)!;
        Thread.Sleep(5000); // tiered JIT of the poll loop
        long pollsBefore = watcher.Polls;
        double watching = CpuPercent(period);
        long polls = watcher.Polls - pollsBefore;
        if (watcher.Changes != 0) Console.WriteLine($"(the idle watcher saw {watcher.Changes} changes)");
        return (baseline, sleeper, watching, polls);
    }

    private static double CpuPercent(TimeSpan period)
    {
        Process self = Process.GetCurrentProcess();
        self.Refresh();
        TimeSpan cpuBefore = self.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        Thread.Sleep(period);
        self.Refresh();
        return (self.TotalProcessorTime - cpuBefore).TotalMilliseconds / sw.Elapsed.TotalMilliseconds * 100;
    }

    private static Process StartChild(string db)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Run by its apphost, the child is the same executable; run by `dotnet`, it needs the assembly's path.
        string name = Path.GetFileName(Environment.ProcessPath!);
        if (!name.Equals("PrismQ.Benchmarks", StringComparison.OrdinalIgnoreCase) && !name.Equals("PrismQ.Benchmarks.exe", StringComparison.OrdinalIgnoreCase))
            info.ArgumentList.Add(typeof(WakeReport).Assembly.Location);
        info.ArgumentList.Add("wake-child");
        info.ArgumentList.Add(db);
        return Process.Start(info)!;
    }

    /// <summary>
    /// The child process: opens a store, prints <c>ready</c>, then for each line on standard input enqueues one task
    /// and prints the timestamps before the call and after it returned; ends at the end of input.
    /// </summary>
    public static int Child(string db)
    {
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db });
        store.EnqueueAsync(new EnqueueRequest("warm-up")).GetAwaiter().GetResult();
        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        while (Console.In.ReadLine() is not null)
        {
            long before = Stopwatch.GetTimestamp();
            store.EnqueueAsync(new EnqueueRequest("wake")).GetAwaiter().GetResult();
            long after = Stopwatch.GetTimestamp();
            Console.Out.WriteLine(before.ToString(CultureInfo.InvariantCulture) + " " + after.ToString(CultureInfo.InvariantCulture));
            Console.Out.Flush();
        }
        return 0;
    }
}
