using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Xunit;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Tests.Storage;

/// <summary>Several processes whose first call is on the same new database file, at the same moment.</summary>
public sealed class StorageSqliteFirstOpenRaceTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Six_new_processes_creating_the_same_new_database_all_succeed_in_every_round()
    {
        const int processes = 6;
        const int rounds = 30;
        var failures = new List<string>();
        for (int round = 0; round < rounds; round++)
        {
            string db = _folder.File($"race-{round.ToString(CultureInfo.InvariantCulture)}.db");
            var hosts = new List<Process>();
            try
            {
                // Fresh processes: their first open runs cold (JIT included), as a user's first command does.
                for (int p = 0; p < processes; p++) hosts.Add(StorageTestHost.Start(redirectInput: true, "open-rounds"));
                foreach (Process host in hosts) Assert.Equal("ready", await ReadLine(host));
                // Every host is now blocked on its input: the line starts its first open of the new file.
                foreach (Process host in hosts)
                {
                    await host.StandardInput.WriteLineAsync(db);
                    await host.StandardInput.FlushAsync();
                }
                foreach (Process host in hosts)
                {
                    string line = await ReadLine(host);
                    if (line != "ok") failures.Add($"round {round}: {line}");
                }
            }
            finally
            {
                foreach (Process host in hosts)
                {
                    host.StandardInput.Close();
                    (int exit, _, string error) = await StorageTestHost.WaitAsync(host, TimeSpan.FromMinutes(2));
                    Assert.True(exit == 0, $"test host failed ({exit}): {error}");
                    host.Dispose();
                }
            }
            using SqliteTaskStore store = SqliteTaskStore.Open(db);
            Assert.Equal(1, (await store.EnqueueAsync(new EnqueueRequest("after-race"))).Task.Id);
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {processes * rounds} first opens failed:\n" + string.Join("\n", failures));
    }

    private static async Task<string> ReadLine(Process host)
    {
        Task<string?> read = host.StandardOutput.ReadLineAsync();
        if (await Task.WhenAny(read, Task.Delay(TimeSpan.FromMinutes(2))) != read)
            throw new TimeoutException("A test host gave no answer within 2 minutes.");
        return await read ?? throw new InvalidOperationException("A test host ended early: " + await host.StandardError.ReadToEndAsync());
    }
}
