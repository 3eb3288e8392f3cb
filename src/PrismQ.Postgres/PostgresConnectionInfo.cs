using System;
using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace PrismQ.Postgres;

/// <summary>
/// Where a PostgreSQL store is: parsed from a libpq URI (<c>postgresql://user[:password]@host[:port]/db[?schema=name&amp;...]</c>,
/// also <c>postgres://</c>) or from an Npgsql connection string (which may name <c>Schema=name</c>). The password is kept
/// only in <see cref="Builder"/>: <see cref="Redacted"/> and <see cref="ToString"/> never show it. When no password is
/// given, Npgsql looks for one in <c>PGPASSWORD</c> and the <c>.pgpass</c> file.
/// </summary>
internal sealed class PostgresConnectionInfo
{
    /// <summary>The schema used when the connection names none.</summary>
    public const string DefaultSchema = "prismq";

    private static readonly Regex SchemaName = new("^[a-z_][a-z0-9_]{0,54}$", RegexOptions.CultureInvariant);

    private PostgresConnectionInfo(NpgsqlConnectionStringBuilder builder, string schema)
    {
        Builder = builder;
        Schema = schema;
        Host = builder.Host ?? "localhost";
        Port = builder.Port;
        Database = builder.Database ?? builder.Username ?? string.Empty;
        User = builder.Username ?? string.Empty;
    }

    /// <summary>The Npgsql settings (with the password, when one was given).</summary>
    public NpgsqlConnectionStringBuilder Builder { get; }

    public string Host { get; }
    public int Port { get; }
    public string Database { get; }
    public string User { get; }

    /// <summary>The password given in the connection, or null (Npgsql then reads PGPASSWORD or .pgpass).</summary>
    public string? Password => Builder.Password;

    /// <summary>The schema that holds PrismQ's tables (a plain lower-case identifier).</summary>
    public string Schema { get; }

    /// <summary>The schema as a quoted SQL identifier.</summary>
    public string SchemaIdentifier => "\"" + Schema + "\"";

    /// <summary>A display form without the password: <c>postgresql://user@host:port/db?schema=x</c>.</summary>
    public string Redacted
    {
        get
        {
            string host = Host.Contains(':') && !Host.StartsWith("[", StringComparison.Ordinal) ? "[" + Host + "]" : Host;
            string user = User.Length == 0 ? string.Empty : Uri.EscapeDataString(User) + "@";
            return $"postgresql://{user}{host}:{Port.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(Database)}?schema={Schema}";
        }
    }

    /// <summary>The redacted form.</summary>
    public override string ToString() => Redacted;

    /// <summary>Parses <paramref name="connection"/>; throws <see cref="PrismQException"/> (<see cref="PrismQErrorCode.InvalidOption"/>) with a message that never holds the password.</summary>
    public static PostgresConnectionInfo Parse(string? connection)
    {
        if (connection is null || connection.Trim().Length == 0)
            throw Invalid("The PostgreSQL connection is empty; it must be a URI (postgresql://user@host:port/db?schema=name) or an Npgsql connection string.");
        string text = connection.Trim();
        return text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            ? ParseUri(text)
            : ParseConnectionString(text);
    }

    private static PostgresConnectionInfo ParseUri(string text)
    {
        int schemeEnd = text.IndexOf("://", StringComparison.Ordinal) + 3;
        string rest = text.Substring(schemeEnd);
        string? query = null;
        int q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest.Substring(q + 1);
            rest = rest.Substring(0, q);
        }
        string path = string.Empty;
        int slash = rest.IndexOf('/');
        if (slash >= 0)
        {
            path = rest.Substring(slash + 1);
            rest = rest.Substring(0, slash);
        }
        var builder = new NpgsqlConnectionStringBuilder();
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            string userInfo = rest.Substring(0, at);
            rest = rest.Substring(at + 1);
            int colon = userInfo.IndexOf(':');
            string user = colon >= 0 ? userInfo.Substring(0, colon) : userInfo;
            if (user.Length > 0) builder.Username = Decode(user, "user name");
            if (colon >= 0) builder.Password = Decode(userInfo.Substring(colon + 1), "password");
        }
        string host = rest;
        int port = 5432;
        if (host.StartsWith("[", StringComparison.Ordinal))
        {
            int close = host.IndexOf(']');
            if (close < 0) throw Invalid("The PostgreSQL URI's host has '[' without ']'.");
            string after = host.Substring(close + 1);
            host = host.Substring(1, close - 1);
            if (after.StartsWith(":", StringComparison.Ordinal)) port = ParsePort(after.Substring(1));
            else if (after.Length > 0) throw Invalid("The PostgreSQL URI has text after its host's ']'.");
        }
        else
        {
            int colon = host.LastIndexOf(':');
            if (colon >= 0)
            {
                port = ParsePort(host.Substring(colon + 1));
                host = host.Substring(0, colon);
            }
        }
        builder.Host = host.Length == 0 ? "localhost" : Decode(host, "host");
        builder.Port = port;
        if (path.Length > 0) builder.Database = Decode(path, "database name");

        string schema = DefaultSchema;
        if (!string.IsNullOrEmpty(query))
        {
            foreach (string pair in query!.Split('&'))
            {
                if (pair.Length == 0) continue;
                int eq = pair.IndexOf('=');
                string key = Decode(eq >= 0 ? pair.Substring(0, eq) : pair, "parameter name");
                string value = eq >= 0 ? Decode(pair.Substring(eq + 1), "parameter value") : string.Empty;
                switch (key.ToLowerInvariant())
                {
                    case "schema":
                        schema = value;
                        break;
                    case "password":
                        builder.Password = value;
                        break;
                    case "user":
                        builder.Username = value;
                        break;
                    case "sslmode":
                        Set(builder, "SSL Mode", value, key);
                        break;
                    case "connect_timeout":
                        Set(builder, "Timeout", value, key);
                        break;
                    case "application_name":
                        builder.ApplicationName = value;
                        break;
                    case "options":
                        Set(builder, "Options", value, key);
                        break;
                    default:
                        // Any Npgsql keyword (Pooling, Maximum Pool Size, Command Timeout, ...).
                        Set(builder, key, value, key);
                        break;
                }
            }
        }
        return Create(builder, schema);
    }

    private static PostgresConnectionInfo ParseConnectionString(string text)
    {
        var generic = new DbConnectionStringBuilder();
        try
        {
            generic.ConnectionString = text;
        }
        catch (ArgumentException)
        {
            throw Invalid("The PostgreSQL connection is neither a postgresql:// URI nor a valid connection string (key=value; ...).");
        }
        string schema = DefaultSchema;
        if (generic.TryGetValue("schema", out object? value))
        {
            schema = Convert.ToString(value, CultureInfo.InvariantCulture) ?? DefaultSchema;
            generic.Remove("schema");
        }
        var builder = new NpgsqlConnectionStringBuilder();
        foreach (string key in generic.Keys)
            Set(builder, key, Convert.ToString(generic[key], CultureInfo.InvariantCulture) ?? string.Empty, key);
        return Create(builder, schema);
    }

    /// <summary>How many statements Npgsql keeps prepared per connection when the connection does not set <c>Max Auto Prepare</c>.</summary>
    internal const int DefaultMaxAutoPrepare = 64;

    private static PostgresConnectionInfo Create(NpgsqlConnectionStringBuilder builder, string schema)
    {
        if (!SchemaName.IsMatch(schema))
            throw Invalid($"The PostgreSQL schema '{schema}' is not allowed; it must be a lower-case identifier (a-z, 0-9, _, not starting with a digit, at most 55 characters).");
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "PrismQ";
        // The store runs a few fixed statements over and over: Npgsql prepares them once per connection, unless the
        // connection says otherwise (Max Auto Prepare=0 turns it off, e.g. behind a pooler without prepared statements).
        if (!new System.Data.Common.DbConnectionStringBuilder { ConnectionString = builder.ConnectionString }.ContainsKey("Max Auto Prepare"))
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        return new PostgresConnectionInfo(builder, schema);
    }

    private static void Set(NpgsqlConnectionStringBuilder builder, string key, string value, string shownKey)
    {
        try
        {
            builder[key] = value;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            bool secret = key.IndexOf("password", StringComparison.OrdinalIgnoreCase) >= 0;
            throw Invalid($"The PostgreSQL connection parameter '{shownKey}'{(secret ? string.Empty : " = '" + value + "'")} is not supported or not valid.");
        }
    }

    private static int ParsePort(string text)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
            throw Invalid($"The PostgreSQL URI's port '{text}' is not a number between 1 and 65535.");
        return port;
    }

    private static string Decode(string text, string what)
    {
        try
        {
            return Uri.UnescapeDataString(text);
        }
        catch (UriFormatException)
        {
            throw Invalid($"The PostgreSQL URI's {what} is not validly percent-encoded.");
        }
    }

    private static PrismQException Invalid(string message) => new(PrismQErrorCode.InvalidOption, message, "connection");

}
