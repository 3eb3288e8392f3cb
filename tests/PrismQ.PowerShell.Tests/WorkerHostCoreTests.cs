using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using PrismQ.PowerShell.Cores;
using Xunit;

namespace PrismQ.PowerShell.Tests;

/// <summary>The worker host's own rules against the real engine: handler types ignore case, failures are reported as they happen.</summary>
[Collection(StoreCacheCollection.Name)]
public sealed class WorkerHostCoreTests
{
    [Fact]
    public async Task Task_types_match_handler_types_ignoring_case_and_an_unknown_type_fails_with_NoHandler()
    {
        using var db = new TempDatabase();
        Enqueue(db, "Greet", 1);
        Enqueue(db, "GREET", 1);
        Enqueue(db, "other", 1);
        var ran = new List<string>();
        var settings = new WorkerSettings { MaxTasks = 3, HandledTypes = new[] { "greet" } };
        using var host = new WorkerHostCore(db.Store, settings, call =>
        {
            lock (ran) ran.Add(call.Context.Type);
            call.Succeed(null);
            return Task.CompletedTask;
        });
        global::PrismQ.WorkerRunSummary summary = await host.Start(CancellationToken.None);

        Assert.Equal(2, summary.Succeeded);
        Assert.Equal(new[] { "GREET", "Greet" }, ran.OrderBy(t => t, StringComparer.Ordinal));
        TaskRecord other = Single(db, "other");
        Assert.Equal(TaskStatus.Failed, other.Status);
        Assert.Equal("PrismQ.NoHandler", other.LastError!.Type);
        Assert.Contains("No handler for type 'other'", other.LastError.Message);
        Assert.True(host.TryTakeFailure(out AttemptFailure? failure));
        Assert.Equal(AttemptFailureKind.DeadLettered, failure!.Kind);
        Assert.Equal("PrismQ.NoHandler", failure.Error!.Type);
    }

    [Fact]
    public async Task A_handler_failure_is_stored_with_the_hosts_type_and_detail_and_reported_as_it_happens()
    {
        using var db = new TempDatabase();
        Enqueue(db, "bad", 1, maxAttempts: 2);
        var error = new TaskError("The term 'Get-Tripl' is not recognized.", "System.Management.Automation.CommandNotFoundException", "At line:1 char:20\n+ Get-Tripl");
        using var host = new WorkerHostCore(db.Store, new WorkerSettings { MaxTasks = 1 }, call =>
        {
            call.Fail(new HandlerFailedException(error));
            return Task.CompletedTask;
        });
        await host.Start(CancellationToken.None);

        TaskRecord stored = Single(db, "bad");
        Assert.Equal(TaskStatus.Queued, stored.Status);
        Assert.Equal(error.Message, stored.LastError!.Message);
        Assert.Equal(error.Type, stored.LastError.Type);
        Assert.Equal(error.Detail, stored.LastError.Detail);
        Assert.True(host.TryTakeFailure(out AttemptFailure? failure));
        Assert.Equal(AttemptFailureKind.RetryScheduled, failure!.Kind);
        string line = failure.Describe();
        Assert.Contains($"PrismQ task {stored.Id} (type 'bad', queue 'default') attempt 1 of 2 failed: ", line);
        Assert.Contains("CommandNotFoundException: The term 'Get-Tripl' is not recognized.", line);
        Assert.Contains("Retry scheduled at ", line);
        // The retry time comes from the engine's failure, and is the one the store keeps.
        Assert.Contains(stored.NotBefore.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture), line);
        Assert.False(host.TryTakeFailure(out _));
    }

    private static TaskRecord Single(TempDatabase db, string type) =>
        GetTaskCore.Query(db.Store, GetTaskCore.Filter(null, type, null), null, CancellationToken.None).Single();

    private static void Enqueue(TempDatabase db, string type, int count, int? maxAttempts = 1)
    {
        var add = new AddTaskCore(db.Store, new AddTaskSettings { Type = type, MaxAttempts = maxAttempts });
        for (int i = 0; i < count; i++) add.Add(i);
        add.Flush(CancellationToken.None);
    }
}
