using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace PrismQ;

/// <summary>
/// The environment variables PrismQ reads, and the platform default database path.
/// Precedence everywhere: an explicit option, then the environment variable, then the default.
/// </summary>
public static class PrismQEnvironment
{
    /// <summary>Database file path.</summary>
    public const string DatabasePathVariable = "PRISMQ_QUEUE_DB_PATH";

    /// <summary>Worker id.</summary>
    public const string WorkerIdVariable = "PRISMQ_QUEUE_WORKER_ID";

    /// <summary>Lease duration in seconds (a positive number).</summary>
    public const string LeaseDurationVariable = "PRISMQ_QUEUE_LEASE_DURATION";

    /// <summary>The largest worker concurrency a worker may be started with (a positive integer).</summary>
    public const string MaxWorkersVariable = "PRISMQ_QUEUE_MAX_WORKERS";

    /// <summary>The value of <c>PRISMQ_QUEUE_DB_PATH</c>, or null when unset or empty.</summary>
    public static string? DatabasePath => Read(DatabasePathVariable);

    /// <summary>The value of <c>PRISMQ_QUEUE_WORKER_ID</c>, or null when unset or empty.</summary>
    public static string? WorkerId => Read(WorkerIdVariable);

    /// <summary>The value of <c>PRISMQ_QUEUE_LEASE_DURATION</c> in seconds, or null when unset. Throws <see cref="PrismQException"/> when it is not a positive number.</summary>
    public static TimeSpan? LeaseDuration
    {
        get
        {
            string? text = Read(LeaseDurationVariable);
            if (text is null) return null;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || seconds <= 0 || seconds > 86400)
                throw new PrismQException(PrismQErrorCode.InvalidOption,
                    $"{LeaseDurationVariable} is '{text}'; it must be a number of seconds between 1 and 86400.", LeaseDurationVariable, text);
            return TimeSpan.FromSeconds(seconds);
        }
    }

    /// <summary>The value of <c>PRISMQ_QUEUE_MAX_WORKERS</c>, or null when unset. Throws <see cref="PrismQException"/> when it is not a positive integer.</summary>
    public static int? MaxWorkers
    {
        get
        {
            string? text = Read(MaxWorkersVariable);
            if (text is null) return null;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < 1 || value > 1024)
                throw new PrismQException(PrismQErrorCode.InvalidOption,
                    $"{MaxWorkersVariable} is '{text}'; it must be an integer between 1 and 1024.", MaxWorkersVariable, text);
            return value;
        }
    }

    /// <summary>
    /// The platform default database path: <c>%LOCALAPPDATA%\PrismQ\queue.db</c> on Windows;
    /// <c>$XDG_DATA_HOME/prismq/queue.db</c>, or <c>~/.local/share/prismq/queue.db</c>, elsewhere.
    /// </summary>
    public static string DefaultDatabasePath()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            string local = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            return Path.Combine(local, "PrismQ", "queue.db");
        }

        string? xdg = Read("XDG_DATA_HOME");
        if (xdg is not null && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "prismq", "queue.db");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".local", "share", "prismq", "queue.db");
    }

    private static string? Read(string name)
    {
        string? value = Environment.GetEnvironmentVariable(name);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}
