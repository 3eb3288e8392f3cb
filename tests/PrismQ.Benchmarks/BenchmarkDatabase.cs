using System;
using System.IO;
using Microsoft.Data.Sqlite;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Benchmarks;

/// <summary>A fresh database file in a temporary folder, deleted on dispose.</summary>
internal sealed class BenchmarkDatabase : IDisposable
{
    private readonly string _folder;

    public BenchmarkDatabase(string name)
    {
        _folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "prismq-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        Path = System.IO.Path.Combine(_folder, name + ".db");
    }

    public string Path { get; }

    /// <summary>The temporary folder (deleted on dispose), for benchmarks that make a database file per operation.</summary>
    public string Folder => _folder;

    /// <summary>Creates the PrismQ schema (by opening and closing a store) so a raw connection can use the same tables.</summary>
    public void CreateSchema(Durability durability)
    {
        using SqliteTaskStore store = SqliteTaskStore.Open(new QueueOptions { DatabasePath = Path, Durability = durability });
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a finishing benchmark: the temp folder is left for the OS to clean.
        }
    }
}
