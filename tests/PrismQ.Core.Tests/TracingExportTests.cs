using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.Tests.Storage;
using PrismQ.Tracing;
using Xunit;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Tests.Tracing;

/// <summary>The timeline export checked with a validator of the Trace Event Format, on hand-made and real worker traces.</summary>
public sealed class TracingExportTests
{
    [Fact]
    public void The_validator_finds_overlaps_missing_fields_and_unbalanced_slices_and_accepts_nesting()
    {
        static IReadOnlyList<string> Check(string events) => TraceEventFormatValidator.Validate("{\"traceEvents\":[" + events + "]}", out _);

        Assert.Empty(Check(
            "{\"name\":\"outer\",\"ph\":\"X\",\"ts\":10,\"dur\":100,\"pid\":1,\"tid\":1}," +
            "{\"name\":\"inner\",\"ph\":\"X\",\"ts\":20,\"dur\":30,\"pid\":1,\"tid\":1}," +
            "{\"name\":\"same start, inside\",\"ph\":\"X\",\"ts\":10,\"dur\":5,\"pid\":1,\"tid\":1}," +
            "{\"name\":\"next\",\"ph\":\"X\",\"ts\":110,\"dur\":10,\"pid\":1,\"tid\":1}," +
            "{\"name\":\"other track\",\"ph\":\"X\",\"ts\":15,\"dur\":200,\"pid\":1,\"tid\":2}," +
            "{\"name\":\"b\",\"ph\":\"B\",\"ts\":300,\"pid\":1,\"tid\":1},{\"ph\":\"E\",\"ts\":310,\"pid\":1,\"tid\":1}," +
            "{\"name\":\"mark\",\"ph\":\"i\",\"s\":\"t\",\"ts\":15,\"pid\":1,\"tid\":1}," +
            "{\"name\":\"depth\",\"ph\":\"C\",\"ts\":15,\"pid\":1,\"tid\":0,\"args\":{\"ready\":3}}," +
            "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,\"args\":{\"name\":\"w\"}}"));

        Assert.Contains("overlaps", Assert.Single(Check(
            "{\"name\":\"a\",\"ph\":\"X\",\"ts\":10,\"dur\":100,\"pid\":1,\"tid\":1}," +
            "{\"name\":\"b\",\"ph\":\"X\",\"ts\":50,\"dur\":100,\"pid\":1,\"tid\":1}")));
        Assert.Contains("overlaps", Assert.Single(Check(
            "{\"name\":\"a\",\"ph\":\"B\",\"ts\":10,\"pid\":1,\"tid\":1},{\"ph\":\"E\",\"ts\":110,\"pid\":1,\"tid\":1}," +
            "{\"name\":\"b\",\"ph\":\"X\",\"ts\":50,\"dur\":100,\"pid\":1,\"tid\":1}")));
        Assert.Contains("dur", Assert.Single(Check("{\"name\":\"a\",\"ph\":\"X\",\"ts\":10,\"pid\":1,\"tid\":1}")));
        Assert.Contains("never ended", Assert.Single(Check("{\"name\":\"a\",\"ph\":\"B\",\"ts\":10,\"pid\":1,\"tid\":1}")));
        Assert.Contains("no open B", Assert.Single(Check("{\"ph\":\"E\",\"ts\":10,\"pid\":1,\"tid\":1}")));
        Assert.Contains("tid", Assert.Single(Check("{\"name\":\"a\",\"ph\":\"i\",\"ts\":10,\"pid\":1}")));
        Assert.Contains("ts", Assert.Single(Check("{\"name\":\"a\",\"ph\":\"i\",\"pid\":1,\"tid\":1}")));
        Assert.Contains("phase", Assert.Single(Check("{\"name\":\"a\",\"ph\":\"Q\",\"ts\":1,\"pid\":1,\"tid\":1}")));
        Assert.Contains("counter", Assert.Single(Check("{\"name\":\"c\",\"ph\":\"C\",\"ts\":1,\"pid\":1,\"tid\":1}")));
        Assert.Contains("JSON", Assert.Single(TraceEventFormatValidator.Validate("{\"traceEvents\":[", out _)));
    }

    [Fact]
    public void Overlapping_attempts_of_one_worker_get_a_lane_each_and_a_freed_lane_is_reused()
    {
        using var folder = new TraceTempFolder();
        var session = TraceSession.Start(folder.QueueDb);
        ITraceEmitter t = session.Emitter;
        short slot = t.RegisterWorker("worker-A");
        // Three attempts at once, then a fourth after the second ended; then task 1 restarted (attempt 1 again).
        foreach (long task in new long[] { 1, 2, 3 }) t.Emit(TraceEventKind.Claim, task, 1, slot, 3);
        foreach (long task in new long[] { 1, 2, 3 }) t.Emit(TraceEventKind.Start, task, 1, slot, 0);
        t.EmitDetail(TraceEventKind.User, 2, 1, slot, 0, "inside task 2");
        t.Emit(TraceEventKind.Complete, 2, 1, slot, 10);
        t.Emit(TraceEventKind.Start, 4, 1, slot, 0);
        t.Emit(TraceEventKind.Fail, 1, 1, slot, 10);
        t.Emit(TraceEventKind.RetryScheduled, 1, 1, slot, 0);
        t.Emit(TraceEventKind.Complete, 3, 1, slot, 10);
        t.Emit(TraceEventKind.Complete, 4, 1, slot, 10);
        t.Emit(TraceEventKind.Start, 1, 1, slot, 0);
        t.Emit(TraceEventKind.Cancel, 1, 1, slot, 0); // the heartbeat learns of a cancel request: the attempt goes on
        t.Emit(TraceEventKind.Cancel, 1, 1, slot, 25); // the attempt ends cancelled (value: its duration)
        session.Dispose();

        string json = Export(folder.QueueDb);
        Assert.Empty(TraceEventFormatValidator.Validate(json, out IReadOnlyList<JsonElement> events));
        var names = TrackNames(events);
        JsonElement[] slices = events.Where(e => Ph(e) == "X").ToArray();
        Assert.Equal(new[] { "1/1", "1/1", "2/1", "3/1", "4/1" },
            slices.Select(s => $"{Arg(s, "task")}/{Arg(s, "attempt")}").OrderBy(x => x, StringComparer.Ordinal));
        Assert.Equal(new[] { "worker-A #1", "worker-A #2", "worker-A #3" },
            slices.Select(s => names[Track(s)]).Distinct().OrderBy(x => x, StringComparer.Ordinal));
        JsonElement four = slices.Single(s => Arg(s, "task") == 4);
        JsonElement two = slices.Single(s => Arg(s, "task") == 2);
        Assert.Equal(Track(two), Track(four)); // task 2's lane was free again when task 4 started
        Assert.Equal(new[] { "Fail", "Cancel" }, slices.Where(s => Arg(s, "task") == 1).Select(s => s.GetProperty("args").GetProperty("outcome").GetString()));

        // Instants: claims on the worker's own track, the user event on its attempt's lane, the retry marker after the slice.
        Track(events.Single(e => Ph(e) == "M" && e.GetProperty("args").TryGetProperty("name", out JsonElement n) && n.GetString() == "worker-A"));
        Assert.All(events.Where(e => Ph(e) == "i" && e.GetProperty("name").GetString() == "Claim"), e => Assert.Equal("worker-A", names[Track(e)]));
        JsonElement user = events.Single(e => Ph(e) == "i" && e.GetProperty("cat").GetString() == "user");
        Assert.Equal("inside task 2", user.GetProperty("name").GetString());
        Assert.Equal("inside task 2", user.GetProperty("args").GetProperty("message").GetString());
        Assert.Equal(Track(two), Track(user));
        JsonElement retry = events.Single(e => Ph(e) == "i" && e.GetProperty("name").GetString() == "RetryScheduled");
        Assert.Equal("worker-A", names[Track(retry)]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task A_real_worker_run_exports_a_valid_timeline_with_one_slice_per_attempt_retries_and_restarts_included(int concurrency)
    {
        using var folder = new TempFolder();
        string db = folder.File("queue.db");
        var ok = new List<long>();
        long flaky, once;
        var starts = new ConcurrentBag<(long Task, int Attempt)>();
        using (SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions
        {
            DatabasePath = db,
            RetryPolicy = new RetryPolicy { BaseDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero, Jitter = 0 },
            Tracing = new TraceOptions { PostRoll = TimeSpan.Zero },
        }))
        {
            for (int i = 0; i < 40; i++) ok.Add((await store.EnqueueAsync(new EnqueueRequest("ok"))).Task.Id);
            flaky = (await store.EnqueueAsync(new EnqueueRequest("flaky") { MaxAttempts = 2 })).Task.Id; // fails once, is retried
            once = (await store.EnqueueAsync(new EnqueueRequest("once") { MaxAttempts = 1 })).Task.Id;   // fails, is restarted

            // At concurrency 4 the first four attempts wait for each other, so the run surely has overlapping attempts.
            using var together = new CountdownEvent(concurrency);
            int runsOfOnce = 0;
            Task<string?> Handler(TaskContext ctx, CancellationToken ct)
            {
                starts.Add((ctx.TaskId, ctx.Attempt));
                if (concurrency > 1 && !together.IsSet)
                {
                    lock (together)
                    {
                        if (!together.IsSet) together.Signal();
                    }

                    if (!together.Wait(WorkersTestDb.Patience)) throw new TimeoutException("the attempts never ran together");
                }

                ctx.TraceEvent("step of " + ctx.TaskId);
                if (ctx.Type == "flaky" && ctx.Attempt == 1) throw new InvalidOperationException("flaky fails its first attempt");
                if (ctx.Type == "once" && Interlocked.Increment(ref runsOfOnce) == 1) throw new InvalidOperationException("once fails before its restart");
                return Task.FromResult<string?>(null);
            }

            using var stop = new CancellationTokenSource();
            Task<WorkerRunSummary> run = new Worker(store, new WorkerOptions
            {
                WorkerId = "export-worker",
                Concurrency = concurrency,
                Handlers = { ["ok"] = Handler, ["flaky"] = Handler, ["once"] = Handler },
            }).RunAsync(stop.Token);

            await WorkersTestDb.Until(async () => (await store.GetAsync(once))!.Status == TaskStatus.Failed, "task 'once' failed");
            Assert.True(await store.RetryAsync(once)); // what Restart-PrismQTask does: its attempts count from 1 again
            await WorkersTestDb.Until(async () =>
                (await store.QueryAsync(new TaskQuery { Limit = 100 })).All(t => t.Status == TaskStatus.Succeeded), "every task succeeded");
            stop.Cancel();
            await run.WaitAsync(WorkersTestDb.Patience);
        }

        string json = Export(db);
        IReadOnlyList<string> violations = TraceEventFormatValidator.Validate(json, out IReadOnlyList<JsonElement> events);
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));

        // One slice per attempt that ran (as the handler saw them): the retried task's attempts 1 and 2, the restarted
        // task's first run and its run after the restart (today both attempt 1: a restart numbers attempts from 1 again).
        JsonElement[] slices = events.Where(e => Ph(e) == "X").ToArray();
        Assert.Equal(starts.Select(s => $"{s.Task}/{s.Attempt}").OrderBy(x => x, StringComparer.Ordinal),
            slices.Select(s => $"{Arg(s, "task")}/{Arg(s, "attempt")}").OrderBy(x => x, StringComparer.Ordinal));
        Assert.Equal(new[] { "Fail", "Complete" }, slices.Where(s => Arg(s, "task") == once).OrderBy(s => s.GetProperty("ts").GetDouble())
            .Select(s => s.GetProperty("args").GetProperty("outcome").GetString()));
        Assert.Equal(new long[] { 1, 2 }, slices.Where(s => Arg(s, "task") == flaky).Select(s => Arg(s, "attempt")).OrderBy(a => a));
        Assert.All(slices.Where(s => ok.Contains(Arg(s, "task"))), s => Assert.Equal("Complete", s.GetProperty("args").GetProperty("outcome").GetString()));

        // Every slice is on a lane of the worker, named after it; at concurrency 4 the overlapping attempts used several lanes.
        var names = TrackNames(events);
        Assert.All(slices, s => Assert.StartsWith("export-worker #", names[Track(s)]));
        if (concurrency > 1) Assert.True(slices.Select(Track).Distinct().Count() >= concurrency);

        // The retry marker of the flaky task's first attempt, and every user event with its message.
        Assert.Contains(events, e => Ph(e) == "i" && e.GetProperty("name").GetString() == "RetryScheduled" && Arg(e, "task") == flaky && Arg(e, "attempt") == 1);
        JsonElement[] users = events.Where(e => Ph(e) == "i" && e.GetProperty("cat").GetString() == "user").ToArray();
        Assert.Equal(starts.Count, users.Length);
        Assert.All(users, u => Assert.Equal("step of " + Arg(u, "task"), u.GetProperty("name").GetString()));

        // The queue-depth counter: sampled by the worker while it ran.
        Assert.Contains(events, e => Ph(e) == "C" && e.GetProperty("name").GetString() == "queue depth (export-worker)");
    }

    private static string Export(string queueDb)
    {
        using var stream = new MemoryStream();
        TraceStore.ForQueue(queueDb).ExportChromeTrace(stream, new TraceQuery { IncludeDetail = true });
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Ph(JsonElement e) => e.GetProperty("ph").GetString()!;

    private static long Arg(JsonElement e, string name) => e.GetProperty("args").GetProperty(name).GetInt64();

    private static (long Pid, long Tid) Track(JsonElement e) => (e.GetProperty("pid").GetInt64(), e.GetProperty("tid").GetInt64());

    private static Dictionary<(long Pid, long Tid), string> TrackNames(IEnumerable<JsonElement> events) =>
        events.Where(e => Ph(e) == "M" && e.GetProperty("name").GetString() == "thread_name")
            .ToDictionary(Track, e => e.GetProperty("args").GetProperty("name").GetString()!);
}
