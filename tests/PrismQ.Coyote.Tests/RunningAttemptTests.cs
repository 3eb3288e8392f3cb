using System;
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
/// The worked example on engine code: races on <see cref="RunningAttempt"/> (src/PrismQ.Core/Workers).
/// TryEnd and MarkHandlerDone use only Interlocked and a TaskCompletionSource, which Coyote controls: those tests are
/// fully systematic. Cancel starts the token's cancellation and the grace period with Task.Run (controlled), and the
/// grace period is a TimeProvider delay on a <see cref="WorkersManualClock"/> a test task moves: the delay's task is made by
/// the BCL, so Coyote reports it as uncontrolled (the Cancel tests list it in KnownUncontrolled), but its timer fires
/// only on a test task, so nothing runs on a real thread.
/// </summary>
public sealed class RunningAttemptTests
{
    // Cancel's one uncontrolled call: the grace delay, a task the BCL makes on the test's WorkersManualClock (its timer is
    // the manual clock's, fired by a test task, so nothing runs on a real thread or in real time).
    private static readonly string[] CancelUncontrolled =
    {
        "System.Threading.Tasks.TimeProviderTaskExtensions.Delay",
    };

    private readonly ITestOutputHelper _output;

    public RunningAttemptTests(ITestOutputHelper output) => _output = output;

    // A fixed token: Guid.NewGuid is data nondeterminism Coyote reports as uncontrolled (and a trace would not replay).
    private static RunningAttempt NewAttempt() =>
        new(new TaskRecord { Id = 7, Type = "t", Attempts = 1 }, new LeaseToken(new Guid(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)), startTimestamp: 0);

    [Fact]
    public void TryEnd_returns_true_exactly_once_when_called_from_three_tasks()
    {
        CoyoteRunner.Check(async () =>
        {
            using RunningAttempt attempt = NewAttempt();
            int winners = 0;
            void End()
            {
                if (attempt.TryEnd()) Interlocked.Increment(ref winners);
            }
            await Task.WhenAll(new[] { Task.Run(End), Task.Run(End), Task.Run(End) });
            Specification.Assert(winners == 1, $"TryEnd returned true {winners} times");
            Specification.Assert(!attempt.TryEnd(), "TryEnd returned true after the attempt had ended");
        }, _output, new CoyoteOptions { Iterations = 300 });
    }

    [Fact]
    public void HandlerDone_completes_once_and_wakes_its_waiter_whoever_marks_it()
    {
        CoyoteRunner.Check(async () =>
        {
            using RunningAttempt attempt = NewAttempt();
            Task waiter = Task.Run(async () =>
            {
                await attempt.HandlerDone;
                Specification.Assert(attempt.HandlerFinished, "HandlerDone completed but HandlerFinished is false");
            });
            await Task.WhenAll(new[] { Task.Run(attempt.MarkHandlerDone), Task.Run(attempt.MarkHandlerDone), waiter });
            Specification.Assert(attempt.HandlerDone.IsCompletedSuccessfully, "HandlerDone did not complete successfully");
            Specification.Assert(!attempt.AbandonSignal.IsCompleted, "abandoned without a cancel");
        }, _output, new CoyoteOptions { Iterations = 300 });
    }

    [Fact]
    public void The_first_cancel_reason_wins_and_a_lost_lease_is_recorded_even_when_it_comes_second()
    {
        CoyoteRunner.Check(async () =>
        {
            using RunningAttempt attempt = NewAttempt();
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            // Not disposed: Dispose waits for a callback running on another task, and Coyote may have paused that task
            // inside the callback (a hang). Unregister does not wait.
            CancellationTokenRegistration registration = attempt.CancellationToken.Register(() => cancelled.TrySetResult(true));
            var grace = TimeSpan.FromHours(1);   // the attempt is not abandoned in this test: the clock never moves
            var clock = new WorkersManualClock();

            CancelReason seenAfterFirst = CancelReason.None;
            Task timeout = Task.Run(() =>
            {
                attempt.Cancel(CancelReason.Timeout, clock, grace);
                seenAfterFirst = attempt.Reason;
            });
            Task leaseLost = Task.Run(() => attempt.Cancel(CancelReason.LeaseLost, clock, grace));
            Task user = Task.Run(() => attempt.Cancel(CancelReason.UserCancel, clock, grace));
            await Task.WhenAll(new[] { timeout, leaseLost, user });

            CancelReason reason = attempt.Reason;
            Specification.Assert(reason is CancelReason.Timeout or CancelReason.LeaseLost or CancelReason.UserCancel, $"reason {reason}");
            Specification.Assert(seenAfterFirst == reason, $"the reason changed from {seenAfterFirst} to {reason}");
            Specification.Assert(attempt.LeaseLost, $"the lost lease was not recorded (reason {reason})");
            await cancelled.Task;   // the token is cancelled once, on a task of Cancel's own
            Specification.Assert(attempt.CancellationToken.IsCancellationRequested, "token not cancelled");
            registration.Unregister();
            // End the grace period's wait inside the iteration: the handler returns and the hour passes. A wait left
            // pending resumes after Coyote has torn the iteration down and crashes the test host
            // (NullReferenceException in ControlledSynchronizationContext.Post).
            attempt.MarkHandlerDone();
            clock.Advance(grace);
            for (int i = 0; i < 3; i++) await Task.Yield();
        }, _output, new CoyoteOptions { Iterations = 200, KnownUncontrolled = CancelUncontrolled });
    }

    [Fact]
    public void A_cancel_racing_the_handlers_completion_never_both_abandons_and_completes()
    {
        // The worker's protocol (AttemptExecutor.AwaitAsync): wait for the handler or the abandon signal, whichever is
        // first, then MarkHandlerDone, then record the outcome once (TryEnd). Coyote chooses whether the handler
        // returns (after some yields) or hangs, when the cancel comes and when its grace period (on a WorkersManualClock) ends:
        // a handler still running then is abandoned. Fully controlled but for the BCL's delay task on the manual clock.
        // 50 schedules: each costs about 0.3 s, as Coyote waits in real time for the BCL's delay task that
        // RunningAttempt.AbandonAfterGraceAsync awaits (see README.md, "What Coyote controls here").
        CoyoteRunner.Check(CancelRacingCompletion, _output, new CoyoteOptions { Iterations = 50, KnownUncontrolled = CancelUncontrolled });
    }

    private static async Task CancelRacingCompletion()
    {
        {
            using RunningAttempt attempt = NewAttempt();
            var random = CoyoteRandom.Create();
            bool hangs = random.NextBoolean();
            int yields = random.NextInteger(3);
            var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            int completed = 0, abandoned = 0, ended = 0;

            Task handler = Task.Run(async () =>
            {
                for (int i = 0; i < yields; i++) await Task.Yield();
                if (hangs) await release.Task;   // a handler that ignores its token
            });

            Task worker = Task.Run(async () =>
            {
                Task first = await Task.WhenAny(handler, attempt.AbandonSignal);
                if (first == handler) Interlocked.Increment(ref completed);
                else Interlocked.Increment(ref abandoned);
                attempt.MarkHandlerDone();
                if (attempt.TryEnd()) Interlocked.Increment(ref ended);
            });

            var clock = new WorkersManualClock();
            Task canceller = Task.Run(() => attempt.Cancel(CancelReason.UserCancel, clock, TimeSpan.FromSeconds(1)));
            // The grace period passes once the cancel has started it (its timer is the clock's only one).
            Task time = Task.Run(async () =>
            {
                while (clock.PendingTimers == 0 && !worker.IsCompleted) await Task.Yield();
                clock.Advance(TimeSpan.FromSeconds(1));
            });

            await Task.WhenAll(new[] { worker, canceller, time });
            release.TrySetResult(true);
            await handler;

            Specification.Assert(completed + abandoned == 1, $"completed {completed}, abandoned {abandoned}");
            Specification.Assert(ended == 1, $"the outcome was recorded {ended} times");
            Specification.Assert(!hangs || abandoned == 1, "a hung handler was not abandoned");
            Specification.Assert(abandoned == 0 || attempt.CancellationToken.IsCancellationRequested, "abandoned before the token was cancelled");
            Specification.Assert(attempt.Reason == CancelReason.UserCancel, $"reason {attempt.Reason}");
        }
    }
}
