using System;
using System.IO;
using Xunit;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Tests.Storage;

/// <summary>Serializes the tests that change process environment variables.</summary>
[CollectionDefinition("PrismQ environment variables", DisableParallelization = true)]
public sealed class StorageEnvironmentCollection
{
}

/// <summary>Precedence: explicit option, then environment variable, then default.</summary>
[Collection("PrismQ environment variables")]
public sealed class StorageSqliteEnvironmentTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string? _savedDb = Environment.GetEnvironmentVariable(PrismQEnvironment.DatabasePathVariable);
    private readonly string? _savedLease = Environment.GetEnvironmentVariable(PrismQEnvironment.LeaseDurationVariable);
    private readonly string? _savedXdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(PrismQEnvironment.DatabasePathVariable, _savedDb);
        Environment.SetEnvironmentVariable(PrismQEnvironment.LeaseDurationVariable, _savedLease);
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", _savedXdg);
        _folder.Dispose();
    }

    [Fact]
    public void Database_path_option_beats_environment_which_beats_default()
    {
        string fromEnv = _folder.File("env.db");
        string fromOption = _folder.File("option.db");
        Environment.SetEnvironmentVariable(PrismQEnvironment.DatabasePathVariable, fromEnv);
        Assert.Equal(fromOption, new QueueOptions { DatabasePath = fromOption }.ResolveDatabasePath());
        Assert.Equal(fromEnv, new QueueOptions().ResolveDatabasePath());
        using (SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions()))
        {
            Assert.Equal(fromEnv, store.DatabasePath);
        }
        Assert.True(File.Exists(fromEnv));

        Environment.SetEnvironmentVariable(PrismQEnvironment.DatabasePathVariable, null);
        Assert.Equal(PrismQEnvironment.DefaultDatabasePath(), new QueueOptions().ResolveDatabasePath());
    }

    [Fact]
    public void Default_path_follows_xdg_data_home_off_windows()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.EndsWith(Path.Combine("PrismQ", "queue.db"), PrismQEnvironment.DefaultDatabasePath(), StringComparison.Ordinal);
            return;
        }
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", _folder.Path);
        Assert.Equal(Path.Combine(_folder.Path, "prismq", "queue.db"), PrismQEnvironment.DefaultDatabasePath());
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", null);
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.Combine(home, ".local", "share", "prismq", "queue.db"), PrismQEnvironment.DefaultDatabasePath());
    }

    [Fact]
    public void Lease_duration_option_beats_environment_which_beats_default()
    {
        Environment.SetEnvironmentVariable(PrismQEnvironment.LeaseDurationVariable, "45");
        Assert.Equal(TimeSpan.FromSeconds(45), new QueueOptions().ResolveLeaseDuration());
        Assert.Equal(TimeSpan.FromSeconds(5), new QueueOptions { LeaseDuration = TimeSpan.FromSeconds(5) }.ResolveLeaseDuration());
        Environment.SetEnvironmentVariable(PrismQEnvironment.LeaseDurationVariable, null);
        Assert.Equal(TimeSpan.FromSeconds(30), new QueueOptions().ResolveLeaseDuration());
    }

    [Fact]
    public void An_invalid_lease_duration_variable_is_refused_when_opening()
    {
        Environment.SetEnvironmentVariable(PrismQEnvironment.LeaseDurationVariable, "soon");
        PrismQException ex = Assert.Throws<PrismQException>(() => SqliteTaskStore.Open(_folder.File("q.db")));
        Assert.Equal(PrismQErrorCode.InvalidOption, ex.Code);
        Assert.Contains("'soon'", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File("q.db")));
    }

    [Fact]
    public async System.Threading.Tasks.Task The_store_uses_the_resolved_lease_duration()
    {
        Environment.SetEnvironmentVariable(PrismQEnvironment.LeaseDurationVariable, "90");
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = _folder.File("q.db"), TimeProvider = clock });
        await store.EnqueueAsync(new EnqueueRequest("t"));
        TaskRecord t = Assert.Single(await store.ClaimAsync(new ClaimRequest("w")));
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromSeconds(90), t.LeaseExpiresAt);
    }
}
