using System;
using System.Collections.Generic;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using PrismQ.Postgres;
using Xunit;
using Xunit.Abstractions;

namespace PrismQ.Tests.Storage;

/// <summary>
/// The query plans of every claim statement on a large, analyzed backlog: each walks an index and none sorts (no Sort
/// or Incremental Sort node anywhere in the plan), so a claim's cost does not grow with the backlog.
/// </summary>
[Trait("Backend", "PostgreSQL")]
public sealed class StoragePostgresPlanTests : IClassFixture<StoragePostgresPlanTests.Backlog>
{
    private readonly Backlog _backlog;
    private readonly ITestOutputHelper _output;

    public StoragePostgresPlanTests(Backlog backlog, ITestOutputHelper output)
    {
        _backlog = backlog;
        _output = output;
    }

    /// <summary>
    /// One schema for the class: 200,000 tasks over three queues and 7 priorities (a tenth delayed far ahead, a quarter
    /// finished), written by SQL for speed, then analyzed.
    /// </summary>
    public sealed class Backlog : IDisposable
    {
        private const int Tasks = 200_000;
        private readonly PostgresStoreFactory _factory = new();

        public Backlog()
        {
            using (PostgresTaskStore store = PostgresTaskStore.Open(_factory.Connection))
            {
                string schema = SchemaIdentifier;
                PostgresTestServer.Exec(
                    $"INSERT INTO {schema}.queues (name) VALUES ('default'), ('a'), ('b');" +
                    $"INSERT INTO {schema}.tasks (queue, type, payload, priority, not_before, max_attempts, wr_key, created_at, updated_at, status, wr_claimed, finished_at) " +
                    $"SELECT (ARRAY['default','a','b'])[1 + i % 3], 't', '{{}}', i % 7, 1000 + i + CASE WHEN i % 10 = 0 THEN 1000000000 ELSE 0 END, 5, random() * 10, i, i, " +
                    $"CASE WHEN i % 4 = 0 THEN 2 ELSE 0 END, CASE WHEN i % 4 = 0 THEN random() ELSE NULL END, CASE WHEN i % 4 = 0 THEN i ELSE NULL END " +
                    $"FROM generate_series(1, {Tasks}) AS i;" +
                    $"ANALYZE {schema}.tasks; ANALYZE {schema}.queues;");
            }
        }

        public string SchemaIdentifier => $"\"{_factory.Schema}\"";

        public void Dispose() => _factory.Dispose();
    }

    public static IEnumerable<object[]> Statements()
    {
        foreach (SchedulingStrategy s in Enum.GetValues<SchedulingStrategy>())
        {
            string index = s switch
            {
                SchedulingStrategy.Priority => "ix_tasks_ready_priority",
                SchedulingStrategy.WeightedRandom => "ix_tasks_ready_weighted",
                _ => "ix_tasks_ready_fifo",
            };
            yield return new object[] { "single-" + s, PostgresClaimSql.SingleQueue(s), index };
            yield return new object[] { "candidates-" + s, PostgresClaimSql.ReadySelect(s), index };
        }
        yield return new object[] { "next-level", PostgresClaimSql.NextLevel, "ix_tasks_ready_priority" };
        yield return new object[] { "level-heads", PostgresClaimSql.LevelHeads, "ix_tasks_ready_priority" };
        yield return new object[] { "oldest", PostgresClaimSql.OldestQueued, "ix_tasks_ready_fifo" };
        yield return new object[] { "clock", "SELECT " + PostgresClaimSql.Clock("@queue"), "ix_tasks_clock" };
    }

    [Theory]
    [MemberData(nameof(Statements))]
    public void Claim_statements_walk_an_index_and_never_sort(string name, string sql, string index)
    {
        string schema = _backlog.SchemaIdentifier;
        using NpgsqlConnection connection = PostgresTestServer.Connect();
        using var command = new NpgsqlCommand("EXPLAIN (FORMAT JSON) " + sql.Replace("{s}", schema), connection);
        var values = new Dictionary<string, (NpgsqlDbType Type, object Value)>
        {
            ["owner"] = (NpgsqlDbType.Text, "w"),
            ["expires"] = (NpgsqlDbType.Bigint, 5_000_000L),
            ["now"] = (NpgsqlDbType.Bigint, 2_000_000L),
            ["queue"] = (NpgsqlDbType.Text, "default"),
            ["n"] = (NpgsqlDbType.Integer, 10),
            ["below"] = (NpgsqlDbType.Bigint, 5L),
            ["priority"] = (NpgsqlDbType.Integer, 3),
        };
        foreach ((string p, (NpgsqlDbType type, object value)) in values)
        {
            if (sql.Contains("@" + p, StringComparison.Ordinal)) command.Parameters.Add(new NpgsqlParameter(p, type) { Value = value });
        }
        string json = (string)command.ExecuteScalar()!;
        _output.WriteLine(name + ": " + json);

        var nodes = new List<(string Type, string? Index, string? Relation)>();
        using (JsonDocument doc = JsonDocument.Parse(json)) Walk(doc.RootElement[0].GetProperty("Plan"), nodes);
        Assert.DoesNotContain(nodes, n => n.Type is "Sort" or "Incremental Sort");
        Assert.DoesNotContain(nodes, n => n.Type == "Seq Scan" && n.Relation == "tasks");
        Assert.Contains(nodes, n => n.Index is not null && n.Index == index);
    }

    private static void Walk(JsonElement plan, List<(string, string?, string?)> nodes)
    {
        string? index = plan.TryGetProperty("Index Name", out JsonElement i) ? i.GetString() : null;
        string? relation = plan.TryGetProperty("Relation Name", out JsonElement r) ? r.GetString() : null;
        nodes.Add((plan.GetProperty("Node Type").GetString()!, index, relation));
        if (plan.TryGetProperty("Plans", out JsonElement children))
        {
            foreach (JsonElement child in children.EnumerateArray()) Walk(child, nodes);
        }
    }
}
