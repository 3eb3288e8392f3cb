using System;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests;

/// <summary>A handler result over <see cref="QueueOptions.MaxPayloadBytes"/> fails its attempt at once, under the retry policy.</summary>
public abstract class WorkersResultLimitTests : WorkersBackendTests
{
    private const int Limit = 200;
    private static readonly string Big = "\"" + new string('r', 298) + "\""; // 300 bytes of UTF-8

    [Fact]
    public async Task A_result_over_the_limit_fails_the_attempt_at_once_naming_the_size_and_the_limit()
    {
        using var db = NewDb(maxPayloadBytes: Limit);
        long id = await db.EnqueueAsync("t", maxAttempts: 1);

        WorkerRunSummary summary = await RunOneAsync(db);

        Assert.Equal(1, summary.Failed);
        Assert.Equal(0, summary.LeasesLost);
        Assert.Equal(0, summary.Succeeded);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Failed, task.Status);
        Assert.Null(task.Result);
        Assert.Null(task.LeaseToken);
        Assert.Equal("PrismQ.ResultTooLarge", task.LastError!.Type);
        Assert.Contains("300 bytes", task.LastError.Message, StringComparison.Ordinal);
        Assert.Contains(Limit + " bytes", task.LastError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_result_over_the_limit_is_retried_while_attempts_are_left()
    {
        using var db = NewDb(maxPayloadBytes: Limit);
        long id = await db.EnqueueAsync("t", maxAttempts: 3);

        WorkerRunSummary summary = await RunOneAsync(db);

        Assert.Equal(1, summary.Retried);
        Assert.Equal(0, summary.LeasesLost);
        TaskRecord task = await db.GetAsync(id);
        Assert.Equal(TaskStatus.Queued, task.Status);
        Assert.Equal(1, task.Attempts);
        Assert.Equal("PrismQ.ResultTooLarge", task.LastError!.Type);
    }

    [Fact]
    public async Task A_result_at_the_limit_is_kept()
    {
        using var db = NewDb(maxPayloadBytes: Limit);
        long id = await db.EnqueueAsync("t");
        string atLimit = "\"" + new string('r', Limit - 2) + "\"";

        WorkerRunSummary summary = await RunOneAsync(db, atLimit);

        Assert.Equal(1, summary.Succeeded);
        Assert.Equal(atLimit, (await db.GetAsync(id)).Result);
    }

    /// <summary>One attempt (MaxTasks 1), so its completion is a batch of one, as at concurrency 1.</summary>
    private static Task<WorkerRunSummary> RunOneAsync(WorkersTestDb db, string? result = null)
    {
        string value = result ?? Big;
        var worker = new Worker(db.Store, new WorkerOptions { MaxTasks = 1, Handlers = { ["t"] = (ctx, ct) => Task.FromResult<string?>(value) } });
        return worker.RunAsync().Within();
    }
}

public sealed class WorkersResultLimitTestsOnSqlite : WorkersResultLimitTests
{
    protected override TestBackend Backend => TestBackend.Sqlite;
}

[Trait("Backend", "PostgreSQL")]
public sealed class WorkersResultLimitTestsOnPostgres : WorkersResultLimitTests
{
    protected override TestBackend Backend => TestBackend.Postgres;
}
