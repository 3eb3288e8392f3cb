using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Tasks;
using Microsoft.Coyote;
using Microsoft.Coyote.SystematicTesting;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace PrismQ.Coyote.Tests;

/// <summary>How one systematic test is explored. The defaults are what a test of a worker role should use.</summary>
public sealed record CoyoteOptions
{
    /// <summary>The fixed seed: the same seed explores the same schedules, run after run.</summary>
    public const uint DefaultSeed = 20261202;

    /// <summary>How many schedules (iterations) to explore. Each one runs the test method once.</summary>
    public uint Iterations { get; init; } = 1000;

    /// <summary>The seed of Coyote's random choices (of schedule and of <c>Generate*</c> values).</summary>
    public uint Seed { get; init; } = DefaultSeed;

    /// <summary>
    /// Scheduling steps per iteration before Coyote stops it (0: Coyote's default of 10,000 unfair and 100,000 fair
    /// steps). Lower it for tests with loops that spin until some other task acts.
    /// </summary>
    public uint MaxSteps { get; init; }

    /// <summary>
    /// False (the default): an invocation Coyote does not control (a timer, ThreadPool.QueueUserWorkItem, a thread
    /// of its own, an un-rewritten library that waits) fails the test, listing what it was; such a test explores
    /// fewer schedules than it seems to and its trace may not replay. True: it is reported in the output only.
    /// </summary>
    public bool AllowUncontrolled { get; init; }

    /// <summary>
    /// Uncontrolled invocations this test knows of and accepts (names as Coyote reports them, e.g.
    /// "System.Threading.ThreadPool.QueueUserWorkItem"); any other one still fails the test.
    /// </summary>
    public IReadOnlyCollection<string> KnownUncontrolled { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Any other Coyote setting, applied last: a strategy (<c>c =&gt; c.WithPrioritizationStrategy()</c>), memory-access
    /// race checking (<c>c =&gt; c.WithMemoryAccessRaceCheckingEnabled(true)</c>). Null keeps Coyote's defaults.
    /// </summary>
    public Func<Configuration, Configuration>? Configure { get; init; }
}

/// <summary>What one exploration (or replay) found.</summary>
public sealed class CoyoteOutcome
{
    internal CoyoteOutcome(string name, bool bugFound, IReadOnlyList<string> bugReports, string trace, string report,
        IReadOnlyCollection<string> uncontrolled, string? traceFile, uint iterationsRun)
    {
        Name = name;
        BugFound = bugFound;
        BugReports = bugReports;
        Trace = trace;
        Report = report;
        UncontrolledInvocations = uncontrolled;
        TraceFile = traceFile;
        IterationsRun = iterationsRun;
    }

    /// <summary>The test's name (the calling method's, unless given).</summary>
    public string Name { get; }

    /// <summary>True when an iteration failed: an assertion, an unhandled exception, a deadlock.</summary>
    public bool BugFound { get; }

    /// <summary>Coyote's description of each bug found (the first one only, unless asked to run on).</summary>
    public IReadOnlyList<string> BugReports { get; }

    /// <summary>The reproducible trace of the failing schedule (JSON); empty when no bug was found.</summary>
    public string Trace { get; }

    /// <summary>Coyote's statistics: schedules explored, operations controlled, degree of concurrency.</summary>
    public string Report { get; }

    /// <summary>The methods Coyote saw called but does not control (empty when all was controlled).</summary>
    public IReadOnlyCollection<string> UncontrolledInvocations { get; }

    /// <summary>Where the trace was written (a bug was found), else null.</summary>
    public string? TraceFile { get; }

    /// <summary>How many iterations ran (fewer than asked when a bug stopped the run).</summary>
    public uint IterationsRun { get; }
}

/// <summary>
/// Runs an async test method under Coyote's systematic <see cref="TestingEngine"/>: Coyote serialises every task
/// the method starts and chooses, at each await, lock, Interlocked and Task.Run, which one goes next; each iteration
/// is one such schedule, with the seed making the set of schedules the same on every run. Needs the test assembly and
/// PrismQ.Core.dll rewritten (the CoyoteRewrite target of the project does it after each build).
/// </summary>
public static class CoyoteRunner
{
    /// <summary>The folder where the traces of failing schedules are written: PRISMQ_COYOTE_TRACES, else coyote-traces beside the test assembly.</summary>
    public static string TraceFolder =>
        Environment.GetEnvironmentVariable("PRISMQ_COYOTE_TRACES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(AppContext.BaseDirectory, "coyote-traces");

    /// <summary>
    /// Explores <paramref name="test"/> and fails the xunit test, with Coyote's bug report and the path of the trace,
    /// if any schedule fails (or, unless allowed, if anything ran that Coyote does not control).
    /// </summary>
    public static CoyoteOutcome Check(Func<Task> test, ITestOutputHelper? output = null, CoyoteOptions? options = null,
        [CallerMemberName] string name = "")
    {
        options ??= new CoyoteOptions();
        CoyoteOutcome outcome = Explore(test, output, options, name);
        if (outcome.BugFound)
        {
            throw new XunitException(
                $"Coyote found a bug in '{name}' (seed {options.Seed}, after {outcome.IterationsRun} iteration(s)):" + Environment.NewLine +
                string.Join(Environment.NewLine, outcome.BugReports) + Environment.NewLine +
                $"The schedule is in {outcome.TraceFile}; replay it with CoyoteRunner.Replay(test, File.ReadAllText(path))." +
                Environment.NewLine + outcome.Report);
        }
        ThrowIfUncontrolled(outcome, options);
        return outcome;
    }

    /// <summary>
    /// Explores <paramref name="test"/> and returns what was found, without failing: for tests that expect a bug
    /// (the samples) and for looking at the statistics.
    /// </summary>
    public static CoyoteOutcome Explore(Func<Task> test, ITestOutputHelper? output = null, CoyoteOptions? options = null,
        [CallerMemberName] string name = "")
    {
        options ??= new CoyoteOptions();
        Configuration configuration = Configure(options).WithTestingIterations(options.Iterations);
        return Run(name, configuration, test, output, writeTrace: true);
    }

    /// <summary>
    /// Runs <paramref name="test"/> once, on the schedule of <paramref name="trace"/> (from <see cref="CoyoteOutcome.Trace"/>
    /// or a file under <see cref="TraceFolder"/>). The test must be the same code that produced the trace.
    /// </summary>
    public static CoyoteOutcome Replay(Func<Task> test, string trace, ITestOutputHelper? output = null,
        CoyoteOptions? options = null, [CallerMemberName] string name = "")
    {
        if (string.IsNullOrWhiteSpace(trace)) throw new ArgumentException("The trace is empty: there is no failing schedule to replay.", nameof(trace));
        options ??= new CoyoteOptions();
        Configuration configuration = Configure(options).WithReproducibleTrace(trace);
        return Run(name + " (replay)", configuration, test, output, writeTrace: false);
    }

    /// <summary>Fails the test when Coyote saw something it does not control and <paramref name="options"/> does not allow it.</summary>
    public static void ThrowIfUncontrolled(CoyoteOutcome outcome, CoyoteOptions options)
    {
        if (options.AllowUncontrolled) return;
        string[] unknown = outcome.UncontrolledInvocations.Where(call => !options.KnownUncontrolled.Contains(call)).ToArray();
        if (unknown.Length == 0) return;
        throw new XunitException(
            $"'{outcome.Name}' ran code that Coyote does not control, so it explored less than it seems: " +
            string.Join(", ", unknown) + ". Fake it (see README.md), or list it in KnownUncontrolled.");
    }

    private static Configuration Configure(CoyoteOptions options)
    {
        Configuration configuration = Configuration.Create()
            .WithRandomGeneratorSeed(options.Seed)
            .WithTelemetryEnabled(false)             // no network here, and none wanted
            .WithConsoleLoggingEnabled(false)
            .WithPartiallyControlledConcurrencyAllowed(true)
            .WithUncontrolledInvocationStackTraceLoggingEnabled(false);
        if (options.MaxSteps > 0) configuration = configuration.WithMaxSchedulingSteps(options.MaxSteps);
        if (options.Configure is not null) configuration = options.Configure(configuration);
        return configuration;
    }

    private static CoyoteOutcome Run(string name, Configuration configuration, Func<Task> test, ITestOutputHelper? output, bool writeTrace)
    {
        using TestingEngine engine = TestingEngine.Create(configuration, test);
        engine.Run();
        TestReport report = engine.TestReport;
        if (!engine.IsTestRewritten())
        {
            throw new XunitException(
                $"'{name}': the test assembly is not rewritten by Coyote {typeof(TestingEngine).Assembly.GetName().Version}, so Coyote " +
                "controls none of its tasks. Build the project without CoyoteRewrite=false (its CoyoteRewrite target runs 'coyote rewrite').");
        }

        bool bugFound = report.NumOfFoundBugs > 0;
        string trace = bugFound ? engine.ReproducibleTrace ?? string.Empty : string.Empty;
        string? traceFile = null;
        if (bugFound && writeTrace && trace.Length > 0)
        {
            Directory.CreateDirectory(TraceFolder);
            traceFile = Path.Combine(TraceFolder, Sanitize(name) + ".trace.json");
            File.WriteAllText(traceFile, trace);
        }

        string statistics = engine.GetReport();
        var uncontrolled = report.UncontrolledInvocations.OrderBy(s => s, StringComparer.Ordinal).ToArray();
        if (output is not null)
        {
            var text = new StringBuilder();
            text.AppendLine($"Coyote: {name}, seed {configuration.RandomGeneratorSeed}");
            text.AppendLine(statistics);
            foreach (string bug in report.BugReports) text.AppendLine("bug: " + bug);
            foreach (string call in uncontrolled) text.AppendLine("uncontrolled: " + call);
            if (traceFile is not null) text.AppendLine("trace: " + traceFile);
            output.WriteLine(text.ToString());
        }
        return new CoyoteOutcome(name, bugFound, report.BugReports.ToArray(), trace, statistics, uncontrolled, traceFile,
            (uint)(report.NumOfExploredFairPaths + report.NumOfExploredUnfairPaths));
    }

    private static string Sanitize(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (char c in name) text.Append(char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        return text.ToString();
    }
}
