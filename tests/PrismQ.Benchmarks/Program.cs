using BenchmarkDotNet.Running;
using PrismQ.Benchmarks.Workers;

namespace PrismQ.Benchmarks;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release --project tests/PrismQ.Benchmarks -- --filter '*'</c>
/// (BenchmarkDotNet's options), or <c>-- worker-report [--tasks N] [--quick]</c> for the worker measurements
/// BenchmarkDotNet cannot make (<c>-- tracing-cost</c> runs only its tracing on/off part), or <c>-- claim-scaling</c> for
/// the interleaved claim-cost comparison at 1k and 1M queued tasks, or <c>-- wake-report</c> for the cross-process wake
/// (commit-to-callback latency of <c>DatabaseChangeWatcher</c> and the CPU of an idle watcher), or
/// <c>-- postgres-report [--postgres URI] [--quick]</c> for PrismQ on PostgreSQL against graphile-worker on the same server.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length >= 1 && args[0] == "worker-report") return WorkerReport.Run(args[1..]);
        if (args.Length >= 1 && args[0] == "postgres-report") return Postgres.PostgresReport.Run(args[1..]);
        if (args.Length == 3 && args[0] == "postgres-fill") return Postgres.PostgresReport.Fill(args[1], args[2]);
        if (args.Length == 6 && args[0] == "postgres-child") return Postgres.PostgresReport.Child(args[1], args[2], args[3], args[4], args[5]);
        if (args.Length == 1 && args[0] == "wake-report") return WakeReport.Run();
        if (args.Length == 2 && args[0] == "wake-child") return WakeReport.Child(args[1]);
        if (args.Length == 1 && args[0] == "claim-scaling") return Storage.ClaimScalingReport.Run();
        if (args.Length == 1 && args[0] == "tracing-cost")
        {
            WorkerReport.TracingCost();
            return 0;
        }
        if (args.Length is 4 or 5 && args[0] == "worker-child") return WorkerReport.Child(args[1], args[2], args[3], args.Length == 5 ? args[4] : null);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
