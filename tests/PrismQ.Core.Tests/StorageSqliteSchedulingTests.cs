using System;
using System.Collections.Generic;
using Microsoft.Data.Sqlite;
using PrismQ.Storage.Sqlite;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>The store-neutral scheduling behaviour on SQLite, and the SQLite query plans of every claim.</summary>
public sealed class StorageSqliteSchedulingTests : StorageSchedulingTests
{
    private readonly SqliteStoreFactory _factory = new();

    protected override ITaskStore OpenStore(StoreSettings settings) => _factory.Open(settings);

    public override void Dispose()
    {
        base.Dispose();
        _factory.Dispose();
    }

    public static IEnumerable<object[]> ClaimStatements()
    {
        foreach (SchedulingStrategy s in Enum.GetValues<SchedulingStrategy>())
        {
            yield return new object[] { "single-" + s, SqliteClaimSql.SingleQueue(s) };
            yield return new object[] { "candidates-" + s, SqliteClaimSql.ReadySelect(s, SqliteClaimSql.CandidateColumns) };
        }
        yield return new object[] { "next-level", SqliteClaimSql.NextLevel };
        yield return new object[] { "level-heads", SqliteClaimSql.LevelHeads };
        yield return new object[] { "oldest", SqliteClaimSql.OldestQueued };
    }

    /// <summary>No claim statement sorts (no temporary B-tree) and each reads a ready-task index, with a realistic mix of rows.</summary>
    [Theory]
    [MemberData(nameof(ClaimStatements))]
    public async System.Threading.Tasks.Task Claim_statements_walk_an_index_and_never_sort(string name, string sql)
    {
        using (ITaskStore store = SqliteTaskStore.Open(_factory.Options(new StoreSettings())))
        {
            var many = new List<EnqueueRequest>();
            for (int i = 0; i < 2000; i++) many.Add(new EnqueueRequest("t") { Priority = i % 7, Queue = i % 3 == 0 ? "a" : QueueNames.Default });
            await store.EnqueueManyAsync(many);
            await store.ClaimAsync(new ClaimRequest("w") { MaxCount = 500 });
        }

        using SqliteConnection connection = RawDb.Open(_factory.DatabasePath);
        using (SqliteCommand analyze = connection.CreateCommand())
        {
            analyze.CommandText = "ANALYZE";
            analyze.ExecuteNonQuery();
        }
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (string p in new[] { "$owner", "$expires", "$now", "$queue", "$n", "$ids", "$below", "$priority" })
        {
            if (sql.Contains(p, StringComparison.Ordinal)) command.Parameters.AddWithValue(p, p == "$queue" || p == "$owner" ? "default" : p == "$ids" ? "[1]" : 1);
        }
        var plan = new List<string>();
        using (SqliteDataReader r = command.ExecuteReader())
        {
            while (r.Read()) plan.Add(r.GetString(3));
        }
        string text = string.Join(" | ", plan);
        Assert.DoesNotContain("TEMP B-TREE", text);
        Assert.Contains("ix_tasks_ready_", text);
        Assert.DoesNotContain("SCAN tasks", text.Replace("SCAN tasks USING INDEX", "index-walk", StringComparison.Ordinal));
        Assert.False(string.IsNullOrEmpty(name));
    }
}
