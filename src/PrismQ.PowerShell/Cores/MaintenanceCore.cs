using PrismQ.Storage;
using System;
using System.Diagnostics;
using System.IO;

namespace PrismQ.PowerShell.Cores;

/// <summary>What <c>Invoke-PrismQMaintenance</c> should do.</summary>
internal sealed class MaintenanceSettings
{
    /// <summary>Delete finished tasks that finished longer ago than this.</summary>
    public TimeSpan? PruneFinishedOlderThan { get; set; }

    /// <summary>Run a truncating WAL checkpoint (null: the worker's WAL policy, a passive checkpoint unless the WAL is large).</summary>
    public bool Checkpoint { get; set; }

    public bool Optimize { get; set; }

    public bool IntegrityCheck { get; set; }

    /// <summary>True when no step was named: then the WAL policy checkpoint and optimize run (with any pruning asked for).</summary>
    public bool Defaults => !Checkpoint && !Optimize && !IntegrityCheck;
}

/// <summary>The cores of <c>Invoke-PrismQMaintenance</c> and <c>Backup-PrismQDatabase</c> over <see cref="DatabaseMaintenance"/>.</summary>
internal static class MaintenanceCore
{
    /// <summary>Runs the steps in order (prune, checkpoint, optimize, integrity), reporting each step's name before it starts.</summary>
    public static MaintenanceReport Run(string databasePath, MaintenanceSettings settings, DateTimeOffset now, Action<string> onStep)
    {
        if (settings.PruneFinishedOlderThan is { } age && age < TimeSpan.Zero)
            throw new PrismQException(PrismQErrorCode.InvalidArgument, $"-PruneFinishedOlderThan is {age}; it must be zero or more.", "PruneFinishedOlderThan", age);
        FileOnly(databasePath, "Invoke-PrismQMaintenance checkpoints, prunes and checks SQLite files; on PostgreSQL autovacuum keeps the tables, and Remove-PrismQTask -Status Succeeded,Failed,Cancelled prunes finished tasks (docs/operations.md)");
        StoreCache.Get(databasePath); // creates the database on first use, like every cmdlet
        Stopwatch clock = Stopwatch.StartNew();
        var report = new MaintenanceReport { Database = databasePath };
        using DatabaseMaintenance maintenance = DatabaseMaintenance.Open(databasePath);
        if (settings.PruneFinishedOlderThan is { } olderThan)
        {
            onStep("Pruning finished tasks");
            report.Pruned = maintenance.PruneFinished(now - olderThan);
        }

        if (settings.Checkpoint || settings.Defaults)
        {
            onStep("Checkpointing the WAL");
            CheckpointResult checkpoint = settings.Checkpoint ? maintenance.Checkpoint(CheckpointMode.Truncate) : maintenance.ManageWal();
            report.Checkpoint = checkpoint.Mode;
            report.CheckpointBusy = checkpoint.Busy;
            report.WalBytesBefore = checkpoint.WalBytesBefore;
            report.WalBytesAfter = checkpoint.WalBytesAfter;
        }

        if (settings.Optimize || settings.Defaults)
        {
            onStep("Optimizing");
            maintenance.Optimize(analyze: settings.Optimize);
            report.Optimized = true;
        }

        if (settings.IntegrityCheck)
        {
            onStep("Checking integrity");
            IntegrityResult integrity = maintenance.CheckIntegrity();
            report.IntegrityOk = integrity.IsOk;
            var problems = new string[integrity.Problems.Count];
            for (int i = 0; i < problems.Length; i++) problems[i] = integrity.Problems[i];
            report.IntegrityProblems = problems;
        }

        report.Duration = clock.Elapsed;
        return report;
    }

    /// <summary>Copies the database, while workers run, to one consistent, self-contained file. Returns the file.</summary>
    public static FileInfo Backup(string databasePath, string destinationPath, bool overwrite)
    {
        FileOnly(databasePath, "Backup-PrismQDatabase copies SQLite files; back a PostgreSQL database up with pg_dump (docs/operations.md)");
        StoreCache.Get(databasePath);
        using DatabaseMaintenance maintenance = DatabaseMaintenance.Open(databasePath);
        maintenance.Backup(destinationPath, overwrite);
        return new FileInfo(Path.GetFullPath(destinationPath));
    }

    /// <summary>Throws <see cref="PrismQErrorCode.NotSupported"/> when the database is not a SQLite file.</summary>
    private static void FileOnly(string databasePath, string instead)
    {
        if (StoreLocations.IsPostgres(databasePath))
            throw new PrismQException(PrismQErrorCode.NotSupported, $"The database '{StoreLocations.Redact(databasePath)}' is on PostgreSQL: {instead}.", "Database", StoreLocations.Redact(databasePath));
    }
}
