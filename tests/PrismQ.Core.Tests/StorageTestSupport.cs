using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using Microsoft.Data.Sqlite;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Tests.Storage;

/// <summary>Plain SQLite connections to a database file beside the store, to look into it or tamper with it.</summary>
internal static class RawDb
{
    public static SqliteConnection Open(string db)
    {
        var connection = new SqliteConnection($"Data Source={db};Pooling=False");
        connection.Open();
        return connection;
    }

    public static void Exec(string db, string sql)
    {
        using SqliteConnection connection = Open(db);
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>The first column of the first row of <paramref name="sql"/>, as a number.</summary>
    public static long Scalar(string db, string sql)
    {
        using SqliteConnection connection = Open(db);
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private long _utcTicks;

    public ManualTimeProvider(DateTimeOffset start) => _utcTicks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _utcTicks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _utcTicks, by.Ticks);
}

/// <summary>A deterministic, thread-safe random source for tests.</summary>
public sealed class SeededRandom
{
    private readonly Random _random;

    public SeededRandom(int seed) => _random = new Random(seed);

    public double Next()
    {
        lock (_random) return _random.NextDouble();
    }
}

/// <summary>What a behaviour test asks of a store, whatever the store is.</summary>
public sealed class StoreSettings
{
    public TimeProvider Clock { get; init; } = TimeProvider.System;
    public Func<double>? Random { get; init; }
    public RetryPolicy? RetryPolicy { get; init; }
    public int DefaultMaxAttempts { get; init; } = 5;
    public int MaxPayloadBytes { get; init; } = 1024 * 1024;
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>A folder under the temp path, deleted with everything in it when disposed.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "prismq-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            foreach (string f in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories)) System.IO.File.SetAttributes(f, FileAttributes.Normal);
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>
/// The base of store-neutral behaviour tests: a subclass says how to open its store; every store opened through
/// <see cref="Open"/> is disposed after the test.
/// </summary>
public abstract class StoreTestBase : IDisposable
{
    private readonly List<ITaskStore> _stores = new();

    protected StoreTestBase()
    {
        Clock = new ManualTimeProvider(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));
    }

    protected ManualTimeProvider Clock { get; }

    /// <summary>Opens a store on this test's own (empty at first) database.</summary>
    protected abstract ITaskStore OpenStore(StoreSettings settings);

    protected ITaskStore Open(StoreSettings? settings = null)
    {
        ITaskStore store = OpenStore(settings ?? new StoreSettings { Clock = Clock });
        lock (_stores) _stores.Add(store);
        return store;
    }

    public virtual void Dispose()
    {
        lock (_stores)
        {
            foreach (ITaskStore s in _stores) s.Dispose();
            _stores.Clear();
        }
        GC.SuppressFinalize(this);
    }
}

/// <summary>How the SQLite store is opened by the store-neutral tests: one database in a temp folder per test.</summary>
public sealed class SqliteStoreFactory : IDisposable
{
    private readonly TempFolder _folder = new();

    public string DatabasePath => _folder.File("queue.db");

    public TempFolder Folder => _folder;

    public ITaskStore Open(StoreSettings s) => SqliteTaskStore.Open(Options(s));

    public QueueOptions Options(StoreSettings s) => new()
    {
        DatabasePath = DatabasePath,
        TimeProvider = s.Clock,
        RandomSource = s.Random ?? new SeededRandom(12345).Next,
        RetryPolicy = s.RetryPolicy ?? RetryPolicy.Default,
        DefaultMaxAttempts = s.DefaultMaxAttempts,
        MaxPayloadBytes = s.MaxPayloadBytes,
        LeaseDuration = s.LeaseDuration,
        BusyTimeout = s.BusyTimeout,
    };

    public void Dispose() => _folder.Dispose();
}
