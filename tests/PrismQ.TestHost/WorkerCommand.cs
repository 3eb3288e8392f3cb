using System;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Storage.Sqlite;
using PrismQ.Storage;
using PrismQ.Workers;

namespace PrismQ.TestHost;

/// <summary>
/// <c>worker --db LOCATION --out FILE [--concurrency N] [--lease SECONDS] [--idle-timeout MS] [--block] [--id ID]</c>:
/// runs a <see cref="Worker"/> on every type (fallback handler), on the store at LOCATION (a SQLite file path or a PostgreSQL URI). The handler appends <c>E id token attempt</c> to
/// <c>FILE</c> (one line per execution, flushed) and returns <c>{"token":"..."}</c>; with <c>--block</c> it appends the
/// line and then blocks forever. Each ended attempt appends <c>O id token outcome</c>. Exit code 0 after a clean stop.
/// </summary>
internal sealed class WorkerCommand : ITestHostCommand
{
    public string Name => "worker";

    public string Usage => "--db LOCATION --out FILE [--concurrency N] [--lease SECONDS] [--idle-timeout MS] [--block] [--id ID]";

    public int Run(string[] args)
    {
        string? db = null, output = null, id = null;
        int concurrency = 1;
        double leaseSeconds = 30;
        int idleMs = 0;
        bool block = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--db": db = args[++i]; break;
                case "--out": output = args[++i]; break;
                case "--id": id = args[++i]; break;
                case "--concurrency": concurrency = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--lease": leaseSeconds = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--idle-timeout": idleMs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--block": block = true; break;
                default:
                    Console.Error.WriteLine("unknown option " + args[i]);
                    return 2;
            }
        }
        if (db is null || output is null)
        {
            Console.Error.WriteLine("usage: PrismQ.TestHost worker --db LOCATION --out FILE [--concurrency N] [--lease SECONDS] [--idle-timeout MS] [--block] [--id ID]");
            return 2;
        }

        using var writer = new StreamWriter(new FileStream(output, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var gate = new object();
        void Line(string text)
        {
            lock (gate) writer.WriteLine(text);
        }

        using ITaskStore store = StoreLocations.Open(db, new QueueOptions());
        var options = new WorkerOptions
        {
            WorkerId = id,
            Concurrency = concurrency,
            LeaseDuration = TimeSpan.FromSeconds(leaseSeconds),
            IdleTimeout = idleMs > 0 ? TimeSpan.FromMilliseconds(idleMs) : null,
            PollMaxInterval = TimeSpan.FromMilliseconds(200),
            FallbackHandler = (ctx, ct) =>
            {
                Line(FormattableString.Invariant($"E {ctx.TaskId} {ctx.LeaseToken} {ctx.Attempt}"));
                if (block) Thread.Sleep(Timeout.Infinite);
                return Task.FromResult<string?>("{\"token\":\"" + ctx.LeaseToken + "\"}");
            },
            AttemptEnded = end => Line(FormattableString.Invariant($"O {end.TaskId} {end.Token} {end.Outcome}")),
        };
        var worker = new Worker(store, options);
        Line("W " + worker.WorkerId);
        WorkerRunSummary summary = worker.RunAsync().GetAwaiter().GetResult();
        Console.Out.WriteLine(summary.ToString());
        return 0;
    }
}
