using System;
using System.IO;
using System.Runtime.Versioning;
using System.Threading.Tasks;
using PrismQ.Workers;
using Xunit;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Tests.Storage;

/// <summary>A fact that runs on Unix only (file modes do not exist on Windows, where PrismQ sets nothing).</summary>
public sealed class UnixFactAttribute : FactAttribute
{
    public UnixFactAttribute()
    {
        if (OperatingSystem.IsWindows()) Skip = "Unix file modes; on Windows PrismQ relies on the per-user default location.";
    }
}

/// <summary>Files and folders PrismQ creates are readable by their owner only on Unix: files 0600, folders 0700.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class StorageFilePermissionTests : IDisposable
{
    private const UnixFileMode OwnerFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Shared = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static void AssertMode(UnixFileMode expected, string path) =>
        Assert.True(File.GetUnixFileMode(path) == expected, $"{path} has mode {File.GetUnixFileMode(path)}, expected {expected}");

    [UnixFact]
    public async Task A_new_database_its_wal_shm_and_the_folders_created_for_it_are_owner_only()
    {
        string outer = _folder.File("new");
        string db = Path.Combine(outer, "inner", "queue.db");
        using (SqliteTaskStore store = SqliteTaskStore.Open(db))
        {
            await store.EnqueueAsync(new EnqueueRequest("t"));
            Assert.True(File.Exists(db + "-wal") && File.Exists(db + "-shm"), "the open store should have its -wal and -shm files");
            AssertMode(OwnerFile, db);
            AssertMode(OwnerFile, db + "-wal");
            AssertMode(OwnerFile, db + "-shm");
        }
        AssertMode(OwnerFolder, outer);
        AssertMode(OwnerFolder, Path.Combine(outer, "inner"));
    }

    [UnixFact]
    public void The_trace_database_and_its_wal_and_shm_are_owner_only()
    {
        string db = _folder.File("traced.db");
        string traceDb;
        using (TraceSession session = TraceSession.Start(db, new TraceOptions { TraceDatabasePath = _folder.File("traces/trace.db") }))
        {
            traceDb = session.TraceDatabasePath!;
            session.EmitUser("hello");
            Assert.True(session.Flush(TimeSpan.FromMinutes(1)), "the trace did not drain within a minute");
            AssertMode(OwnerFile, traceDb);
            foreach (string side in new[] { traceDb + "-wal", traceDb + "-shm" })
                if (File.Exists(side)) AssertMode(OwnerFile, side);
            Assert.True(File.Exists(traceDb + "-wal"), "the trace database should be in WAL mode with a -wal file while open");
        }
        AssertMode(OwnerFolder, Path.GetDirectoryName(traceDb)!);
    }

    [UnixFact]
    public void The_workers_liveness_folder_is_owner_only()
    {
        string folder = _folder.File("queue.db-workers");
        using (WorkerLivenessLock? held = WorkerLivenessLock.Acquire(folder, "worker-1", TimeSpan.FromSeconds(30), TimeProvider.System))
        {
            Assert.NotNull(held);
        }
        AssertMode(OwnerFolder, folder);
    }

    [UnixFact]
    public void A_backup_is_owner_only()
    {
        string db = _folder.File("source.db");
        using (SqliteTaskStore.Open(db))
        {
        }
        string copy = _folder.File("backups/copy.db");
        using (DatabaseMaintenance maintenance = DatabaseMaintenance.Open(db))
        {
            maintenance.Backup(copy);
        }
        AssertMode(OwnerFile, copy);
        AssertMode(OwnerFolder, Path.GetDirectoryName(copy)!);
    }

    [UnixFact]
    public async Task A_database_and_a_folder_the_user_made_keep_their_modes()
    {
        string folder = _folder.File("mine");
        Directory.CreateDirectory(folder, OwnerFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.SetUnixFileMode(folder, OwnerFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        string db = Path.Combine(folder, "shared.db");
        using (File.Create(db))
        {
        }
        File.SetUnixFileMode(db, Shared);

        using (SqliteTaskStore store = SqliteTaskStore.Open(db))
        {
            await store.EnqueueAsync(new EnqueueRequest("t"));
            AssertMode(Shared, db);
        }
        AssertMode(OwnerFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute, folder);
    }
}
