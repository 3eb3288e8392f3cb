using System;
using System.IO;
using PrismQ.PowerShell.Cores;

namespace PrismQ.PowerShell.Tests;

/// <summary>A fresh database path in its own temp folder, opened through the module's store cache (the real SQLite store with tracing); removed at dispose.</summary>
internal sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Folder = Path.Combine(Path.GetTempPath(), "prismq-ps-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Path_ = System.IO.Path.Combine(Folder, "queue.db");
    }

    public string Folder { get; }

    public string Path_ { get; }

    public ITaskStore Store => StoreCache.Get(Path_);

    public void Dispose()
    {
        StoreCache.Close(Path_);
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a background thread: the OS temp cleaner gets it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
