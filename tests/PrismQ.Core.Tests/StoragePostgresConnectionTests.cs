using System;
using Npgsql;
using PrismQ.Postgres;
using Xunit;

namespace PrismQ.Tests.Storage;

/// <summary>Connection parsing, and the password kept out of every message, location and display form.</summary>
[Trait("Backend", "PostgreSQL")]
public sealed class StoragePostgresConnectionTests
{
    private const string Secret = "S3cr3t-Pa55";

    [Fact]
    public void Statements_are_prepared_automatically_unless_the_connection_says_otherwise()
    {
        Assert.Equal(PostgresConnectionInfo.DefaultMaxAutoPrepare, PostgresConnectionInfo.Parse("postgresql://bob@localhost/app").Builder.MaxAutoPrepare);
        Assert.Equal(0, PostgresConnectionInfo.Parse("postgresql://bob@localhost/app?Max%20Auto%20Prepare=0").Builder.MaxAutoPrepare);
        Assert.Equal(0, PostgresConnectionInfo.Parse("Host=localhost;Username=bob;Max Auto Prepare=0").Builder.MaxAutoPrepare);
        Assert.Equal(8, PostgresConnectionInfo.Parse("Host=localhost;Username=bob;Max Auto Prepare=8").Builder.MaxAutoPrepare);
    }

    [Fact]
    public void A_uri_is_parsed_into_its_parts_and_shown_without_its_password()
    {
        PostgresConnectionInfo info = PostgresConnectionInfo.Parse($"postgresql://alice:{Secret}@db.example:6543/queue%20db?schema=jobs&sslmode=disable&application_name=app");
        Assert.Equal("db.example", info.Host);
        Assert.Equal(6543, info.Port);
        Assert.Equal("queue db", info.Database);
        Assert.Equal("alice", info.User);
        Assert.Equal(Secret, info.Password);
        Assert.Equal("jobs", info.Schema);
        Assert.Equal(SslMode.Disable, info.Builder.SslMode);
        Assert.Equal("app", info.Builder.ApplicationName);
        Assert.Equal("postgresql://alice@db.example:6543/queue%20db?schema=jobs", info.Redacted);
        Assert.DoesNotContain(Secret, info.ToString());
    }

    [Fact]
    public void Defaults_and_other_forms_are_understood()
    {
        PostgresConnectionInfo plain = PostgresConnectionInfo.Parse("postgres://bob@localhost/app");
        Assert.Equal(5432, plain.Port);
        Assert.Equal("prismq", plain.Schema);
        Assert.Null(plain.Password); // Npgsql then reads PGPASSWORD or .pgpass
        Assert.Equal("postgresql://bob@localhost:5432/app?schema=prismq", plain.Redacted);

        PostgresConnectionInfo v6 = PostgresConnectionInfo.Parse("postgresql://bob@[::1]:5433/app");
        Assert.Equal("::1", v6.Host);
        Assert.Equal(5433, v6.Port);
        Assert.Equal("postgresql://bob@[::1]:5433/app?schema=prismq", v6.Redacted);

        PostgresConnectionInfo npgsql = PostgresConnectionInfo.Parse($"Host=h;Port=7000;Database=d;Username=u;Password={Secret};Schema=s1");
        Assert.Equal("s1", npgsql.Schema);
        Assert.Equal(Secret, npgsql.Password);
        Assert.Equal("postgresql://u@h:7000/d?schema=s1", npgsql.Redacted);
    }

    [Theory]
    [InlineData("")]
    [InlineData("postgresql://u:" + Secret + "@h:notaport/d")]
    [InlineData("postgresql://u:" + Secret + "@h/d?schema=Bad-Name")]
    [InlineData("postgresql://u:" + Secret + "@h/d?nonsense_option=1")]
    [InlineData("Host=h;Password=" + Secret + ";Bogus Key=1")]
    public void A_bad_connection_is_refused_without_showing_the_password(string connection)
    {
        PrismQException ex = Assert.Throws<PrismQException>(() => PostgresConnectionInfo.Parse(connection));
        Assert.Equal(PrismQErrorCode.InvalidOption, ex.Code);
        Assert.DoesNotContain(Secret, ex.ToString());
    }

    [Fact]
    public void A_wrong_password_fails_with_a_message_that_does_not_hold_it()
    {
        PostgresConnectionInfo server = PostgresConnectionInfo.Parse(PostgresTestServer.Uri);
        string uri = $"postgresql://{server.User}:{Secret}@{server.Host}:{server.Port}/{server.Database}?schema={PostgresTestServer.NewSchema()}";
        PrismQException ex = Assert.Throws<PrismQException>(() => PostgresTaskStore.Open(uri));
        Assert.Equal(PrismQErrorCode.StorageError, ex.Code);
        Assert.Contains("28P01", ex.Message);
        Assert.DoesNotContain(Secret, ex.ToString());
        Assert.DoesNotContain(Secret, ex.InvalidValue?.ToString() ?? string.Empty);
    }

    [Fact]
    public void An_unreachable_server_is_busy_and_its_message_does_not_hold_the_password()
    {
        string uri = $"postgresql://prismq:{Secret}@127.0.0.1:1/prismq?schema=x&timeout=3";
        PrismQException ex = Assert.Throws<PrismQException>(() => PostgresTaskStore.Open(uri));
        Assert.Equal(PrismQErrorCode.DatabaseBusy, ex.Code);
        Assert.Contains("127.0.0.1:1", ex.Message);
        Assert.DoesNotContain(Secret, ex.ToString());
    }

    [Fact]
    public void The_location_and_display_of_an_open_store_hold_no_password()
    {
        using var factory = new PostgresStoreFactory();
        using PostgresTaskStore store = factory.OpenPostgres(new StoreSettings());
        PostgresConnectionInfo server = PostgresConnectionInfo.Parse(PostgresTestServer.Uri);
        Assert.False(string.IsNullOrEmpty(server.Password));
        Assert.DoesNotContain(":" + server.Password + "@", store.Location);
        Assert.DoesNotContain(":" + server.Password + "@", store.ToString());
        Assert.Equal($"postgresql://{server.User}@{server.Host}:{server.Port}/{server.Database}?schema={factory.Schema}", store.Location);
        Assert.Equal("PostgreSQL", ((PrismQ.Storage.IStorageDriver)store).BackendName);
    }

    /// <summary>A URI without a password: Npgsql takes it from PGPASSWORD (the .pgpass file works the same way).</summary>
    [Fact]
    public async System.Threading.Tasks.Task The_password_may_come_from_PGPASSWORD()
    {
        PostgresConnectionInfo server = PostgresConnectionInfo.Parse(PostgresTestServer.Uri);
        string schema = PostgresTestServer.NewSchema();
        string? saved = Environment.GetEnvironmentVariable("PGPASSWORD");
        Environment.SetEnvironmentVariable("PGPASSWORD", server.Password);
        try
        {
            using PostgresTaskStore store = PostgresTaskStore.Open($"postgresql://{server.User}@{server.Host}:{server.Port}/{server.Database}?schema={schema}");
            Assert.True((await store.EnqueueAsync(new EnqueueRequest("t"))).Created);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGPASSWORD", saved);
            PostgresTestServer.DropSchema(schema);
        }
    }
}
