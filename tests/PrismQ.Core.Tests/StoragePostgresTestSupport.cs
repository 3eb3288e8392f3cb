using System;
using System.Collections.Generic;
using Npgsql;
using PrismQ.Postgres;

namespace PrismQ.Tests.Storage;

/// <summary>
/// The PostgreSQL server of the tests: its URI from <c>PRISMQ_TEST_POSTGRES</c> (see <c>.ci/postgres</c>). Every
/// PostgreSQL test class carries <c>[Trait("Backend", "PostgreSQL")]</c>, and the build leaves them out when the
/// variable is absent; run without it, they fail saying so.
/// </summary>
internal static class PostgresTestServer
{
    public const string Variable = "PRISMQ_TEST_POSTGRES";

    public static string Uri =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } uri
            ? uri
            : throw new InvalidOperationException($"{Variable} is not set: start a server with .ci/postgres and set it to the URI it prints, or filter out Backend=PostgreSQL.");

    /// <summary>A schema name no other test uses.</summary>
    public static string NewSchema() => "t_" + Guid.NewGuid().ToString("N").Substring(0, 20);

    /// <summary>The server URI with <c>schema=</c> set.</summary>
    public static string UriWithSchema(string schema) => Uri + (Uri.Contains('?') ? "&" : "?") + "schema=" + schema;

    /// <summary>A plain connection to the server (not through a store), to look into a schema or tamper with it.</summary>
    public static NpgsqlConnection Connect()
    {
        PostgresConnectionInfo info = PostgresConnectionInfo.Parse(Uri);
        var builder = new NpgsqlConnectionStringBuilder(info.Builder.ConnectionString) { Pooling = false };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        connection.Open();
        return connection;
    }

    public static void Exec(string sql)
    {
        using NpgsqlConnection connection = Connect();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public static long Scalar(string sql)
    {
        using NpgsqlConnection connection = Connect();
        using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static void DropSchema(string schema) => Exec($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
}

/// <summary>How the PostgreSQL store is opened by the store-neutral tests: one fresh schema per test, dropped at dispose.</summary>
public sealed class PostgresStoreFactory : IDisposable
{
    private readonly List<PostgresTaskStore> _opened = new();

    public string Schema { get; } = PostgresTestServer.NewSchema();

    public string Connection => PostgresTestServer.UriWithSchema(Schema);

    public ITaskStore Open(StoreSettings s) => OpenPostgres(s);

    public PostgresTaskStore OpenPostgres(StoreSettings s)
    {
        PostgresTaskStore store = PostgresTaskStore.Open(Connection, Options(s));
        lock (_opened) _opened.Add(store);
        return store;
    }

    public static QueueOptions Options(StoreSettings s) => new()
    {
        TimeProvider = s.Clock,
        RandomSource = s.Random ?? new SeededRandom(12345).Next,
        RetryPolicy = s.RetryPolicy ?? RetryPolicy.Default,
        DefaultMaxAttempts = s.DefaultMaxAttempts,
        MaxPayloadBytes = s.MaxPayloadBytes,
        LeaseDuration = s.LeaseDuration,
        BusyTimeout = s.BusyTimeout,
    };

    public void Dispose()
    {
        lock (_opened)
        {
            foreach (PostgresTaskStore store in _opened) store.Dispose();
            _opened.Clear();
        }
        PostgresTestServer.DropSchema(Schema);
    }
}
