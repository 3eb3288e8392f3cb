using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Coyote.Specifications;
using PrismQ.Coyote.Tests.Samples;
using Xunit;
using Xunit.Abstractions;

namespace PrismQ.Coyote.Tests;

/// <summary>
/// The harness on the sample completers: Coyote finds the buggy sample's lost completion, the trace it writes replays
/// the same failure, and the fixed sample passes the same test.
/// </summary>
public sealed class SampleReplayTests
{
    private readonly ITestOutputHelper _output;

    public SampleReplayTests(ITestOutputHelper output) => _output = output;

    // Two executors report completions at once; when the completer is idle again, every id must have been written.
    private static async Task TwoExecutorsComplete(Action<long> complete, Func<Task> idle, SampleFakeStore store)
    {
        Task first = Task.Run(() => complete(1));
        Task second = Task.Run(() => complete(2));
        await Task.WhenAll(new[] { first, second });   // an array: Coyote 1.7.11 does not control WhenAll(ReadOnlySpan<Task>)
        await idle();
        long[] written = store.Completed.OrderBy(id => id).ToArray();
        // Not written.SequenceEqual(new long[] { 1, 2 }): C# 14 makes that constant a span over static data
        // (RuntimeHelpers.CreateSpan), and Coyote's rewriting can misalign that data (see README.md).
        Specification.Assert(written.Length == 2 && written[0] == 1 && written[1] == 2,
            $"completions lost: written [{string.Join(", ", written)}] of [1, 2]");
    }

    private static Task BuggyTest()
    {
        var store = new SampleFakeStore();
        var completer = new SampleBuggyCompleter(store);
        return TwoExecutorsComplete(completer.Complete, completer.IdleAsync, store);
    }

    private static Task FixedTest()
    {
        var store = new SampleFakeStore();
        var completer = new SampleFixedCompleter(store);
        return TwoExecutorsComplete(completer.Complete, completer.IdleAsync, store);
    }

    [Fact]
    public void Coyote_finds_the_lost_completion_of_the_buggy_sample()
    {
        CoyoteOutcome outcome = CoyoteRunner.Explore(BuggyTest, _output);

        Assert.True(outcome.BugFound, "Coyote found no bug in the buggy sample:" + Environment.NewLine + outcome.Report);
        Assert.Contains("completions lost", outcome.BugReports.Single());
        Assert.NotNull(outcome.TraceFile);
        Assert.True(File.Exists(outcome.TraceFile));
        Assert.Empty(outcome.UncontrolledInvocations);
    }

    [Fact]
    public void Replaying_the_trace_of_the_buggy_sample_fails_the_same_way_every_time()
    {
        CoyoteOutcome found = CoyoteRunner.Explore(BuggyTest, _output);
        Assert.True(found.BugFound);

        // What a developer does with a failing CI run: read the trace file it names and replay it (a debugger can be
        // attached: the replay runs the one failing schedule, step for step).
        string trace = File.ReadAllText(found.TraceFile!);
        for (int i = 0; i < 3; i++)
        {
            CoyoteOutcome replayed = CoyoteRunner.Replay(BuggyTest, trace, _output);
            Assert.True(replayed.BugFound, "the replay did not reproduce the bug:" + Environment.NewLine + replayed.Report);
            Assert.Equal(found.BugReports, replayed.BugReports);
        }
    }

    [Fact]
    public void The_fixed_sample_passes_the_same_test()
    {
        CoyoteOutcome outcome = CoyoteRunner.Check(FixedTest, _output, new CoyoteOptions { Iterations = 500 });
        Assert.Equal(500u, outcome.IterationsRun);
    }

    [Fact]
    public void Check_fails_the_xunit_test_with_the_bug_report_and_the_trace_path()
    {
        var failure = Assert.ThrowsAny<Exception>(() => CoyoteRunner.Check(BuggyTest, _output));
        Assert.Contains("completions lost", failure.Message);
        Assert.Contains(".trace.json", failure.Message);
    }
}
