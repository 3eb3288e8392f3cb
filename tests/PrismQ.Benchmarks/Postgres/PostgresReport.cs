using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Npgsql;
using PrismQ.Storage;

namespace PrismQ.Benchmarks.Postgres;

/// <summary>
/// PrismQ on PostgreSQL against graphile-worker 0.17.3 on the same server, in the same run, printed as Markdown. Run:
/// <c>dotnet run -c Release --project tests/PrismQ.Benchmarks -- postgres-report [--postgres URI] [--quick]</c>
/// (see <see cref="Usage"/>).
/// </summary>
/// <remarks>
/// <para>Three figures for each system: no-op tasks end to end through two worker processes (N tasks enqueued in
/// bulk, then the processes started together; the time runs from their start until the database holds no queued or
/// running task of the run), enqueue one by one (one call, one transaction per task, from one process) and enqueue in
/// bulk (one call per 1,000 tasks; these are the N tasks the end-to-end run then works through). Each figure runs in
/// rounds alternating which system goes first; medians are printed, with every round's value.</para>
/// <para>PrismQ: the store opened by <c>StoreLocations.Open</c> (the PostgreSQL store, loaded by name), workers in
/// child processes of this program (<c>postgres-child</c>) with a no-op C# handler. graphile-worker: the Node scripts
/// in <c>Peers/graphile-worker</c> (<c>enqueue.js</c>, one long-lived process like this one; <c>worker.js</c>, one per
/// worker process), public API only, its options at their defaults except concurrency and pool size. Every run gets
/// schemas of its own (<c>bench_&lt;run&gt;_…</c>), dropped when it ends.</para>
/// </remarks>
internal static class PostgresReport
{
    private const string Usage = """
        postgres-report [--postgres URI] [--quick] [--tasks N] [--single N] [--rounds R] [--concurrency C]
                        [--processes P] [--child-warmup N] [--graphile-batched] [--only prismq|graphile-worker]
          --postgres URI      the server (default: $PRISMQ_TEST_POSTGRES), e.g. postgresql://user:pw@127.0.0.1:5432/db
          --quick             a ~2 minute run: 5,000 tasks end to end, 1,000 single enqueues, one round
          --tasks N           no-op tasks per end-to-end run, enqueued in bulk (default 20,000)
          --single N          tasks enqueued one by one (default 5,000)
          --rounds R          rounds, alternating which system goes first; medians (default 3; 1 with --quick)
          --concurrency C     concurrency of each worker process, both systems (default 8)
          --processes P       worker processes (default 2)
          --child-warmup N    tasks each worker process runs on a scratch schema before the measured run (default 1,000; 500 with --quick)
          --graphile-batched  also run graphile-worker with its opt-in batching (localQueue size C + 1, completeJobBatchDelay 0)
          --only S            measure one system only (prismq or graphile-worker)
        """;

    private const string GraphileVersion = "0.17.3";
    private const int Batch = 1_000;
    private static readonly long ClockTicks = 100; // USER_HZ on Linux

    private sealed class Settings
    {
        public string Uri { get; set; } = "";
        public bool Quick { get; set; }
        public int Tasks { get; set; } = 20_000;
        public int Single { get; set; } = 5_000;
        public int Rounds { get; set; } = 3;
        public int Concurrency { get; set; } = 8;
        public int Processes { get; set; } = 2;
        public int ChildWarmUp { get; set; } = 1_000;
        public bool GraphileBatched { get; set; }
        public bool PrismQ { get; set; } = true;
        public bool Graphile { get; set; } = true;
    }

    /// <summary>One end-to-end run: the rate, and what it cost (CPU, transactions, row changes).</summary>
    private sealed record EndToEnd(double Rate, double Seconds, double WorkerCpuUs, double ServerCpuUs, double XactsPerTask, double UpdatesPerTask, double DeletesPerTask, double Load);

    private enum Peer { PrismQ, Graphile, GraphileBatched }

    public static int Run(string[] args)
    {
        Settings? settings = Parse(args);
        if (settings is null)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var total = Stopwatch.StartNew();
        string run = "bench_" + Guid.NewGuid().ToString("N")[..8];
        using NpgsqlDataSource admin = NpgsqlDataSource.Create(ConnectionString(settings.Uri));
        string peers = PeersFolder();
        string? prismqMissing = settings.PrismQ ? PrismQMissing(settings.Uri, run + "_probe") : "not measured (--only)";
        if (prismqMissing is not null) settings.PrismQ = false;
        if (settings.Graphile) EnsureNodeModules(peers);

        PrintHeader(settings, args, admin, peers);
        if (prismqMissing is not null && prismqMissing != "not measured (--only)")
        {
            Console.WriteLine($"**PrismQ half not run**: {prismqMissing}");
            Console.WriteLine();
        }

        var systems = new List<Peer>();
        if (settings.PrismQ) systems.Add(Peer.PrismQ);
        if (settings.Graphile) systems.Add(Peer.Graphile);
        if (settings.Graphile && settings.GraphileBatched) systems.Add(Peer.GraphileBatched);
        if (systems.Count == 0)
        {
            Console.Error.WriteLine("postgres-report: nothing to measure");
            return 1;
        }

        var single = systems.ToDictionary(s => s, _ => new List<double>());
        var bulk = systems.ToDictionary(s => s, _ => new List<double>());
        var e2e = systems.ToDictionary(s => s, _ => new List<EndToEnd>());
        Enqueuer? enqueuer = settings.Graphile ? new Enqueuer(peers, NodeUri(settings.Uri)) : null;
        try
        {
            // One unmeasured round on small numbers: JIT, the server's caches, the enqueuer's module loading.
            Progress("warm-up round");
            foreach (Peer system in systems)
            {
                string schema = $"{run}_{Short(system)}_warm";
                if (system != Peer.GraphileBatched) Single(settings, enqueuer, system, schema + "_one", 200, admin);
                Bulk(settings, enqueuer, system, schema, 2_000);
                EndToEndRun(settings, admin, enqueuer, system, schema, 2_000, Math.Min(200, settings.ChildWarmUp));
                DropSchemas(admin, schema);
            }

            for (int round = 1; round <= settings.Rounds; round++)
            {
                IEnumerable<Peer> order = round % 2 == 1 ? systems : Enumerable.Reverse(systems);
                foreach (Peer system in order)
                {
                    string schema = $"{run}_{Short(system)}_r{round}";
                    if (system != Peer.GraphileBatched)
                    {
                        Progress($"round {round} of {settings.Rounds}: {Name(system)}, {settings.Single:N0} enqueued one by one");
                        single[system].Add(Single(settings, enqueuer, system, schema + "_one", settings.Single, admin));
                    }

                    Progress($"round {round} of {settings.Rounds}: {Name(system)}, {settings.Tasks:N0} enqueued in bulk");
                    bulk[system].Add(Bulk(settings, enqueuer, system, schema, settings.Tasks));
                    Progress($"round {round} of {settings.Rounds}: {Name(system)}, {settings.Processes} processes × concurrency {settings.Concurrency} (load {Load():N2})");
                    EndToEnd r = EndToEndRun(settings, admin, enqueuer, system, schema, settings.Tasks, settings.ChildWarmUp);
                    e2e[system].Add(r);
                    Progress($"  {r.Rate:N0} tasks/s");
                    DropSchemas(admin, schema);
                }
            }
        }
        finally
        {
            enqueuer?.Dispose();
            DropSchemas(admin, run);
        }

        PrintResults(settings, systems, single, bulk, e2e, prismqMissing);
        Console.WriteLine($"Report finished in {total.Elapsed.TotalMinutes:N1} min; load average at the end: {LoadText()}.");
        return 0;
    }

    private static Settings? Parse(string[] args)
    {
        var settings = new Settings();
        int? tasks = null, single = null, rounds = null, warm = null;
        string? uri = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            bool hasValue = i + 1 < args.Length;
            int n = 0;
            bool number = hasValue && int.TryParse(args[i + 1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out n) && n >= 0;
            switch (arg)
            {
                case "--quick": settings.Quick = true; break;
                case "--graphile-batched": settings.GraphileBatched = true; break;
                case "--postgres" when hasValue: uri = args[++i]; break;
                case "--only" when hasValue && args[i + 1] is "prismq" or "graphile-worker":
                    settings.PrismQ = args[i + 1] == "prismq";
                    settings.Graphile = !settings.PrismQ;
                    i++;
                    break;
                case "--tasks" when number && n > 0: tasks = n; i++; break;
                case "--single" when number && n > 0: single = n; i++; break;
                case "--rounds" when number && n > 0: rounds = n; i++; break;
                case "--concurrency" when number && n > 0: settings.Concurrency = n; i++; break;
                case "--processes" when number && n > 0: settings.Processes = n; i++; break;
                case "--child-warmup" when number: warm = n; i++; break;
                default:
                    Console.Error.WriteLine($"postgres-report: unknown or incomplete argument '{arg}'");
                    return null;
            }
        }

        uri ??= Environment.GetEnvironmentVariable("PRISMQ_TEST_POSTGRES");
        if (string.IsNullOrWhiteSpace(uri))
        {
            Console.Error.WriteLine("postgres-report: give the server with --postgres URI or PRISMQ_TEST_POSTGRES (.ci/postgres starts one and prints its URI)");
            return null;
        }

        settings.Uri = uri.Trim();
        if (settings.Quick)
        {
            settings.Tasks = 5_000;
            settings.Single = 1_000;
            settings.Rounds = 1;
            settings.ChildWarmUp = 500;
        }

        settings.Tasks = tasks ?? settings.Tasks;
        settings.Single = single ?? settings.Single;
        settings.Rounds = rounds ?? settings.Rounds;
        settings.ChildWarmUp = warm ?? settings.ChildWarmUp;
        return settings;
    }

    private static string Name(Peer system) => system switch
    {
        Peer.PrismQ => "PrismQ",
        Peer.Graphile => "graphile-worker",
        _ => "graphile-worker (batching on)",
    };

    private static string Short(Peer system) => system switch
    {
        Peer.PrismQ => "pq",
        Peer.Graphile => "gw",
        _ => "gwb",
    };

    private static void Progress(string what) => Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {what}");

    // ---------------------------------------------------------------------------------------------------------------
    // Where things are

    /// <summary>The URI with <c>schema=</c> set to <paramref name="schema"/> (PrismQ's store reads it from there).</summary>
    internal static string WithSchema(string uri, string schema)
    {
        int q = uri.IndexOf('?');
        string path = q < 0 ? uri : uri[..q];
        var kept = q < 0 ? new List<string>() : uri[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.StartsWith("schema=", StringComparison.OrdinalIgnoreCase)).ToList();
        kept.Add("schema=" + schema);
        return path + "?" + string.Join("&", kept);
    }

    /// <summary>The URI for node-postgres: without its query (PrismQ's <c>schema=</c> means nothing there).</summary>
    private static string NodeUri(string uri)
    {
        int q = uri.IndexOf('?');
        return q < 0 ? uri : uri[..q];
    }

    /// <summary>An Npgsql connection string for the URI (host, port, user, password, database).</summary>
    internal static string ConnectionString(string uri)
    {
        var parsed = new Uri(NodeUri(uri));
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = parsed.Host,
            Port = parsed.IsDefaultPort || parsed.Port <= 0 ? 5432 : parsed.Port,
            Database = Uri.UnescapeDataString(parsed.AbsolutePath.TrimStart('/')),
            ApplicationName = "prismq-postgres-report",
            MaxPoolSize = 4,
        };
        if (parsed.UserInfo.Length > 0)
        {
            string[] parts = parsed.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2) builder.Password = Uri.UnescapeDataString(parts[1]);
        }

        if (string.IsNullOrEmpty(builder.Database)) builder.Database = builder.Username;
        return builder.ConnectionString;
    }

    private static string PeersFolder()
    {
        // The Node harness sits in the source tree (tests/PrismQ.Benchmarks/Peers/graphile-worker): found from the
        // current folder or from this program's folder upwards, whichever holds it.
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                foreach (string candidate in new[] { Path.Combine(dir.FullName, "tests", "PrismQ.Benchmarks", "Peers", "graphile-worker"), Path.Combine(dir.FullName, "Peers", "graphile-worker") })
                    if (File.Exists(Path.Combine(candidate, "package-lock.json"))) return candidate;
            }
        }

        throw new InvalidOperationException("postgres-report: cannot find tests/PrismQ.Benchmarks/Peers/graphile-worker (run from the repository)");
    }

    /// <summary><c>npm ci</c> in the harness folder when graphile-worker is not installed there (or is another version).</summary>
    private static void EnsureNodeModules(string peers)
    {
        string installed = Path.Combine(peers, "node_modules", "graphile-worker", "package.json");
        if (File.Exists(installed) && JsonDocument.Parse(File.ReadAllText(installed)).RootElement.GetProperty("version").GetString() == GraphileVersion) return;
        Progress($"npm ci in {peers} (graphile-worker {GraphileVersion})");
        var info = new ProcessStartInfo("npm") { WorkingDirectory = peers, UseShellExecute = false, RedirectStandardOutput = true };
        foreach (string a in new[] { "ci", "--no-audit", "--no-fund", "--loglevel=error" }) info.ArgumentList.Add(a);
        using Process npm = Process.Start(info) ?? throw new InvalidOperationException("cannot start npm");
        Console.Error.Write(npm.StandardOutput.ReadToEnd());
        npm.WaitForExit();
        if (npm.ExitCode != 0) throw new InvalidOperationException($"npm ci failed in {peers} (exit {npm.ExitCode})");
    }

    /// <summary>Null when PrismQ's PostgreSQL store opens here; otherwise why not.</summary>
    private static string? PrismQMissing(string uri, string schema)
    {
        try
        {
            using ITaskStore store = StoreLocations.Open(WithSchema(uri, schema), new QueueOptions());
            return null;
        }
        catch (Exception e)
        {
            if (!File.Exists(Path.Combine(AppContext.BaseDirectory, "PrismQ.Postgres.dll")))
                return "the PostgreSQL store (src/PrismQ.Postgres, PrismQ.Postgres.dll) is not in this tree or build: merge it (branch postgres-store) and build again; the project reference to it is conditional on src/PrismQ.Postgres/PrismQ.Postgres.csproj";
            return $"the PostgreSQL store did not open ({e.GetType().Name}: {e.Message})";
        }
        finally
        {
            try
            {
                using NpgsqlDataSource admin = NpgsqlDataSource.Create(ConnectionString(uri));
                DropSchemas(admin, schema);
            }
            catch (NpgsqlException)
            {
            }
        }
    }

    /// <summary>Drops every schema whose name starts with <paramref name="prefix"/>.</summary>
    private static void DropSchemas(NpgsqlDataSource admin, string prefix)
    {
        using NpgsqlConnection c = admin.OpenConnection();
        var names = new List<string>();
        using (var find = new NpgsqlCommand("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", c))
        {
            find.Parameters.AddWithValue(prefix);
            using NpgsqlDataReader r = find.ExecuteReader();
            while (r.Read()) names.Add(r.GetString(0));
        }

        foreach (string name in names)
        {
            using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{name}\" CASCADE", c);
            drop.ExecuteNonQuery();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Enqueue

    private static EnqueueRequest[] Requests(int count) => Enumerable.Range(0, count).Select(_ => new EnqueueRequest("bench", "{}")).ToArray();

    /// <summary>Tasks enqueued one call (one transaction) at a time, per second, into a scratch schema dropped after.</summary>
    private static double Single(Settings settings, Enqueuer? enqueuer, Peer system, string schema, int count, NpgsqlDataSource admin)
    {
        try
        {
            if (system == Peer.PrismQ)
            {
                using ITaskStore store = StoreLocations.Open(WithSchema(settings.Uri, schema), new QueueOptions());
                EnqueueRequest[] requests = Requests(count);
                var sw = Stopwatch.StartNew();
                foreach (EnqueueRequest request in requests) store.EnqueueAsync(request).GetAwaiter().GetResult();
                return count / sw.Elapsed.TotalSeconds;
            }

            enqueuer!.Call($$"""{"op":"migrate","schema":"{{schema}}"}""");
            double seconds = enqueuer.Call($$"""{"op":"one","schema":"{{schema}}","count":{{count}}}""");
            enqueuer.Call($$"""{"op":"release","schema":"{{schema}}"}""");
            return count / seconds;
        }
        finally
        {
            DropSchemas(admin, schema);
        }
    }

    /// <summary>Tasks enqueued one call per 1,000, per second, into <paramref name="schema"/> (the end-to-end run's).</summary>
    private static double Bulk(Settings settings, Enqueuer? enqueuer, Peer system, string schema, int count)
    {
        if (system == Peer.PrismQ)
        {
            using ITaskStore store = StoreLocations.Open(WithSchema(settings.Uri, schema), new QueueOptions());
            EnqueueRequest[][] batches = Requests(count).Chunk(Batch).ToArray();
            var sw = Stopwatch.StartNew();
            foreach (EnqueueRequest[] batch in batches) store.EnqueueManyAsync(batch, batchSize: Batch).GetAwaiter().GetResult();
            return count / sw.Elapsed.TotalSeconds;
        }

        enqueuer!.Call($$"""{"op":"migrate","schema":"{{schema}}"}""");
        double seconds = enqueuer.Call($$"""{"op":"bulk","schema":"{{schema}}","count":{{count}},"batch":{{Batch}}}""");
        enqueuer.Call($$"""{"op":"release","schema":"{{schema}}"}""");
        return count / seconds;
    }

    /// <summary>The long-lived <c>enqueue.js</c> process: one JSON command per line, one JSON answer per line.</summary>
    private sealed class Enqueuer : IDisposable
    {
        private readonly Process _process;

        public Enqueuer(string peers, string uri)
        {
            var info = new ProcessStartInfo("node") { WorkingDirectory = peers, UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
            info.ArgumentList.Add("enqueue.js");
            info.Environment["PRISMQ_BENCH_PG"] = uri;
            _process = Process.Start(info) ?? throw new InvalidOperationException("cannot start node");
            string? hello = _process.StandardOutput.ReadLine();
            if (hello is null || !hello.Contains("\"ready\":true", StringComparison.Ordinal)) throw new InvalidOperationException($"enqueue.js did not start: '{hello}'");
        }

        /// <summary>Sends one command; returns the answer's seconds (0 when it has none); throws on an error answer.</summary>
        public double Call(string command)
        {
            _process.StandardInput.WriteLine(command);
            _process.StandardInput.Flush();
            string answer = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"enqueue.js ended (exit {(_process.HasExited ? _process.ExitCode : -1)}) on {command}");
            using JsonDocument doc = JsonDocument.Parse(answer);
            if (!doc.RootElement.GetProperty("ok").GetBoolean()) throw new InvalidOperationException($"enqueue.js: {command}: {doc.RootElement.GetProperty("error").GetString()}");
            return doc.RootElement.TryGetProperty("seconds", out JsonElement s) ? s.GetDouble() : 0;
        }

        public void Dispose()
        {
            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(10_000)) _process.Kill();
            }
            finally
            {
                _process.Dispose();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // End to end

    /// <summary>
    /// The worker processes work through the <paramref name="tasks"/> queued in <paramref name="schema"/>: each warms up
    /// on its own scratch schema and reports ready; all are told to go at once; the time runs until the database holds
    /// no queued or running task of the run (polled every 10 ms on a connection of this process); then they are told
    /// to stop and report the task ids their handler ran, which must be the <paramref name="tasks"/>, each once.
    /// </summary>
    private static EndToEnd EndToEndRun(Settings settings, NpgsqlDataSource admin, Enqueuer? enqueuer, Peer system, string schema, int tasks, int warmUp)
    {
        if (system != Peer.PrismQ && warmUp > 0)
        {
            // graphile-worker's running workers shut down when a migration happens anywhere in the database (they
            // cannot tell it is another schema's), so every schema they use is made before any of them starts.
            for (int i = 0; i < settings.Processes; i++)
            {
                enqueuer!.Call($$"""{"op":"migrate","schema":"{{schema}}_w{{i}}"}""");
                enqueuer.Call($$"""{"op":"bulk","schema":"{{schema}}_w{{i}}","count":{{warmUp}},"batch":{{Batch}}}""");
                enqueuer.Call($$"""{"op":"release","schema":"{{schema}}_w{{i}}"}""");
            }
        }

        var stderr = new List<StringBuilder>();
        Process[] children = Enumerable.Range(0, settings.Processes)
            .Select(i => StartChild(settings, system, schema, $"{schema}_w{i}", warmUp, i, stderr)).ToArray();
        try
        {
            foreach ((Process child, int i) in children.Select((c, i) => (c, i)))
            {
                Task<string?> read = child.StandardOutput.ReadLineAsync();
                string? line = read.Wait(TimeSpan.FromMinutes(5)) ? read.Result : "(nothing in 5 minutes)";
                if (line != "ready") throw new InvalidOperationException($"{Name(system)} worker process {i} did not report ready: '{line}' {Finish(child, stderr[i])}");
            }

            using NpgsqlConnection poll = admin.OpenConnection();
            using NpgsqlCommand remaining = RemainingCommand(poll, system, schema);
            int postmaster = Postmaster(poll);
            long xactsBefore = Xacts(poll);
            double serverBefore = ServerCpuSeconds(postmaster);
            double workersBefore = children.Sum(c => ProcessCpuSeconds(c.Id));
            double load = Load();

            var sw = Stopwatch.StartNew();
            foreach (Process child in children)
            {
                child.StandardInput.WriteLine("go");
                child.StandardInput.Flush();
            }

            TimeSpan limit = TimeSpan.FromSeconds(Math.Max(120, tasks / 50));
            while (true)
            {
                if ((bool)remaining.ExecuteScalar()! == false) break;
                if (sw.Elapsed > limit) throw new TimeoutException($"{Name(system)}: tasks left after {limit.TotalSeconds:N0} s");
                foreach ((Process child, int i) in children.Select((c, i) => (c, i)))
                    if (child.HasExited) throw new InvalidOperationException($"{Name(system)} worker process {i} exited early: {Finish(child, stderr[i])}");
                Thread.Sleep(10);
            }

            double seconds = sw.Elapsed.TotalSeconds;
            double workersCpu = children.Sum(c => ProcessCpuSeconds(c.Id)) - workersBefore;
            double serverCpu = ServerCpuSeconds(postmaster) - serverBefore;

            foreach (Process child in children)
            {
                child.StandardInput.WriteLine("stop");
                child.StandardInput.Flush();
            }

            Task<string>[] outputs = children.Select(c => c.StandardOutput.ReadToEndAsync()).ToArray();
            if (!Task.WaitAll(outputs, TimeSpan.FromSeconds(60))) throw new TimeoutException($"{Name(system)}: worker processes did not stop");
            var ids = new List<string>(tasks);
            long errors = 0;
            foreach ((Process child, int i) in children.Select((c, i) => (c, i)))
            {
                child.WaitForExit();
                if (child.ExitCode != 0) throw new InvalidOperationException($"{Name(system)} worker process {i} exited with {child.ExitCode}: {Finish(child, stderr[i])}");
                string[] lines = outputs[i].Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                string[] head = lines[0].Split(' '); // runs N errors E
                errors += long.Parse(head[3], CultureInfo.InvariantCulture);
                ids.AddRange(lines.Skip(1));
            }

            long distinct = ids.Distinct().LongCount();
            if (ids.Count != tasks || distinct != tasks || errors != 0)
                throw new InvalidOperationException($"{Name(system)}: {ids.Count} handler runs, {distinct} distinct tasks, {errors} errors, of {tasks} tasks: not exactly once");
            if (system == Peer.PrismQ) CheckPrismQSucceeded(settings, schema, tasks);

            Thread.Sleep(600); // the server's statistics are flushed at most once a second per backend; the workers' have exited
            long xacts = Xacts(poll) - xactsBefore;
            (long updates, long deletes) = RowChanges(poll, schema);
            return new EndToEnd(tasks / seconds, seconds, workersCpu * 1_000_000 / tasks, serverCpu * 1_000_000 / tasks,
                (double)xacts / tasks, (double)updates / tasks, (double)deletes / tasks, load);
        }
        finally
        {
            foreach (Process child in children)
            {
                if (!child.HasExited) child.Kill(entireProcessTree: true);
                child.Dispose();
            }
        }
    }

    private static string Finish(Process child, StringBuilder stderr)
    {
        if (!child.HasExited && !child.WaitForExit(2_000)) child.Kill();
        child.WaitForExit(2_000);
        lock (stderr) return stderr.ToString();
    }

    /// <summary>True while the run's schema holds a queued or running task.</summary>
    private static NpgsqlCommand RemainingCommand(NpgsqlConnection c, Peer system, string schema)
    {
        // PrismQ: the store's tasks table, queued (0) or running (1); graphile-worker: its public jobs view (a job is
        // deleted when it completes).
        string sql = system == Peer.PrismQ
            ? $"SELECT EXISTS (SELECT 1 FROM \"{schema}\".tasks WHERE status = 0) OR EXISTS (SELECT 1 FROM \"{schema}\".tasks WHERE status = 1)"
            : $"SELECT EXISTS (SELECT 1 FROM \"{schema}\".jobs)";
        var command = new NpgsqlCommand(sql, c);
        command.Prepare();
        return command;
    }

    private static void CheckPrismQSucceeded(Settings settings, string schema, int tasks)
    {
        using ITaskStore store = StoreLocations.Open(WithSchema(settings.Uri, schema), new QueueOptions());
        IReadOnlyList<QueueStats> stats = store.GetQueueStatsAsync().GetAwaiter().GetResult();
        long succeeded = stats.Sum(s => s.Succeeded), other = stats.Sum(s => s.Queued + s.Scheduled + s.Running + s.Failed + s.Cancelled);
        if (succeeded != tasks || other != 0) throw new InvalidOperationException($"PrismQ: the store counts {succeeded} succeeded and {other} other tasks, of {tasks}");
    }

    /// <summary>Starts a worker process; its stderr goes on to this process's stderr as it comes, and is kept in <paramref name="stderr"/>.</summary>
    private static Process StartChild(Settings settings, Peer system, string schema, string warmSchema, int warmUp, int index, List<StringBuilder> stderr)
    {
        ProcessStartInfo info;
        if (system == Peer.PrismQ)
        {
            info = new ProcessStartInfo(Environment.ProcessPath!);
            string self = typeof(PostgresReport).Assembly.Location;
            if (!Environment.ProcessPath!.EndsWith("PrismQ.Benchmarks", StringComparison.OrdinalIgnoreCase)
                && !Environment.ProcessPath.EndsWith("PrismQ.Benchmarks.exe", StringComparison.OrdinalIgnoreCase))
                info.ArgumentList.Add(self);
            foreach (string a in new[] { "postgres-child", schema, settings.Concurrency.ToString(CultureInfo.InvariantCulture), warmSchema, warmUp.ToString(CultureInfo.InvariantCulture), $"bench-{index}" })
                info.ArgumentList.Add(a);
            info.Environment["PRISMQ_BENCH_PG"] = settings.Uri;
        }
        else
        {
            info = new ProcessStartInfo("node") { WorkingDirectory = PeersFolder() };
            foreach (string a in new[] { "worker.js", schema, settings.Concurrency.ToString(CultureInfo.InvariantCulture), warmSchema, warmUp.ToString(CultureInfo.InvariantCulture) })
                info.ArgumentList.Add(a);
            info.Environment["PRISMQ_BENCH_PG"] = NodeUri(settings.Uri);
            info.Environment["NO_LOG_SUCCESS"] = "1"; // graphile-worker's documented switch: no log line per completed job
            if (system == Peer.GraphileBatched)
            {
                info.Environment["PRISMQ_BENCH_GW_LOCAL_QUEUE"] = (settings.Concurrency + 1).ToString(CultureInfo.InvariantCulture);
                info.Environment["PRISMQ_BENCH_GW_COMPLETE_DELAY"] = "0";
            }
        }

        info.UseShellExecute = false;
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = new Process { StartInfo = info };
        var text = new StringBuilder();
        stderr.Add(text);
        string tag = $"[{Name(system)} worker {index}] ";
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (text) text.AppendLine(e.Data);
            Console.Error.WriteLine(tag + e.Data);
        };
        if (!process.Start()) throw new InvalidOperationException($"cannot start a {Name(system)} worker process");
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// A PrismQ worker process (<c>postgres-child schema concurrency warmSchema warmUp workerId</c>, the URI in
    /// PRISMQ_BENCH_PG): warms up on <paramref name="warmUp"/> tasks of its own scratch schema, opens the store, builds
    /// a worker with a no-op handler, prints "ready", waits for "go", runs until "stop", then prints
    /// "runs N errors 0" and one task id per line (per handler run).
    /// </summary>
    public static int Child(string schema, string concurrency, string warmSchema, string warmUp, string workerId)
    {
        string uri = Environment.GetEnvironmentVariable("PRISMQ_BENCH_PG") ?? throw new InvalidOperationException("PRISMQ_BENCH_PG is not set");
        int parallel = int.Parse(concurrency, CultureInfo.InvariantCulture);
        int warm = int.Parse(warmUp, CultureInfo.InvariantCulture);
        if (warm > 0)
        {
            using ITaskStore scratch = StoreLocations.Open(WithSchema(uri, warmSchema), new QueueOptions());
            scratch.EnqueueManyAsync(Requests(warm), batchSize: Batch).GetAwaiter().GetResult();
            var warmOptions = new WorkerOptions { Concurrency = parallel, MaxTasks = warm, WorkerId = workerId + "-warm" };
            warmOptions.Handlers["bench"] = (_, _) => Task.FromResult<string?>(null);
            new Worker(scratch, warmOptions).RunAsync().GetAwaiter().GetResult();
        }

        using ITaskStore store = StoreLocations.Open(WithSchema(uri, schema), new QueueOptions());
        var ids = new ConcurrentQueue<long>();
        var options = new WorkerOptions { Concurrency = parallel, WorkerId = workerId };
        options.Handlers["bench"] = (context, _) =>
        {
            ids.Enqueue(context.TaskId);
            return Task.FromResult<string?>(null);
        };
        var worker = new Worker(store, options);
        Console.Out.Write("ready\n");
        Console.Out.Flush();
        if (Console.In.ReadLine() != "go") return 3;
        using var stop = new CancellationTokenSource();
        Task<WorkerRunSummary> running = worker.RunAsync(stop.Token);
        Console.In.ReadLine(); // "stop" (or the end of input)
        stop.Cancel();
        running.GetAwaiter().GetResult();
        var text = new StringBuilder();
        text.Append("runs ").Append(ids.Count).Append(" errors 0\n");
        foreach (long id in ids) text.Append(id).Append('\n');
        Console.Out.Write(text.ToString());
        Console.Out.Flush();
        return 0;
    }

    /// <summary>
    /// For profiling by hand (<c>postgres-fill schema N</c>, the URI in PRISMQ_TEST_POSTGRES): enqueues N no-op tasks in
    /// bulk into PrismQ's schema <paramref name="schema"/> and leaves them there (EXPLAIN ANALYZE of the claim on a
    /// backlog; drop the schema after).
    /// </summary>
    public static int Fill(string schema, string count)
    {
        string uri = Environment.GetEnvironmentVariable("PRISMQ_TEST_POSTGRES") ?? throw new InvalidOperationException("PRISMQ_TEST_POSTGRES is not set");
        using ITaskStore store = StoreLocations.Open(WithSchema(uri, schema), new QueueOptions());
        int n = int.Parse(count, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        var sw = Stopwatch.StartNew();
        store.EnqueueManyAsync(Requests(n), batchSize: Batch).GetAwaiter().GetResult();
        Console.WriteLine($"{n:N0} tasks enqueued into {schema} in {sw.Elapsed.TotalSeconds:N2} s");
        return 0;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // What it cost: CPU from /proc, transactions and row changes from the server's statistics

    /// <summary>The postmaster's process id: the parent of this connection's backend (0 when not on this machine).</summary>
    private static int Postmaster(NpgsqlConnection c)
    {
        using var command = new NpgsqlCommand("SELECT pg_backend_pid()", c);
        int backend = (int)command.ExecuteScalar()!;
        string? stat = ReadStat(backend);
        return stat is null ? 0 : int.Parse(StatFields(stat)[1], CultureInfo.InvariantCulture);
    }

    private static string? ReadStat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The fields of /proc/pid/stat after the command name: [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime.</summary>
    private static string[] StatFields(string stat) => stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

    private static double ProcessCpuSeconds(int pid)
    {
        string? stat = ReadStat(pid);
        if (stat is null) return 0;
        string[] f = StatFields(stat);
        return (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / (double)ClockTicks;
    }

    /// <summary>
    /// CPU of the whole server: the postmaster (with the children it has reaped: backends that ended) and every live
    /// child (backends, background writer, WAL writer…). It includes whatever else uses the same server meanwhile.
    /// </summary>
    private static double ServerCpuSeconds(int postmaster)
    {
        if (postmaster == 0) return double.NaN;
        string? own = ReadStat(postmaster);
        if (own is null) return double.NaN;
        string[] pf = StatFields(own);
        double total = pf.Skip(11).Take(4).Sum(v => long.Parse(v, CultureInfo.InvariantCulture)) / (double)ClockTicks;
        string parent = postmaster.ToString(CultureInfo.InvariantCulture);
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string? stat = ReadStat(pid);
            if (stat is null) continue;
            string[] f = StatFields(stat);
            if (f[1] == parent) total += (long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / (double)ClockTicks;
        }

        return total;
    }

    private static long Xacts(NpgsqlConnection c)
    {
        ClearSnapshot(c);
        using var command = new NpgsqlCommand("SELECT (xact_commit + xact_rollback)::bigint FROM pg_stat_database WHERE datname = current_database()", c);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>Makes the next statistics read see the server's current counters (not this transaction's snapshot).</summary>
    private static void ClearSnapshot(NpgsqlConnection c)
    {
        using var command = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", c);
        command.ExecuteNonQuery();
    }

    /// <summary>Rows updated and deleted in the run's schema since it was made (its tables' statistics).</summary>
    private static (long Updates, long Deletes) RowChanges(NpgsqlConnection c, string schema)
    {
        ClearSnapshot(c);
        using var command = new NpgsqlCommand("SELECT coalesce(sum(n_tup_upd), 0)::bigint, coalesce(sum(n_tup_del), 0)::bigint FROM pg_stat_user_tables WHERE schemaname = $1", c);
        command.Parameters.AddWithValue(schema);
        using NpgsqlDataReader r = command.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1));
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Output

    private static double Load()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    private static string LoadText()
    {
        try
        {
            string[] p = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{p[0]}, {p[1]}, {p[2]} (1, 5, 15 min)";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    private static string Memory()
    {
        try
        {
            string? line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is null) return "";
            long kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return $", {kb / 1024.0 / 1024.0:N0} GiB";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string Os()
    {
        try
        {
            string? pretty = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            if (pretty is not null) return pretty["PRETTY_NAME=".Length..].Trim('"') + ", kernel " + Environment.OSVersion.Version;
        }
        catch (IOException)
        {
        }

        return RuntimeInformation.OSDescription;
    }

    private static string NodeVersion()
    {
        try
        {
            var info = new ProcessStartInfo("node") { UseShellExecute = false, RedirectStandardOutput = true };
            info.ArgumentList.Add("--version");
            using Process p = Process.Start(info)!;
            string v = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return v;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "not found";
        }
    }

    private static void PrintHeader(Settings settings, string[] args, NpgsqlDataSource admin, string peers)
    {
        string version, settingsText;
        using (NpgsqlConnection c = admin.OpenConnection())
        {
            using (var v = new NpgsqlCommand("SELECT version()", c)) version = (string)v.ExecuteScalar()!;
            using var s = new NpgsqlCommand("SELECT string_agg(name || ' = ' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections', 'wal_level')", c);
            settingsText = (string)s.ExecuteScalar()!;
        }

        string command = "dotnet run -c Release --project tests/PrismQ.Benchmarks -- postgres-report" + (args.Length > 0 ? " " + string.Join(" ", args.Select(Redacted)) : "");
        Console.WriteLine("# PrismQ on PostgreSQL against graphile-worker");
        Console.WriteLine();
        Console.WriteLine("| | |");
        Console.WriteLine("|---|---|");
        Console.WriteLine($"| date | {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC |");
        Console.WriteLine($"| command | `{command}` |");
        Console.WriteLine($"| machine | {Environment.ProcessorCount} cores (nproc), {CpuModel()}{Memory()}, {Os()} |");
        Console.WriteLine($"| load at start | {LoadText()} |");
        Console.WriteLine($"| server | {StoreLocations.Redact(NodeUri(settings.Uri))}: {version} |");
        Console.WriteLine($"| server settings | {settingsText} |");
        Console.WriteLine($"| runtimes | {RuntimeInformation.FrameworkDescription}; Node {NodeVersion()}, graphile-worker {GraphileVersion} (`{Path.GetRelativePath(Directory.GetCurrentDirectory(), peers)}`) |");
        Console.WriteLine($"| runs | {settings.Tasks:N0} no-op tasks end to end, {settings.Processes} worker processes × concurrency {settings.Concurrency} for each system; {settings.Single:N0} enqueued one by one; {settings.Rounds} round(s) alternating which system goes first, medians; each worker process first runs {settings.ChildWarmUp:N0} tasks on a scratch schema |");
        Console.WriteLine();
    }

    private static string Redacted(string arg) => StoreLocations.IsPostgres(arg) ? StoreLocations.Redact(arg) : arg;

    private static void PrintResults(Settings settings, List<Peer> systems, Dictionary<Peer, List<double>> single, Dictionary<Peer, List<double>> bulk,
        Dictionary<Peer, List<EndToEnd>> e2e, string? prismqMissing)
    {
        static string Rounds(IEnumerable<double> values) => string.Join(" · ", values.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)));
        double? Med(Dictionary<Peer, List<double>> d, Peer s) => d.TryGetValue(s, out List<double>? v) && v.Count > 0 ? Statistics.Median(new List<double>(v)) : null;
        double? MedE(Peer s, Func<EndToEnd, double> f) => e2e.TryGetValue(s, out List<EndToEnd>? v) && v.Count > 0 ? Statistics.Median(v.Select(f).ToList()) : null;
        string Cell(double? v) => v is null ? "n/a" : v.Value.ToString("N0", CultureInfo.InvariantCulture);
        string Ratio(double? a, double? b) => a is null || b is null ? "n/a" : (a.Value / b.Value).ToString("N2", CultureInfo.InvariantCulture) + "×";

        Console.WriteLine("## Results");
        Console.WriteLine();
        Console.WriteLine($"Medians of {settings.Rounds} round(s); tasks (jobs) per second, higher is better. Every round's value is in the table after.");
        Console.WriteLine();
        Console.WriteLine("| figure | PrismQ /s | graphile-worker /s | PrismQ ÷ graphile-worker | goal | |");
        Console.WriteLine("|---|---:|---:|---:|---|---|");
        double? pq = MedE(Peer.PrismQ, r => r.Rate), gw = MedE(Peer.Graphile, r => r.Rate);
        string verdict = pq is null || gw is null ? "not measured" : pq.Value >= gw.Value ? "**met**" : "**not met**";
        Console.WriteLine($"| no-op tasks end to end, {settings.Processes} processes × concurrency {settings.Concurrency} | {Cell(pq)} | {Cell(gw)} | {Ratio(pq, gw)} | ≥ 1.0× | {verdict} |");
        Console.WriteLine($"| enqueue one by one (one call, one transaction each) | {Cell(Med(single, Peer.PrismQ))} | {Cell(Med(single, Peer.Graphile))} | {Ratio(Med(single, Peer.PrismQ), Med(single, Peer.Graphile))} | | |");
        Console.WriteLine($"| enqueue in bulk (one call per {Batch:N0}) | {Cell(Med(bulk, Peer.PrismQ))} | {Cell(Med(bulk, Peer.Graphile))} | {Ratio(Med(bulk, Peer.PrismQ), Med(bulk, Peer.Graphile))} | | |");
        if (systems.Contains(Peer.GraphileBatched))
        {
            double? gwb = MedE(Peer.GraphileBatched, r => r.Rate);
            Console.WriteLine($"| end to end, against graphile-worker with its opt-in batching (localQueue {settings.Concurrency + 1}, completeJobBatchDelay 0) | {Cell(pq)} | {Cell(gwb)} | {Ratio(pq, gwb)} | (information) | |");
        }

        Console.WriteLine();

        Console.WriteLine("### Every round");
        Console.WriteLine();
        Console.WriteLine("| system | end to end /s | enqueue one by one /s | enqueue in bulk /s | load (1 min) at each end-to-end start |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (Peer s in systems)
            Console.WriteLine($"| {Name(s)} | {Rounds(e2e[s].Select(r => r.Rate))} | {(s == Peer.GraphileBatched ? "" : Rounds(single[s]))} | {Rounds(bulk[s])} | {string.Join(" · ", e2e[s].Select(r => r.Load.ToString("N2", CultureInfo.InvariantCulture)))} |");
        Console.WriteLine();

        Console.WriteLine("### Where the end-to-end time goes");
        Console.WriteLine();
        Console.WriteLine("Medians over the rounds, per task, measured between the start and the last task done. CPU from /proc (the worker processes together; the server: the postmaster, its live children and the children it reaped, so anything else using the same server counts too). Transactions from `pg_stat_database` (the whole database, so also anything else on it); rows updated and deleted from `pg_stat_user_tables` of the run's own schema (the enqueue's inserts are not in them).");
        Console.WriteLine();
        Console.WriteLine("| system | worker processes CPU µs/task | server CPU µs/task | transactions/task | rows updated/task | rows deleted/task |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (Peer s in systems)
        {
            Console.WriteLine($"| {Name(s)} | {MedE(s, r => r.WorkerCpuUs):N1} | {MedE(s, r => r.ServerCpuUs):N1} | {MedE(s, r => r.XactsPerTask):N2} | {MedE(s, r => r.UpdatesPerTask):N2} | {MedE(s, r => r.DeletesPerTask):N2} |");
        }

        Console.WriteLine();
    }
}
