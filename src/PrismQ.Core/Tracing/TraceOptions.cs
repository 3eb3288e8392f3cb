using System;

namespace PrismQ;

/// <summary>
/// Settings of a <see cref="TraceSession"/>. Every value has a default; <see cref="Validate"/> (called by
/// <see cref="TraceSession.Start"/>) throws <see cref="PrismQException"/> (<see cref="PrismQErrorCode.InvalidOption"/>)
/// naming the first invalid one. See docs/tracing.md for capacity planning.
/// </summary>
public sealed class TraceOptions
{
    /// <summary>False switches tracing off entirely: the session then costs nothing and writes nothing. Default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The trace database file. Null: the queue database path followed by <c>.trace.db</c>.</summary>
    public string? TraceDatabasePath { get; init; }

    /// <summary>Records per thread in the index lane (56 bytes each). Default 16,384; a power of two from 16 to 16,777,216.</summary>
    public int IndexRingCapacity { get; init; } = 16 * 1024;

    /// <summary>Chars per thread in the detail lane (2 bytes each); a message is cut at a quarter of it. Default 65,536; a power of two from 256 to 67,108,864.</summary>
    public int DetailRingCapacity { get; init; } = 64 * 1024;

    /// <summary>The fill fraction of an index ring at which its producer wakes the drain early. Default 0.5; above 0, at most 1.</summary>
    public double HighWaterFraction { get; init; } = 0.5;

    /// <summary>How long the drain sleeps when it found nothing to do. Default 100 ms; 1 ms to 10 s.</summary>
    public TimeSpan DrainInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The most records the drain takes from one lane before moving to the next (rotation). Default 4,096; 1 to 1,048,576.</summary>
    public int DrainQuantum { get; init; } = 4096;

    /// <summary>The most events written in one store transaction. Default 8,192; 1 to 1,048,576.</summary>
    public int BatchSize { get; init; } = 8192;

    /// <summary>How long a window stays open after its attempt ended, to collect late detail and marks. Default 1 s; 0 to 10 min.</summary>
    public TimeSpan PostRoll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How far before the mark a marked window's detail is kept. Default 10 s; 0 to 24 h.</summary>
    public TimeSpan PreRoll { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>An attempt that runs longer than this is marked <see cref="WindowMark.Slow"/>. Default 30 s; above 0, at most 24 h.</summary>
    public TimeSpan SlowThreshold { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>True keeps the detail of every window (as if each were marked <see cref="WindowMark.Requested"/>) and of events outside windows. Default false.</summary>
    public bool DetailForAll { get; init; }

    /// <summary>A window whose attempt never reports its end is decided after this long. Default 1 h; 1 s to 7 days.</summary>
    public TimeSpan WindowTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Events older than this are pruned from the trace database. Default 7 days; 1 minute to 3,650 days.</summary>
    public TimeSpan RetentionAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>When the trace database uses more than this many bytes, the oldest events are pruned. Default 256 MiB; 1 MiB to 1 TiB.</summary>
    public long RetentionMaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>How long dispose keeps retrying a failing trace store before it gives up (and counts what it lost). Default 30 s; 0 to 10 min.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock used for UTC anchors and retention. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The trace database path for a queue database: this option, else <c>&lt;queue database&gt;.trace.db</c>.</summary>
    public string ResolveTraceDatabasePath(string queueDatabasePath) => TraceDatabasePath ?? TraceStore.PathForQueue(queueDatabasePath);

    /// <summary>Throws <see cref="PrismQException"/> (<see cref="PrismQErrorCode.InvalidOption"/>) naming the first invalid option.</summary>
    public void Validate()
    {
        if (TraceDatabasePath is not null && TraceDatabasePath.Trim().Length == 0)
            throw Invalid(nameof(TraceDatabasePath), TraceDatabasePath, "must not be empty or white space");
        CheckPowerOfTwo(nameof(IndexRingCapacity), IndexRingCapacity, 16, 1 << 24);
        CheckPowerOfTwo(nameof(DetailRingCapacity), DetailRingCapacity, 256, 1 << 26);
        if (!(HighWaterFraction > 0 && HighWaterFraction <= 1))
            throw Invalid(nameof(HighWaterFraction), HighWaterFraction, "must be above 0 and at most 1");
        CheckRange(nameof(DrainInterval), DrainInterval, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
        if (DrainQuantum < 1 || DrainQuantum > 1 << 20) throw Invalid(nameof(DrainQuantum), DrainQuantum, "must be between 1 and 1048576");
        if (BatchSize < 1 || BatchSize > 1 << 20) throw Invalid(nameof(BatchSize), BatchSize, "must be between 1 and 1048576");
        CheckRange(nameof(PostRoll), PostRoll, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        CheckRange(nameof(PreRoll), PreRoll, TimeSpan.Zero, TimeSpan.FromHours(24));
        if (SlowThreshold <= TimeSpan.Zero || SlowThreshold > TimeSpan.FromHours(24))
            throw Invalid(nameof(SlowThreshold), SlowThreshold, "must be above 0 and at most 24 hours");
        CheckRange(nameof(WindowTimeout), WindowTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7));
        CheckRange(nameof(RetentionAge), RetentionAge, TimeSpan.FromMinutes(1), TimeSpan.FromDays(3650));
        if (RetentionMaxBytes < 1024 * 1024 || RetentionMaxBytes > 1L << 40)
            throw Invalid(nameof(RetentionMaxBytes), RetentionMaxBytes, "must be between 1048576 (1 MiB) and 1099511627776 (1 TiB)");
        CheckRange(nameof(StopTimeout), StopTimeout, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        if (TimeProvider is null) throw Invalid(nameof(TimeProvider), null, "must not be null");
    }

    private static void CheckPowerOfTwo(string name, int value, int min, int max)
    {
        if (value < min || value > max || (value & (value - 1)) != 0)
            throw Invalid(name, value, $"must be a power of two between {min} and {max}");
    }

    private static void CheckRange(string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max) throw Invalid(name, value, $"must be between {min} and {max}");
    }

    private static PrismQException Invalid(string name, object? value, string rule) =>
        new(PrismQErrorCode.InvalidOption, $"TraceOptions.{name} is '{value}'; it {rule}.", name, value);
}
