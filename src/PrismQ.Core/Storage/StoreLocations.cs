using System;
using System.Reflection;
using System.Runtime.ExceptionServices;
using PrismQ.Storage.Sqlite;

namespace PrismQ.Storage;

/// <summary>
/// Where a store is, as users write it: a file path (SQLite) or a PostgreSQL URI (<c>postgresql://user@host:5432/db</c>,
/// libpq's form; also <c>postgres://</c>). Opens the right store for it and shows it without its password.
/// </summary>
internal static class StoreLocations
{
    /// <summary>The assembly-qualified name of the PostgreSQL store, loaded only when a PostgreSQL URI is opened.</summary>
    internal const string PostgresStoreType = "PrismQ.Postgres.PostgresTaskStore, PrismQ.Postgres";

    /// <summary>True when <paramref name="location"/> is a PostgreSQL URI rather than a file path.</summary>
    public static bool IsPostgres(string? location) =>
        location is not null
        && (location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// <paramref name="location"/> safe to show: a PostgreSQL URI without its password (<c>user:secret@</c> becomes
    /// <c>user@</c>, and a <c>password=</c> query parameter is dropped); a file path unchanged.
    /// </summary>
    public static string Redact(string location)
    {
        if (!IsPostgres(location)) return location;
        int start = location.IndexOf("://", StringComparison.Ordinal) + 3;
        int end = location.IndexOfAny(new[] { '/', '?' }, start);
        if (end < 0) end = location.Length;
        int at = location.LastIndexOf('@', end - 1, end - start);
        string result = location;
        if (at >= 0)
        {
            int colon = location.IndexOf(':', start, at - start);
            if (colon >= 0) result = location.Substring(0, colon) + location.Substring(at);
        }
        int query = result.IndexOf('?');
        if (query < 0) return result;
        string[] parts = result.Substring(query + 1).Split('&');
        var kept = new System.Collections.Generic.List<string>(parts.Length);
        foreach (string part in parts)
            if (!part.StartsWith("password=", StringComparison.OrdinalIgnoreCase)) kept.Add(part);
        return result.Substring(0, query) + (kept.Count == 0 ? "" : "?" + string.Join("&", kept));
    }

    /// <summary>
    /// Opens the store at <paramref name="location"/> with the queue policy of <paramref name="options"/>: the SQLite
    /// store for a file path (<see cref="QueueOptions.DatabasePath"/> replaced by it), the PostgreSQL store for a URI.
    /// Throws <see cref="PrismQException"/> (<see cref="PrismQErrorCode.InvalidDatabasePath"/>) when the PostgreSQL
    /// store cannot be loaded here (it needs .NET 8 or later: PowerShell 7.4+, not Windows PowerShell 5.1).
    /// </summary>
    public static ITaskStore Open(string location, QueueOptions options)
    {
        if (!IsPostgres(location))
        {
            return SqliteTaskStore.Open(new QueueOptions
            {
                DatabasePath = location,
                Durability = options.Durability,
                BusyTimeout = options.BusyTimeout,
                MaxPayloadBytes = options.MaxPayloadBytes,
                DefaultMaxAttempts = options.DefaultMaxAttempts,
                LeaseDuration = options.LeaseDuration,
                RetryPolicy = options.RetryPolicy,
                TimeProvider = options.TimeProvider,
                RandomSource = options.RandomSource,
                MaxDelay = options.MaxDelay,
                Tracing = options.Tracing,
                Tracer = options.Tracer,
            });
        }
        MethodInfo open = PostgresOpen(location);
        try
        {
            return (ITaskStore)open.Invoke(null, new object[] { location, options })!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private static MethodInfo PostgresOpen(string location)
    {
        Type? type;
        Exception? why = null;
        try
        {
            type = Type.GetType(PostgresStoreType, throwOnError: false);
        }
        catch (Exception e) when (e is System.IO.FileLoadException || e is BadImageFormatException || e is TypeLoadException)
        {
            type = null;
            why = e;
        }
        MethodInfo? open = type?.GetMethod("Open", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string), typeof(QueueOptions) }, null);
        if (open is null)
        {
            throw new PrismQException(PrismQErrorCode.InvalidDatabasePath,
                $"The database '{Redact(location)}' is a PostgreSQL URI, and the PostgreSQL store (PrismQ.Postgres) cannot be loaded here: it needs .NET 8 or later " +
                $"(PowerShell 7.4 or later; Windows PowerShell 5.1 works with SQLite files only){(why is null ? "" : ": " + why.Message)}.",
                "Database", Redact(location), why);
        }
        return open;
    }
}
