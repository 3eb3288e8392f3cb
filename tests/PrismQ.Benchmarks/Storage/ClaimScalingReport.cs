using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks.Storage;

/// <summary>
/// The claim cost at 1,000 against 1,000,000 queued tasks, measured interleaved so that a load that comes and goes on
/// a shared machine hits both sizes alike: for each strategy, rounds of 200 claims alternate between a database of
/// each size (the claimed tasks are released after each round, not measured). It compares the medians of the rounds
/// and their means: a round that meets a checkpoint's stall is slower, and the mean counts those stalls at their share.
/// Beside the time a claim takes on the caller's thread, it reports the mean CPU time of the whole process per claim,
/// which includes the store's checkpoint thread (whose work grows with the pages the claims scatter).
/// Run: <c>dotnet run -c Release --project tests/PrismQ.Benchmarks -- claim-scaling</c>.
/// </summary>
internal static class ClaimScalingReport
{
    private const int ClaimsPerRound = 200;
    private const int Rounds = 21;

    public static int Run()
    {
        using var smallDb = new BenchmarkDatabase("small");
        using var largeDb = new BenchmarkDatabase("large");
        using SqliteTaskStore small = Open(smallDb, 1_000);
        using SqliteTaskStore large = Open(largeDb, 1_000_000);
        Console.WriteLine($"Claim cost, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores: {Rounds} interleaved rounds of {ClaimsPerRound} claims (the first 3 are warm-up)");
        Console.WriteLine();
        Console.WriteLine("| strategy | median, 1,000 queued | median, 1,000,000 queued | ratio of medians | ratio of means | process CPU per claim, 1,000 / 1,000,000 | CPU ratio |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (SchedulingStrategy strategy in new[] { SchedulingStrategy.Fifo, SchedulingStrategy.Lifo, SchedulingStrategy.Priority, SchedulingStrategy.WeightedRandom })
        {
            var claim = new ClaimRequest("bench") { Strategy = strategy };
            var smallTimes = new List<double>();
            var largeTimes = new List<double>();
            var smallCpu = new List<double>();
            var largeCpu = new List<double>();
            for (int round = 0; round < Rounds; round++)
            {
                (double s, double sc) = Round(small, claim);
                (double l, double lc) = Round(large, claim);
                if (round < 3) continue;
                smallTimes.Add(s);
                largeTimes.Add(l);
                smallCpu.Add(sc);
                largeCpu.Add(lc);
            }

            double a = Statistics.Median(smallTimes), b = Statistics.Median(largeTimes);
            double meanRatio = largeTimes.Average() / smallTimes.Average();
            double ac = smallCpu.Average(), bc = largeCpu.Average();
            Console.WriteLine($"| {strategy} | {a:N1} µs | {b:N1} µs | {b / a:N2} | {meanRatio:N2} | {ac:N1} / {bc:N1} µs | {bc / ac:N2} |");
        }

        return 0;
    }

    private static SqliteTaskStore Open(BenchmarkDatabase db, int queued)
    {
        SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = db.Path });
        // Ten priority levels, as in ClaimScalingBenchmarks.
        store.EnqueueManyAsync(Enumerable.Range(0, queued).Select(i => new EnqueueRequest("bench", "{}") { Priority = i % 10 }), batchSize: TaskLimits.MaxEnqueueBatchSize)
            .GetAwaiter().GetResult();
        return store;
    }

    /// <summary>
    /// Microseconds per claim over one round, on the caller's thread and in CPU time of the whole process; the claimed
    /// tasks are released afterwards.
    /// </summary>
    private static (double Wall, double Cpu) Round(SqliteTaskStore store, ClaimRequest claim)
    {
        var claimed = new List<TaskRecord>(ClaimsPerRound);
        using Process process = Process.GetCurrentProcess();
        TimeSpan cpu = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < ClaimsPerRound; i++) claimed.Add(store.ClaimAsync(claim).GetAwaiter().GetResult()[0]);
        double micros = sw.Elapsed.TotalMilliseconds * 1000 / ClaimsPerRound;
        process.Refresh();
        double cpuMicros = (process.TotalProcessorTime - cpu).TotalMilliseconds * 1000 / ClaimsPerRound;
        foreach (TaskRecord task in claimed) store.ReleaseAsync(task.Id, task.LeaseToken!.Value).GetAwaiter().GetResult();
        return (micros, cpuMicros);
    }
}
