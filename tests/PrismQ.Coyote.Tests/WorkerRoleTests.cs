using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Coyote.Specifications;
using PrismQ.Workers;
using Xunit;
using Xunit.Abstractions;
using CoyoteRandom = Microsoft.Coyote.Random.Generator;

using PrismQ.Tests;

namespace PrismQ.Coyote.Tests;

/// <summary>
/// The whole worker (<see cref="Worker.RunAsync"/>: producer, executors, completer, lease keeper, maintenance) under
/// Coyote, on an in-memory <see cref="FakeTaskStore"/> and a <see cref="WorkersManualClock"/> whose timers fire only when a
/// test task advances it. Each test races one event against the worker's roles (a stop, a rescue, a user cancel, a
/// timeout) at points Coyote chooses, and checks after <see cref="Worker.RunAsync"/> returns that every claimed
/// attempt ended exactly once and that the summary, the attempt observer and the store agree.
/// </summary>
/// <remarks>
/// What Coyote does not control here: the worker's waits on its clock (<c>TimeProviderTaskExtensions.Delay</c> in
/// Producer.WaitAsync, LeaseKeeper.DelayAsync, WorkerMaintenance.DelayAsync, RunningAttempt.AbandonAfterGraceAsync)
/// return tasks made by the BCL, which Coyote cannot see, so it reports them as uncontrolled and, when an operation
/// awaits one, only checks whether it has completed. Their timers are the manual clock's, fired by a test task (a
/// controlled operation), so nothing runs on a real thread or in real time: what completes them is explored, the
/// wake-up itself is not a separate step. The tests accept that one call (<see cref="ClockDelay"/>).
/// </remarks>
public sealed class WorkerRoleTests
{
    /// <summary>The uncontrolled call the worker makes: its clock's delays (see the remarks above).</summary>
    private static readonly string[] ClockDelay = { "System.Threading.Tasks.TimeProviderTaskExtensions.Delay" };

    private static readonly string LivenessFolder = Path.Combine(Path.GetTempPath(), "prismq-coyote-" + Environment.ProcessId);
    private static int s_workers;

    private readonly ITestOutputHelper _output;

    public WorkerRoleTests(ITestOutputHelper output) => _output = output;

    private static CoyoteOptions Options(uint iterations) => new() { Iterations = iterations, KnownUncontrolled = ClockDelay };

    /// <summary>One worker run: its store, clock, stop token and what the attempt observer saw.</summary>
    private sealed class Run
    {
        public required WorkersManualClock Clock { get; init; }
        public required FakeTaskStore Store { get; init; }
        public required Worker Worker { get; init; }
        public required List<AttemptEnd> Ends { get; init; }
        public CancellationTokenSource Stop { get; } = new();

        public AttemptEnd[] EndsSnapshot()
        {
            lock (Ends) return Ends.ToArray();
        }

        public Task<WorkerRunSummary> Start() => Task.Run(() => Worker.RunAsync(Stop.Token));
    }

    private static Run NewRun(Func<TaskContext, CancellationToken, Task<string?>> handler, int concurrency, int prefetch = 64, int? maxTasks = null,
        long timestampStep = 0, Action<FakeTaskStore>? fill = null, int tasks = 0)
    {
        var clock = new WorkersManualClock { TimestampStep = timestampStep };
        var store = new FakeTaskStore(clock);
        for (int i = 0; i < tasks; i++) store.Add();
        fill?.Invoke(store);
        var ends = new List<AttemptEnd>();
        var options = new WorkerOptions
        {
            WorkerId = "coyote-" + Interlocked.Increment(ref s_workers),
            Concurrency = concurrency,
            Prefetch = prefetch,
            MaxTasks = maxTasks,
            TimeProvider = clock,
            LeaseDuration = TimeSpan.FromMinutes(1),     // heartbeats every 5 s of the manual clock (the registry's pace)
            SweepInterval = TimeSpan.FromMinutes(1),     // maintenance never runs unless a test advances the clock a minute
            LivenessDirectory = LivenessFolder,
            ManageWal = false,
            FallbackHandler = handler,
            AttemptEnded = end =>
            {
                lock (ends) ends.Add(end);
            },
        };
        return new Run { Clock = clock, Store = store, Worker = new Worker(store, options), Ends = ends };
    }

    /// <summary>
    /// What must hold after any run: every claim ended exactly once (one observer call per lease token, as many as the
    /// store's claims, the summary's counts matching them), each outcome is what the store holds for that lease (a
    /// success is a Succeeded write under that token, a release an uncounted Queued write, a lost lease no write at
    /// all and the lease taken by the test's rescue), nothing is left Running under the worker, and no lease was
    /// written twice.
    /// </summary>
    private static void CheckAgreement(Run run, WorkerRunSummary summary)
    {
        AttemptEnd[] ends = run.EndsSnapshot();
        IReadOnlyList<FakeTaskStore.Row> rows = run.Store.Rows;
        int claims = rows.Sum(r => r.Claims);
        Specification.Assert(ends.Length == claims, $"{claims} claims but {ends.Length} attempts ended");
        Specification.Assert(ends.Select(e => e.Token).Distinct().Count() == ends.Length, "an attempt ended twice");
        Specification.Assert(summary.Processed == claims, $"{claims} claims but the summary counts {summary.Processed}: {summary}");
        long Count(AttemptOutcome outcome) => ends.Count(e => e.Outcome == outcome);
        Specification.Assert(summary.Succeeded == Count(AttemptOutcome.Succeeded) && summary.Failed == Count(AttemptOutcome.Failed) &&
            summary.Retried == Count(AttemptOutcome.Retried) && summary.LeasesLost == Count(AttemptOutcome.LeaseLost) &&
            summary.Released == Count(AttemptOutcome.Released) && summary.Cancelled == Count(AttemptOutcome.Cancelled),
            $"the summary ({summary}) and the observer disagree");
        Specification.Assert(summary.Succeeded == rows.Count(r => r.Status == TaskStatus.Succeeded),
            $"summary {summary.Succeeded} succeeded, store {rows.Count(r => r.Status == TaskStatus.Succeeded)}");

        foreach (FakeTaskStore.Row row in rows)
        {
            Specification.Assert(row.Status != TaskStatus.Running || row.Owner == FakeTaskStore.RescuerId,
                $"task {row.Id} is left Running under {row.Owner}");
            Specification.Assert(row.Succeeded <= 1, $"task {row.Id} succeeded {row.Succeeded} times");
            Specification.Assert(row.Applied.Select(a => a.Token).Distinct().Count() == row.Applied.Count, $"task {row.Id}: a lease was written twice");
            Specification.Assert(row.Attempts >= 0, $"task {row.Id} has {row.Attempts} attempts");
            if (row.Status == TaskStatus.Queued && row.RescuedToken is null && !row.Applied.Any(a => a.Written == TaskStatus.Queued && ends.Any(e => e.Token == a.Token && e.Outcome == AttemptOutcome.Retried)))
                Specification.Assert(row.Attempts == 0, $"task {row.Id} is Queued with {row.Attempts} attempts counted, but it was only ever released");
        }

        foreach (AttemptEnd end in ends)
        {
            FakeTaskStore.Row row = rows.Single(r => r.Id == end.TaskId);
            (LeaseToken Token, TaskStatus Written)[] written = row.Applied.Where(a => a.Token == end.Token).ToArray();
            TaskStatus? expected = end.Outcome switch
            {
                AttemptOutcome.Succeeded => TaskStatus.Succeeded,
                AttemptOutcome.Failed => TaskStatus.Failed,
                AttemptOutcome.Retried or AttemptOutcome.Released => TaskStatus.Queued,
                AttemptOutcome.Cancelled => TaskStatus.Cancelled,
                _ => null,
            };
            if (expected is null)
            {
                Specification.Assert(written.Length == 0, $"task {end.TaskId}: counted as lease lost, but the store wrote [{string.Join(", ", written.Select(w => w.Written))}] under its lease");
                Specification.Assert(row.RescuedToken == end.Token, $"task {end.TaskId}: counted as lease lost, but its lease was never taken away");
            }
            else
            {
                Specification.Assert(written.Length == 1 && written[0].Written == expected,
                    $"task {end.TaskId}: counted {end.Outcome}, but the store wrote [{string.Join(", ", written.Select(w => w.Written))}] under its lease");
            }
        }
    }

    // ---- 1. stop during a completion batch ------------------------------------------------------------------------

    private static int s_stopInWrite, s_stopWithPending;

    [Fact]
    public void Stop_during_a_completion_batch_ends_every_claimed_task_exactly_once()
    {
        // Handlers finish and their transitions sit in the completer (its group-commit window, or the write in
        // flight) when the stop token fires. Coyote chooses whether the stop follows the first handler's return or the
        // start of the first write, and how many steps later it comes.
        s_stopInWrite = s_stopWithPending = 0;
        CoyoteRunner.Check(StopDuringBatch, _output, Options(300));
        _output.WriteLine($"stops after the first write began: {s_stopInWrite}; with handlers still running: {s_stopWithPending}");
    }

    private static async Task StopDuringBatch()
    {
        {
            var random = CoyoteRandom.Create();
            var firstReturned = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            var writeStarted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            Run run = NewRun(async (context, token) =>
            {
                await Task.Yield();
                firstReturned.TrySetResult(true);
                return "1";
            }, concurrency: 3, tasks: 5);
            run.Store.BeforeApply = async transitions =>
            {
                writeStarted.TrySetResult(true);
                await Task.Yield();
            };
            Task<WorkerRunSummary> worker = run.Start();

            bool inWrite = random.NextBoolean();
            await (inWrite ? writeStarted.Task : firstReturned.Task);
            for (int i = random.NextInteger(4); i > 0; i--) await Task.Yield();
            int running = run.Worker.RunningCount;
            run.Stop.Cancel();
            if (inWrite) Interlocked.Increment(ref s_stopInWrite);
            WorkerRunSummary summary = await worker;

            CheckAgreement(run, summary);
            Specification.Assert(summary.StopReason == WorkerStopReason.Cancelled, $"stop reason {summary.StopReason}");
            Specification.Assert(summary.Failed + summary.Retried + summary.LeasesLost + summary.Cancelled == 0, $"unexpected outcomes: {summary}");
            foreach (FakeTaskStore.Row row in run.Store.Rows)
                Specification.Assert(row.Status is TaskStatus.Succeeded or TaskStatus.Queued, $"task {row.Id} ended {row.Status}");
            if (running > 0) Interlocked.Increment(ref s_stopWithPending);
        }
    }

    // ---- 2. a lease lost while completing --------------------------------------------------------------------------

    private static int s_rescuedInWrite, s_rescuedAfterReturn, s_rescueMissed;

    [Fact]
    public void A_lease_lost_while_completing_is_counted_lost_and_the_rescuers_state_stands()
    {
        // Task 1's lease is taken away (back to Queued, or to another worker under a new token) while its
        // transition is pending: inside the write that carries it (before it applies), or some steps after its
        // handler returned (in the completer's queue or window, or before the producer decided).
        s_rescuedInWrite = s_rescuedAfterReturn = s_rescueMissed = 0;
        CoyoteRunner.Check(LeaseLostWhileCompleting, _output, Options(300));
        _output.WriteLine($"rescued in the write: {s_rescuedInWrite}; after the handler returned: {s_rescuedAfterReturn}; too late (already written): {s_rescueMissed}");
        Assert.True(s_rescuedInWrite > 0 && s_rescuedAfterReturn > 0, "the rescue never hit a pending transition");
    }

    private static async Task LeaseLostWhileCompleting()
    {
        var random = CoyoteRandom.Create();
        bool requeue = random.NextBoolean();
        bool inWrite = random.NextBoolean();
        const long target = 1;
        var returned = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Run run = NewRun(async (context, token) =>
        {
            await Task.Yield();
            if (context.TaskId == target) returned.TrySetResult(true);
            return "1";
        }, concurrency: 2, maxTasks: 2, tasks: 2);
        bool rescued = false;
        if (inWrite)
        {
            run.Store.BeforeApply = async transitions =>
            {
                await Task.Yield();
                if (!rescued && transitions.Any(t => t.Id == target && t.Status == TaskStatus.Succeeded)) rescued = run.Store.Rescue(target, requeue);
            };
        }
        Task<WorkerRunSummary> worker = run.Start();
        if (!inWrite)
        {
            await returned.Task;
            for (int i = random.NextInteger(4); i > 0; i--) await Task.Yield();
            rescued = run.Store.Rescue(target, requeue);
        }
        WorkerRunSummary summary = await worker;

        CheckAgreement(run, summary);
        Specification.Assert(summary.StopReason == WorkerStopReason.MaxTasks, $"stop reason {summary.StopReason}");
        FakeTaskStore.Row row = run.Store.Get(target);
        AttemptEnd end = run.EndsSnapshot().Single(e => e.TaskId == target);
        if (rescued)
        {
            Specification.Assert(end.Outcome == AttemptOutcome.LeaseLost, $"the rescued attempt was counted {end.Outcome}");
            Specification.Assert(summary.LeasesLost == 1 && summary.Succeeded == 1, $"summary {summary}");
            Specification.Assert(row.Applied.Count == 0, $"the old holder wrote [{string.Join(", ", row.Applied.Select(a => a.Written))}] over the rescue");
            if (requeue)
                Specification.Assert(row.Status == TaskStatus.Queued && row.Attempts == 1 && row.LastError?.Type == AttemptRules.LeaseExpiredType,
                    $"the rescued task is {row.Status} with {row.Attempts} attempts, error {row.LastError?.Type}");
            else
                Specification.Assert(row.Status == TaskStatus.Running && row.Owner == FakeTaskStore.RescuerId && row.Attempts == 2 && row.Token != row.RescuedToken,
                    $"the rescuer's lease was overwritten: {row.Status} owner {row.Owner}");
            Interlocked.Increment(ref inWrite ? ref s_rescuedInWrite : ref s_rescuedAfterReturn);
        }
        else
        {
            Specification.Assert(end.Outcome == AttemptOutcome.Succeeded && row.Status == TaskStatus.Succeeded, $"not rescued, but {end.Outcome} / {row.Status}");
            Interlocked.Increment(ref s_rescueMissed);
        }
    }

    // ---- 3. cancel during a claim ----------------------------------------------------------------------------------

    private static int s_cancelledClaimed, s_releasedPrefetched, s_cancelledQueued;

    [Fact]
    public void A_user_cancel_or_a_stop_racing_a_claim_ends_no_task_twice()
    {
        // The fake store's claim yields (a claim in flight) while a user cancels a task (the store's CancelAsync), the
        // heartbeat comes (the clock moves 5 s: the lease keeper extends the leases and reports cancel requests) and
        // the worker's stop token fires, in an order Coyote chooses. Handlers honour their token. Prefetch is on
        // (the clock's timestamps move, so the handlers' measured time is not 0).
        s_cancelledClaimed = s_releasedPrefetched = s_cancelledQueued = 0;
        CoyoteRunner.Check(CancelDuringClaim, _output, Options(300));
        _output.WriteLine($"claimed tasks cancelled: {s_cancelledClaimed}; prefetched tasks released: {s_releasedPrefetched}; cancelled while queued: {s_cancelledQueued}");
        Assert.True(s_cancelledClaimed > 0 && s_releasedPrefetched > 0, "the cancel or the stop never hit a claimed task");
    }

    private static async Task CancelDuringClaim()
    {
        var random = CoyoteRandom.Create();
        int claimToHit = 1 + random.NextInteger(2);
        long victim = 1 + random.NextInteger(4);
        var claimInFlight = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        int claims = 0;
        Run run = NewRun(async (context, token) =>
        {
            await Task.Yield();
            token.ThrowIfCancellationRequested();
            return "1";
        }, concurrency: 1, prefetch: 4, timestampStep: 10, tasks: 4);
        run.Store.BeforeClaim = async () =>
        {
            if (Interlocked.Increment(ref claims) == claimToHit) claimInFlight.TrySetResult(true);
            await Task.Yield();
        };
        Task<WorkerRunSummary> worker = run.Start();
        await claimInFlight.Task;

        Task cancel = Task.Run(async () => await run.Store.CancelAsync(victim));
        Task heartbeat = Task.Run(() => run.Clock.Advance(TimeSpan.FromSeconds(5)));
        Task stop = Task.Run(async () =>
        {
            for (int i = random.NextInteger(3); i > 0; i--) await Task.Yield();
            run.Stop.Cancel();
        });
        await Task.WhenAll(new[] { cancel, heartbeat, stop });
        WorkerRunSummary summary = await worker;

        CheckAgreement(run, summary);
        Specification.Assert(summary.Failed + summary.Retried + summary.LeasesLost == 0, $"unexpected outcomes: {summary}");
        foreach (FakeTaskStore.Row row in run.Store.Rows)
        {
            Specification.Assert(row.Status is TaskStatus.Succeeded or TaskStatus.Queued or TaskStatus.Cancelled, $"task {row.Id} ended {row.Status}");
            if (row.Status == TaskStatus.Queued) Specification.Assert(row.Attempts == 0, $"task {row.Id} is Queued with {row.Attempts} attempts");
            if (row.Status == TaskStatus.Cancelled) Specification.Assert(row.Id == victim, $"task {row.Id} was cancelled, but the user cancelled {victim}");
            if (row.Status == TaskStatus.Cancelled && row.CancelledWhileQueued) Interlocked.Increment(ref s_cancelledQueued);
            else if (row.Status == TaskStatus.Cancelled) Interlocked.Increment(ref s_cancelledClaimed);
        }
        if (summary.Released > 0) Interlocked.Increment(ref s_releasedPrefetched);
    }

    // ---- 4. a handler finishing as its timeout fires ---------------------------------------------------------------

    private static int s_timeoutWon, s_handlerWon;

    [Fact]
    public void A_handler_finishing_as_its_timeout_fires_has_exactly_one_outcome()
    {
        // One task with a 1 s timeout. Once its handler has started, one test task moves the clock 1 s (the
        // timeout's timer fires: the attempt is cancelled) while another lets the handler return. Coyote chooses
        // whether the handler honours its token and whether the task has an attempt left.
        s_timeoutWon = s_handlerWon = 0;
        CoyoteRunner.Check(HandlerFinishingAsTimeoutFires, _output, Options(300));
        _output.WriteLine($"timed out: {s_timeoutWon}; succeeded: {s_handlerWon}");
        Assert.True(s_timeoutWon > 0 && s_handlerWon > 0, "only one side of the race was seen");
    }

    private static async Task HandlerFinishingAsTimeoutFires()
    {
        var random = CoyoteRandom.Create();
        bool honours = random.NextBoolean();
        int maxAttempts = 1 + random.NextInteger(2);
        var started = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;
        Run run = NewRun(async (context, token) =>
        {
            Interlocked.Increment(ref calls);
            if (honours) token.Register(() => release.TrySetResult(true));
            started.TrySetResult(true);
            await release.Task;
            if (honours) token.ThrowIfCancellationRequested();
            return "\"done\"";
        }, concurrency: 1, maxTasks: 1, fill: store => store.Add(TimeSpan.FromSeconds(1), maxAttempts));
        Task<WorkerRunSummary> worker = run.Start();
        await started.Task;
        Task timeout = Task.Run(() => run.Clock.Advance(TimeSpan.FromSeconds(1)));
        Task finish = Task.Run(() => release.TrySetResult(true));
        await Task.WhenAll(new[] { timeout, finish });
        WorkerRunSummary summary = await worker;

        CheckAgreement(run, summary);
        AttemptEnd[] ends = run.EndsSnapshot();
        FakeTaskStore.Row row = run.Store.Get(1);
        Specification.Assert(ends.Length == 1 && calls == 1, $"{ends.Length} outcomes, {calls} handler calls");
        Specification.Assert(summary.StopReason == WorkerStopReason.MaxTasks, $"stop reason {summary.StopReason}");
        if (summary.Succeeded == 1)
        {
            Specification.Assert(summary.TimedOut == 0 && summary.Processed == 1 && !ends[0].TimedOut, $"succeeded and timed out: {summary}");
            Specification.Assert(row.Status == TaskStatus.Succeeded && row.Result == "\"done\"", $"store: {row.Status}");
            Interlocked.Increment(ref s_handlerWon);
        }
        else
        {
            Specification.Assert(summary.TimedOut == 1 && ends[0].TimedOut && summary.Retried + summary.Failed == 1, $"neither a success nor a timeout: {summary}");
            Specification.Assert(row.LastError?.Type == "PrismQ." + PrismQErrorCode.Timeout, $"the last error is {row.LastError?.Type}");
            if (maxAttempts == 1) Specification.Assert(summary.Failed == 1 && row.Status == TaskStatus.Failed, $"dead letter expected: {summary}, store {row.Status}");
            else Specification.Assert(summary.Retried == 1 && row.Status == TaskStatus.Queued && row.Attempts == 1, $"retry expected: {summary}, store {row.Status}, {row.Attempts} attempts");
            Interlocked.Increment(ref s_timeoutWon);
        }
    }

    // ---- 5. Ctrl+C with prefetched tasks ---------------------------------------------------------------------------

    private static int s_prefetchReleased, s_startedAfterStop;

    [Fact]
    public void A_stop_with_prefetched_tasks_gives_them_back_uncounted_and_never_runs_them()
    {
        // Concurrency 1, eight fast tasks: once a handler has been measured, the producer claims up to 4 ahead.
        // (Under a frozen clock a handler takes 0 ticks and Producer.PrefetchTarget stays 0, so the clock's timestamp
        // moves 1 µs per reading: a handler then measures a few µs, far below the 5 ms horizon, and the target is
        // the Prefetch bound, 4.) The stop token fires some steps after the first or second handler returned.
        s_prefetchReleased = s_startedAfterStop = 0;
        CoyoteRunner.Check(StopWithPrefetched, _output, Options(300));
        _output.WriteLine($"runs that released prefetched tasks: {s_prefetchReleased}; runs where a handler started after the stop token fired: {s_startedAfterStop}");
        Assert.True(s_prefetchReleased > 0, "prefetch never engaged before the stop");
    }

    private static async Task StopWithPrefetched()
    {
        var random = CoyoteRandom.Create();
        int stopAfter = 1 + random.NextInteger(2);
        var enough = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ran = new List<LeaseToken>();
        int returned = 0, startedAfterStop = 0;
        CancellationToken stopToken = default;
        Run? run = null;
        run = NewRun(async (context, token) =>
        {
            if (stopToken.IsCancellationRequested) Interlocked.Increment(ref startedAfterStop);
            lock (ran) ran.Add(context.LeaseToken);
            await Task.Yield();
            if (Interlocked.Increment(ref returned) == stopAfter) enough.TrySetResult(true);
            return "1";
        }, concurrency: 1, prefetch: 4, timestampStep: 10, tasks: 8);
        stopToken = run.Stop.Token;
        Task<WorkerRunSummary> worker = run.Start();
        await enough.Task;
        for (int i = random.NextInteger(4); i > 0; i--) await Task.Yield();
        run.Stop.Cancel();
        WorkerRunSummary summary = await worker;

        CheckAgreement(run, summary);
        Specification.Assert(summary.StopReason == WorkerStopReason.Cancelled, $"stop reason {summary.StopReason}");
        Specification.Assert(summary.Failed + summary.Retried + summary.LeasesLost + summary.Cancelled == 0, $"unexpected outcomes: {summary}");
        Specification.Assert(startedAfterStop <= 1, $"{startedAfterStop} handlers started after the stop (concurrency 1)");
        LeaseToken[] started;
        lock (ran) started = ran.ToArray();
        foreach (AttemptEnd end in run.EndsSnapshot())
        {
            bool handlerRan = started.Contains(end.Token);
            if (end.Outcome == AttemptOutcome.Released) Specification.Assert(!handlerRan, $"task {end.TaskId} was released, but its handler ran");
            else Specification.Assert(end.Outcome == AttemptOutcome.Succeeded && handlerRan, $"task {end.TaskId}: {end.Outcome}, handler ran: {handlerRan}");
        }
        foreach (FakeTaskStore.Row row in run.Store.Rows)
        {
            Specification.Assert(row.Status is TaskStatus.Succeeded or TaskStatus.Queued, $"task {row.Id} ended {row.Status}");
            if (row.Status == TaskStatus.Queued) Specification.Assert(row.Attempts == 0, $"task {row.Id} is Queued with {row.Attempts} attempts");
        }
        if (summary.Released > 0) Interlocked.Increment(ref s_prefetchReleased);
        if (startedAfterStop > 0) Interlocked.Increment(ref s_startedAfterStop);
    }
}
