using System;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Data.Sqlite;
using Xunit;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Tests;

/// <summary>Maintenance while workers run: WAL bound, retention, optimize, integrity, backup.</summary>
public sealed class WorkersMaintenanceTests
{
    private const long Limit = 1024 * 1024;

    [Fact]
    public async Task The_WAL_stays_within_its_bound_under_continuous_writes_and_an_occasional_long_reader()
    {
        using var db = new WorkersTestDb();
        using var maintenance = DatabaseMaintenance.Open(db.DbPath, new MaintenanceOptions { WalSizeLimitBytes = Limit });
        string payload = "\"" + new string('x', 1000) + "\"";
        long batches = 0;
        long maxWalDuringReader = 0;
        using var writerDone = new CancellationTokenSource();
        using var readerHolding = new SemaphoreSlim(0);

        Task writer = Task.Run(async () =>
        {
            for (int b = 0; b < 60; b++)
            {
                // Batches 0, 20 and 40 start only once the reader holds its snapshot.
                if (b % 20 == 0 && !await readerHolding.WaitAsync(WorkersTestDb.Patience)) throw new TimeoutException("reader");
                await db.Store.EnqueueManyAsync(Enumerable.Range(0, 200).Select(_ => new EnqueueRequest("w", payload)));
                Interlocked.Increment(ref batches);
            }
            writerDone.Cancel();
        });
        Task reader = Task.Run(() =>
        {
            // Three times, hold a read transaction while the writer commits 15 batches (about 3 MiB of WAL).
            // The writer waits for each round's snapshot before its batches 0, 20 and 40.
            for (int round = 0; round < 3; round++)
            {
                using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db.DbPath, Pooling = false }.ToString());
                connection.Open();
                using SqliteTransaction read = connection.BeginTransaction(deferred: true);
                using (SqliteCommand count = connection.CreateCommand())
                {
                    count.Transaction = read;
                    count.CommandText = "SELECT COUNT(*) FROM tasks";
                    count.ExecuteScalar();
                }
                readerHolding.Release();
                long until = 20 * round + 15;
                while (Interlocked.Read(ref batches) < until && !writerDone.IsCancellationRequested)
                {
                    long size = maintenance.WalSizeBytes();
                    if (size > Interlocked.Read(ref maxWalDuringReader)) Interlocked.Exchange(ref maxWalDuringReader, size);
                    Thread.Yield();
                }
                read.Commit();
            }
        });
        Task manager = Task.Run(async () =>
        {
            while (!writerDone.IsCancellationRequested || !reader.IsCompleted)
            {
                lock (maintenance) maintenance.ManageWal();
                await Task.Delay(20); // the policy's cadence (a worker uses 5 s)
            }
        });

        await Task.WhenAll(writer, reader, manager).Within();
        // The store's own checkpoint thread may still be running a passive checkpoint for the last batches: a second
        // checkpoint meanwhile is refused as busy (and tried again next time, which is right). Closing the store
        // waits for that thread, so the final checkpoint below runs alone.
        db.Store.Dispose();
        CheckpointResult last;
        lock (maintenance) last = maintenance.ManageWal();

        Assert.True(Interlocked.Read(ref maxWalDuringReader) > Limit, $"the long reader should have let the WAL grow past the bound (max {maxWalDuringReader})");
        Assert.False(last.Busy);
        Assert.True(maintenance.WalSizeBytes() <= Limit, $"WAL is {maintenance.WalSizeBytes()} bytes; the bound is {Limit}");
        Assert.True(maintenance.CheckIntegrity().IsOk);
    }

    [Fact]
    public async Task Retention_prunes_finished_tasks_by_age_and_by_count_and_never_touches_live_ones()
    {
        using var db = new WorkersTestDb();
        var ids = (await db.Store.EnqueueManyAsync(Enumerable.Range(0, 14).Select(_ => new EnqueueRequest("r") { MaxAttempts = 1 }))).ToList();
        // 10 succeeded (in id order), 1 failed, 1 running, 2 queued.
        for (int i = 0; i < 11; i++)
        {
            TaskRecord t = Assert.Single(await db.Store.ClaimAsync(new ClaimRequest("w")));
            if (i < 10) await db.Store.CompleteAsync(t.Id, t.LeaseToken!.Value);
            else await db.Store.FailAsync(t.Id, t.LeaseToken!.Value, new TaskError("no"));
        }
        Assert.Single(await db.Store.ClaimAsync(new ClaimRequest("w") { LeaseDuration = TimeSpan.FromHours(1) }));
        using var maintenance = DatabaseMaintenance.Open(db.DbPath);

        Assert.Equal(0, maintenance.PruneFinished(finishedBefore: DateTimeOffset.UtcNow.AddHours(-1)));
        Assert.Equal(8, maintenance.PruneFinished(keepNewest: 3));
        var left = (await db.Store.QueryAsync(new TaskQuery { Limit = 100 })).Select(t => t.Id).ToList();
        // The 3 most recently finished stay (the last two completions and the failure), with the running and queued ones.
        Assert.Equal(new[] { ids[8], ids[9], ids[10], ids[11], ids[12], ids[13] }, left);

        Assert.Equal(3, maintenance.PruneFinished(finishedBefore: DateTimeOffset.UtcNow.AddMinutes(1)));
        QueueStats stats = (await db.Store.GetQueueStatsAsync())[0];
        Assert.Equal(1, stats.Running);
        Assert.Equal(2, stats.Queued);
        Assert.Equal(0, stats.Succeeded + stats.Failed + stats.Cancelled);
    }

    [Fact]
    public async Task Run_applies_the_retention_options()
    {
        using var db = new WorkersTestDb();
        await db.Store.EnqueueManyAsync(Enumerable.Range(0, 5).Select(_ => new EnqueueRequest("r")));
        foreach (TaskRecord t in await db.Store.ClaimAsync(new ClaimRequest("w") { MaxCount = 5 })) await db.Store.CompleteAsync(t.Id, t.LeaseToken!.Value);
        using var maintenance = DatabaseMaintenance.Open(db.DbPath, new MaintenanceOptions { RetainCount = 2 });
        MaintenanceReport report = maintenance.Run(checkIntegrity: true);
        Assert.Equal(3, report.Pruned);
        Assert.True(report.Integrity!.IsOk);
    }

    [Fact]
    public async Task An_online_backup_taken_while_a_worker_runs_is_a_sound_database()
    {
        using var db = new WorkersTestDb();
        await db.Store.EnqueueManyAsync(Enumerable.Range(0, 3000).Select(i => new EnqueueRequest("b", "{\"i\":" + i + "}")));
        using var halfway = new ManualResetEventSlim();
        int done = 0;
        var worker = new Worker(db.Store, new WorkerOptions
        {
            Concurrency = 4,
            MaxTasks = 3000,
            Handlers = { ["b"] = (c, t) => Task.FromResult<string?>(null) },
            // Counted once the completion is stored, so the backup below sees at least 1,000 succeeded tasks.
            AttemptEnded = end => { if (Interlocked.Increment(ref done) == 1000) halfway.Set(); },
        });
        Task<WorkerRunSummary> run = worker.RunAsync();
        halfway.Within();
        string backup = Path.Combine(db.Folder, "backup", "copy.db");
        using (var maintenance = DatabaseMaintenance.Open(db.DbPath))
        {
            maintenance.Backup(backup);
            var again = Assert.Throws<PrismQException>(() => maintenance.Backup(backup));
            Assert.Equal(PrismQErrorCode.InvalidArgument, again.Code);
        }
        await run.Within();

        Assert.False(File.Exists(backup + "-wal") && new FileInfo(backup + "-wal").Length > 0);
        using (var copy = DatabaseMaintenance.Open(backup))
        {
            Assert.True(copy.CheckIntegrity().IsOk);
        }
        using SqliteTaskStore restored = SqliteTaskStore.Open(backup);
        QueueStats stats = (await restored.GetQueueStatsAsync())[0];
        Assert.Equal(3000, stats.Queued + stats.Running + stats.Succeeded);
        Assert.True(stats.Succeeded >= 1000);
    }

    [Fact]
    public void Analyze_and_optimize_record_statistics()
    {
        using var db = new WorkersTestDb();
        using var maintenance = DatabaseMaintenance.Open(db.DbPath);
        maintenance.Optimize(analyze: true);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db.DbPath, Pooling = false }.ToString());
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'";
        Assert.Equal(1L, command.ExecuteScalar());
    }

    [Fact]
    public void Opening_a_missing_or_foreign_file_is_refused()
    {
        using var db = new WorkersTestDb();
        string missing = Path.Combine(db.Folder, "missing.db");
        Assert.Equal(PrismQErrorCode.InvalidDatabasePath, Assert.Throws<PrismQException>(() => DatabaseMaintenance.Open(missing)).Code);
        Assert.False(File.Exists(missing));
        string text = Path.Combine(db.Folder, "notes.txt");
        File.WriteAllText(text, "this is not a database, just some text that is long enough to have a header........");
        Assert.Equal(PrismQErrorCode.NotADatabase, Assert.Throws<PrismQException>(() => DatabaseMaintenance.Open(text)).Code);
        var bad = Assert.Throws<PrismQException>(() => DatabaseMaintenance.Open(db.DbPath, new MaintenanceOptions { WalSizeLimitBytes = 10 }));
        Assert.Equal("WalSizeLimitBytes", bad.ParameterName);
    }
}
