using System;

namespace PrismQ;

/// <summary>
/// Options of a queue database. Every value has a default; <see cref="DatabasePath"/>, <see cref="LeaseDuration"/>
/// fall back to environment variables (docs/configuration.md). Call <see cref="Validate"/> (stores do) to check them.
/// </summary>
public sealed class QueueOptions
{
    /// <summary>The database file. Null: <c>PRISMQ_QUEUE_DB_PATH</c>, else the platform default (<see cref="PrismQEnvironment.DefaultDatabasePath"/>).</summary>
    public string? DatabasePath { get; init; }

    /// <summary>Commit durability. Default <see cref="PrismQ.Durability.Normal"/>.</summary>
    public Durability Durability { get; init; } = Durability.Normal;

    /// <summary>How long a statement retries while the database is locked by another connection before it throws <see cref="PrismQErrorCode.DatabaseBusy"/>. Default 30 s; 0 to 10 min.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The largest payload (and result), in UTF-8 bytes. Default 1 MiB; 1 byte to 256 MiB.</summary>
    public int MaxPayloadBytes { get; init; } = 1024 * 1024;

    /// <summary>Max attempts of a task that does not set its own. Default 5; 1 to 1,000.</summary>
    public int DefaultMaxAttempts { get; init; } = 5;

    /// <summary>Lease duration of a claim that does not set its own. Null: <c>PRISMQ_QUEUE_LEASE_DURATION</c> (seconds), else 30 s. 1 s to 24 h.</summary>
    public TimeSpan? LeaseDuration { get; init; }

    /// <summary>The backoff applied when an attempt fails. Default <see cref="RetryPolicy.Default"/>.</summary>
    public RetryPolicy RetryPolicy { get; init; } = RetryPolicy.Default;

    /// <summary>The clock. Default <see cref="TimeProvider.System"/>; tests inject their own.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The random source, returning doubles in [0, 1) (thread-safe). Default: a thread-safe shared generator.</summary>
    public Func<double> RandomSource { get; init; } = SharedRandom.NextDouble;

    /// <summary>The longest delay (or furthest not-before) a task may have. Default 365 days.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromDays(365);

    /// <summary>
    /// Tracing of the store and its workers. Null (default): off. Set (for example <c>new TraceOptions()</c>): the store
    /// starts a <see cref="TraceSession"/> on a trace database beside the queue database when it opens, and drains and
    /// closes it when it is disposed. See docs/tracing.md.
    /// </summary>
    public TraceOptions? Tracing { get; init; }

    /// <summary>Where the store and workers send trace events when the store starts no trace session of its own (tests inject one); the no-op emitter by default.</summary>
    internal Tracing.ITraceEmitter Tracer { get; init; } = PrismQ.Tracing.NullTraceEmitter.Instance;

    /// <summary>The database path after applying the precedence: option, environment, default.</summary>
    public string ResolveDatabasePath() => DatabasePath ?? PrismQEnvironment.DatabasePath ?? PrismQEnvironment.DefaultDatabasePath();

    /// <summary>The lease duration after applying the precedence: option, environment, 30 s.</summary>
    public TimeSpan ResolveLeaseDuration() => LeaseDuration ?? PrismQEnvironment.LeaseDuration ?? TimeSpan.FromSeconds(30);

    /// <summary>Throws <see cref="PrismQException"/> (<see cref="PrismQErrorCode.InvalidOption"/>) naming the first invalid option.</summary>
    public void Validate()
    {
        if (DatabasePath is not null && DatabasePath.Trim().Length == 0)
            throw Invalid(nameof(DatabasePath), DatabasePath, "must not be empty or white space", PrismQErrorCode.InvalidDatabasePath);
        if (!Enum.IsDefined(typeof(Durability), Durability))
            throw Invalid(nameof(Durability), Durability, "must be Normal or Full", PrismQErrorCode.InvalidOption);
        if (BusyTimeout < TimeSpan.Zero || BusyTimeout > TimeSpan.FromMinutes(10))
            throw Invalid(nameof(BusyTimeout), BusyTimeout, "must be between 0 and 10 minutes", PrismQErrorCode.InvalidOption);
        if (MaxPayloadBytes < 1 || MaxPayloadBytes > 256 * 1024 * 1024)
            throw Invalid(nameof(MaxPayloadBytes), MaxPayloadBytes, "must be between 1 and 268435456", PrismQErrorCode.InvalidOption);
        if (DefaultMaxAttempts < 1 || DefaultMaxAttempts > TaskLimits.MaxAttempts)
            throw Invalid(nameof(DefaultMaxAttempts), DefaultMaxAttempts, $"must be between 1 and {TaskLimits.MaxAttempts}", PrismQErrorCode.InvalidOption);
        TimeSpan lease = ResolveLeaseDuration();
        if (lease < TimeSpan.FromSeconds(1) || lease > TimeSpan.FromHours(24))
            throw Invalid(nameof(LeaseDuration), lease, "must be between 1 second and 24 hours", PrismQErrorCode.InvalidOption);
        if (MaxDelay <= TimeSpan.Zero || MaxDelay > TimeSpan.FromDays(3650))
            throw Invalid(nameof(MaxDelay), MaxDelay, "must be between 0 (exclusive) and 3650 days", PrismQErrorCode.InvalidOption);
        if (RetryPolicy is null) throw Invalid(nameof(RetryPolicy), null, "must not be null", PrismQErrorCode.InvalidOption);
        if (TimeProvider is null) throw Invalid(nameof(TimeProvider), null, "must not be null", PrismQErrorCode.InvalidOption);
        if (RandomSource is null) throw Invalid(nameof(RandomSource), null, "must not be null", PrismQErrorCode.InvalidOption);
        RetryPolicy.Validate();
        Tracing?.Validate();
    }

    private static PrismQException Invalid(string name, object? value, string rule, PrismQErrorCode code) =>
        new(code, $"QueueOptions.{name} is '{value}'; it {rule}.", name, value);
}
