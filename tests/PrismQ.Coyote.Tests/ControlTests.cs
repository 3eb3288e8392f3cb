using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.Coyote.Specifications;
using Xunit;
using Xunit.Abstractions;

namespace PrismQ.Coyote.Tests;

/// <summary>
/// What Coyote 1.7.11 controls here (.NET 10, assemblies rewritten by the CoyoteRewrite target) and what it does not:
/// each test pins one observed fact, so that a Coyote or .NET upgrade that changes one shows up as a failing test.
/// README.md sums them up. "Controlled" means Coyote sees the construct, makes it a scheduling point and explores
/// its interleavings (here: finds a planted race); "uncontrolled" means it runs on real threads and real time.
/// </summary>
public sealed class ControlTests
{
    private static readonly CoyoteOptions Quick = new() { Iterations = 100 };
    private static readonly CoyoteOptions QuickLoose = Quick with { AllowUncontrolled = true };
    private readonly ITestOutputHelper _output;

    public ControlTests(ITestOutputHelper output) => _output = output;

    private CoyoteOutcome FindsBug(Func<Task> test, string message, CoyoteOptions? options = null, string name = "")
    {
        CoyoteOutcome outcome = CoyoteRunner.Explore(test, _output, options ?? Quick, name);
        Assert.True(outcome.BugFound, $"{name}: Coyote found no bug" + Environment.NewLine + outcome.Report);
        Assert.Contains(message, string.Join(Environment.NewLine, outcome.BugReports));
        return outcome;
    }

    // ---- controlled ------------------------------------------------------------------------------------------------

    [Fact]
    public void Task_Run_and_await_are_scheduling_points()
    {
        CoyoteOutcome outcome = FindsBug(async () =>
        {
            int count = 0;
            async Task Increment()
            {
                int seen = count;
                await Task.Yield();
                count = seen + 1;
            }
            await Task.WhenAll(new[] { Task.Run(Increment), Task.Run(Increment) });
            Specification.Assert(count == 2, "lost update");
        }, "lost update", name: nameof(Task_Run_and_await_are_scheduling_points));
        Assert.Empty(outcome.UncontrolledInvocations);
    }

    [Fact]
    public void Plain_field_access_is_no_scheduling_point_unless_memory_access_race_checking_is_on()
    {
        static async Task Test()
        {
            int count = 0;
            void Increment()
            {
                int seen = count;
                count = seen + 1;
            }
            await Task.WhenAll(new[] { Task.Run(Increment), Task.Run(Increment) });
            Specification.Assert(count == 2, "lost update");
        }

        Assert.False(CoyoteRunner.Explore(Test, _output, Quick).BugFound);
        FindsBug(Test, "lost update", Quick with { Configure = c => c.WithMemoryAccessRaceCheckingEnabled(true) },
            nameof(Plain_field_access_is_no_scheduling_point_unless_memory_access_race_checking_is_on));
    }

    [Fact]
    public void Lock_Interlocked_and_Volatile_are_scheduling_points()
    {
        FindsBug(async () =>
        {
            object gate = new();
            int count = 0;
            void Increment()
            {
                int seen;
                lock (gate) seen = count;
                lock (gate) count = seen + 1;
            }
            await Task.WhenAll(new[] { Task.Run(Increment), Task.Run(Increment) });
            Specification.Assert(count == 2, "lost update under two locks");
        }, "lost update under two locks", name: "LockRace");

        FindsBug(async () =>
        {
            int flag = 0, entered = 0;
            void Enter()
            {
                if (Volatile.Read(ref flag) != 0) return;   // check, then act: both can pass the check
                Interlocked.Exchange(ref flag, 1);
                Interlocked.Increment(ref entered);
            }
            await Task.WhenAll(new[] { Task.Run(Enter), Task.Run(Enter) });
            Specification.Assert(entered == 1, "entered twice");
        }, "entered twice", name: "CheckThenActRace");

        CoyoteRunner.Check(async () =>
        {
            int flag = 0, entered = 0;
            void Enter()
            {
                if (Interlocked.Exchange(ref flag, 1) == 0) Interlocked.Increment(ref entered);
            }
            await Task.WhenAll(new[] { Task.Run(Enter), Task.Run(Enter) });
            Specification.Assert(entered == 1, "entered twice");
        }, _output, Quick);
    }

    [Fact]
    public void SemaphoreSlim_is_controlled()
    {
        static Func<Task> Test(int slots) => async () =>
        {
            using var gate = new SemaphoreSlim(slots);
            int count = 0;
            async Task Increment()
            {
                await gate.WaitAsync();
                int seen = count;
                await Task.Yield();
                count = seen + 1;
                gate.Release();
            }
            await Task.WhenAll(new[] { Task.Run(Increment), Task.Run(Increment) });
            Specification.Assert(count == 2, "lost update");
        };

        CoyoteRunner.Check(Test(1), _output, Quick);
        FindsBug(Test(2), "lost update", name: "SemaphoreWithTwoSlots");
    }

    [Fact]
    public void TaskCompletionSource_continuations_and_CancellationToken_callbacks_are_interleaved()
    {
        FindsBug(async () =>
        {
            var signal = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            int after = 0;
            Task waiter = Task.Run(async () =>
            {
                await signal.Task;
                after = 1;
            });
            await Task.Run(() => signal.SetResult(true));
            Specification.Assert(after == 0, "continuation ran before the setter's task returned");
            await waiter;
        }, "continuation ran before", name: "TcsContinuation");

        FindsBug(async () =>
        {
            using var cancellation = new CancellationTokenSource();
            int called = 0;
            cancellation.Token.Register(() => called = 1);
            Task cancel = Task.Run(() => cancellation.Cancel());   // callbacks run synchronously on the cancelling task
            int seen = called;
            await cancel;
            Specification.Assert(seen == 0, "callback ran before the read");
        }, "callback ran before", name: "CancelCallback");
    }

    [Fact]
    public void Task_Delay_is_a_yield_that_takes_no_time_and_ignores_its_length()
    {
        var clock = Stopwatch.StartNew();
        CoyoteRunner.Check(async () => await Task.Delay(TimeSpan.FromHours(1)), _output, Quick);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"100 one-hour delays took {clock.Elapsed}");

        // Even an infinite delay returns: code that waits for cancellation with Task.Delay(Infinite, token) behaves
        // differently under Coyote. Wait on a TaskCompletionSource set by token.Register instead.
        FindsBug(async () =>
        {
            await Task.Delay(Timeout.Infinite);
            Specification.Assert(false, "an infinite delay returned");
        }, "an infinite delay returned", name: "InfiniteDelay");
    }

    [Fact]
    public void Task_WhenAll_of_a_params_span_is_uncontrolled_but_of_an_array_is_controlled()
    {
        // C# 13 binds Task.WhenAll(a, b) to .NET 9's WhenAll(params ReadOnlySpan<Task>), which Coyote 1.7.11 does not know.
        static Func<Task> Test(bool array) => async () =>
        {
            Task first = Task.Run(() => { });
            Task second = Task.Run(() => { });
            if (array) await Task.WhenAll(new[] { first, second });
            else await Task.WhenAll(first, second);
        };

        Assert.Contains("System.Threading.Tasks.Task.WhenAll",
            CoyoteRunner.Explore(Test(array: false), _output, QuickLoose with { Iterations = 10 }).UncontrolledInvocations);
        Assert.Empty(CoyoteRunner.Check(Test(array: true), _output, Quick).UncontrolledInvocations);
    }

    [Fact]
    public void Unregistering_a_callback_that_runs_on_a_paused_task_does_not_wait_for_it()
    {
        // CancellationTokenRegistration.Dispose waits (spinning, on a real thread) for its callback when that callback
        // is running on another thread. Under Coyote the cancelling task can be paused at a scheduling point inside the
        // callback (here the TaskCompletionSource), so the waiter never returns: Coyote reports a potential deadlock or
        // hang. Unregister does not wait. The worker's producer and completer unregister their wake-ups this way
        // (WakeSignal.WakeOn).
        static Func<Task> Test(bool unregister) => async () =>
        {
            using var cancellation = new CancellationTokenSource();
            var called = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            Task waiter = Task.Run(async () =>
            {
                CancellationTokenRegistration registration = cancellation.Token.Register(() => called.TrySetResult(true));
                await called.Task;
                if (unregister) registration.Unregister();
                else registration.Dispose();
            });
            await Task.Run(() => cancellation.Cancel());
            await waiter;
        };

        // The hanging half (unregister: false) is not run here: Coyote reports "Potential deadlock or hang detected"
        // within 50 schedules, but the thread left spinning in Dispose later resumes into the torn-down runtime and
        // crashes the test host (NullReferenceException in ControlledSynchronizationContext.Post).
        CoyoteRunner.Check(Test(unregister: true), _output, Quick);
    }

    // ---- not controlled --------------------------------------------------------------------------------------------

    [Fact]
    public void ThreadPool_QueueUserWorkItem_is_reported_as_uncontrolled()
    {
        Assert.Contains("System.Threading.ThreadPool.QueueUserWorkItem", CoyoteRunner.Explore(async () =>
        {
            var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            ThreadPool.QueueUserWorkItem(_ => done.SetResult(true));
            await done.Task;
        }, _output, QuickLoose with { Iterations = 10 }).UncontrolledInvocations);
    }

    [Fact]
    public void A_Timer_is_reported_as_uncontrolled()
    {
        Assert.Contains("System.Threading.Timer..ctor", CoyoteRunner.Explore(async () =>
        {
            var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using var timer = new Timer(_ => done.TrySetResult(true), null, 1, Timeout.Infinite);
            await done.Task;
        }, _output, QuickLoose with { Iterations = 10 }).UncontrolledInvocations);
    }

    [Fact]
    public void TimeProvider_delays_are_reported_as_uncontrolled()
    {
        // Awaiting a task that Coyote did not create (here the BCL's delay task) makes Coyote poll for it: about a
        // second per such await, so two iterations each.
        var twice = QuickLoose with { Iterations = 2 };
        Assert.Contains("System.Threading.Tasks.TimeProviderTaskExtensions.Delay", CoyoteRunner.Explore(
            () => TimeProviderTaskExtensions.Delay(TimeProvider.System, TimeSpan.FromMilliseconds(1)),
            _output, twice).UncontrolledInvocations);

        Assert.Contains("System.Threading.Tasks.Task.Delay", CoyoteRunner.Explore(
            () => Task.Delay(TimeSpan.FromMilliseconds(1), TimeProvider.System),
            _output, twice).UncontrolledInvocations);
    }

    [Fact]
    public void CancelAfter_is_an_unreported_timer_and_ends_in_a_false_deadlock()
    {
        CoyoteOutcome outcome = FindsBug(async () =>
        {
            using var cancellation = new CancellationTokenSource();
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            cancellation.Token.Register(() => cancelled.TrySetResult(true));
            cancellation.CancelAfter(10);
            await cancelled.Task;
        }, "Deadlock detected", QuickLoose, nameof(CancelAfter_is_an_unreported_timer_and_ends_in_a_false_deadlock));
        Assert.Empty(outcome.UncontrolledInvocations);
    }

    [Fact]
    public void A_Channel_read_with_ReadAsync_in_a_loop_passes()
    {
        CoyoteRunner.Check(async () =>
        {
            var channel = Channel.CreateUnbounded<int>();
            int sum = 0;
            Task reader = Task.Run(async () =>
            {
                for (int i = 0; i < 2; i++) sum += await channel.Reader.ReadAsync();
            });
            await Task.WhenAll(new[] { Task.Run(async () => await channel.Writer.WriteAsync(1)), Task.Run(async () => await channel.Writer.WriteAsync(2)) });
            await reader;
            Specification.Assert(sum == 3, "values lost");
        }, _output, Quick);
    }

    [Fact]
    public void A_Channel_reader_waiting_in_ReadAllAsync_ends_in_a_false_deadlock()
    {
        // ReadAsync in a loop passes; WaitToReadAsync/ReadAllAsync waits on a ValueTask source Coyote cannot see.
        FindsBug(async () =>
        {
            var channel = Channel.CreateUnbounded<int>();
            int sum = 0;
            Task reader = Task.Run(async () =>
            {
                await foreach (int value in channel.Reader.ReadAllAsync()) sum += value;
            });
            await Task.WhenAll(new[] { Task.Run(async () => await channel.Writer.WriteAsync(1)), Task.Run(async () => await channel.Writer.WriteAsync(2)) });
            channel.Writer.Complete();
            await reader;
            Specification.Assert(sum == 3, "values lost");
        }, "Deadlock detected", QuickLoose, nameof(A_Channel_reader_waiting_in_ReadAllAsync_ends_in_a_false_deadlock));
    }

    [Fact]
    public void Microsoft_Data_Sqlite_runs_but_its_calls_are_single_steps()
    {
        // It works (rewriting leaves it alone) but a native call is one atomic step to Coyote: nothing inside SQLite
        // is interleaved, and a call that blocks on a file lock blocks the one thread Coyote runs everything on.
        // Tests of the worker roles use an in-memory fake store (see Samples/SampleFakeStore).
        CoyoteRunner.Check(async () =>
        {
            using var connection = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:");
            connection.Open();
            using (var create = connection.CreateCommand())
            {
                create.CommandText = "CREATE TABLE t (x INTEGER)";
                create.ExecuteNonQuery();
            }
            async Task Insert()
            {
                using var insert = connection.CreateCommand();
                insert.CommandText = "INSERT INTO t VALUES (1)";
                await insert.ExecuteNonQueryAsync();
            }
            await Task.WhenAll(new[] { Task.Run(Insert), Task.Run(Insert) });
        }, _output, Quick with { Iterations = 20 });
    }
}
