using System;
using System.Threading.Tasks;
using Xunit;

namespace PrismQ.Tests;

/// <summary>Worker options: validation, before anything reaches the store.</summary>
public abstract class WorkersOptionsTests : WorkersBackendTests
{
    public static TheoryData<string, Func<WorkerOptions>, PrismQErrorCode> Bad => new()
    {
        { "Concurrency", () => new WorkerOptions { Concurrency = 0, Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "Concurrency", () => new WorkerOptions { Concurrency = 5000, Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "Queues", () => new WorkerOptions { Queues = Array.Empty<string>(), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidQueueName },
        { "WorkerOptions.Queues", () => new WorkerOptions { Queues = new[] { "bad\u0001" }, Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidQueueName },
        { "LeaseDuration", () => new WorkerOptions { LeaseDuration = TimeSpan.FromMilliseconds(10), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "HeartbeatFraction", () => new WorkerOptions { HeartbeatFraction = 0.9, Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "MaxTasks", () => new WorkerOptions { MaxTasks = 0, Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "IdleTimeout", () => new WorkerOptions { IdleTimeout = TimeSpan.Zero, Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "MaxRunTime", () => new WorkerOptions { MaxRunTime = TimeSpan.FromSeconds(-1), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "GracePeriod", () => new WorkerOptions { GracePeriod = TimeSpan.FromHours(2), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "PollMaxInterval", () => new WorkerOptions { PollMinInterval = TimeSpan.FromSeconds(2), PollMaxInterval = TimeSpan.FromSeconds(1), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "SweepInterval", () => new WorkerOptions { SweepInterval = TimeSpan.FromMilliseconds(1), Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "WorkerOptions.WorkerId", () => new WorkerOptions { WorkerId = " ", Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "Strategy", () => new WorkerOptions { Strategy = (SchedulingStrategy)42, Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidOption },
        { "Handlers", () => new WorkerOptions(), PrismQErrorCode.InvalidOption },
        { "WorkerOptions.Handlers", () => new WorkerOptions { Handlers = { [""] = (c, t) => Task.FromResult<string?>(null) } }, PrismQErrorCode.InvalidTaskType },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public async Task Invalid_options_are_refused_naming_the_option(string name, Func<WorkerOptions> make, PrismQErrorCode code)
    {
        using var db = NewDb();
        var error = Assert.Throws<PrismQException>(() => new Worker(db.Store, make()));
        Assert.Equal(code, error.Code);
        Assert.Equal(name, error.ParameterName);
        Assert.Contains(name.Replace("WorkerOptions.", ""), error.Message);
        Assert.Empty(await db.Store.ListWorkersAsync());
    }
}

public sealed class WorkersOptionsTestsOnSqlite : WorkersOptionsTests
{
    protected override TestBackend Backend => TestBackend.Sqlite;
}

[Trait("Backend", "PostgreSQL")]
public sealed class WorkersOptionsTestsOnPostgres : WorkersOptionsTests
{
    protected override TestBackend Backend => TestBackend.Postgres;
}

/// <summary>Worker options: the defaults (no store).</summary>
public sealed class WorkersOptionDefaultsTests
{
    private static WorkerOptions With(Func<WorkerOptions, WorkerOptions> change) => change(new WorkerOptions { Handlers = { ["t"] = (c, t) => Task.FromResult<string?>(null) } });

    [Fact]
    public void Defaults_are_documented_values()
    {
        WorkerOptions options = With(o => o);
        Assert.Equal(1, options.Concurrency);
        Assert.Equal(TimeSpan.FromSeconds(10), options.GracePeriod);
        if (PrismQEnvironment.LeaseDuration is null)
        {
            Assert.Equal(TimeSpan.FromSeconds(30), options.ResolveLeaseDuration());
            Assert.Equal(TimeSpan.FromSeconds(10), options.ResolveHeartbeatInterval());
        }
        string id = new WorkerOptions { WorkerId = "explicit" }.ResolveWorkerId();
        Assert.Equal("explicit", id);
        if (PrismQEnvironment.WorkerId is null)
        {
            string generated = options.ResolveWorkerId();
            Assert.StartsWith(Environment.MachineName + "-" + Environment.ProcessId + "-", generated);
            Assert.NotEqual(generated, options.ResolveWorkerId());
        }
    }
}
