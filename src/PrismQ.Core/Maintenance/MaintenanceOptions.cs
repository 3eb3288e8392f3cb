using System;

namespace PrismQ;

/// <summary>Options of <see cref="DatabaseMaintenance"/>: the WAL bound and the retention rules.</summary>
public sealed class MaintenanceOptions
{
    /// <summary>
    /// The WAL size above which <see cref="DatabaseMaintenance.ManageWal"/> truncates the WAL (when no reader is in the
    /// way). Default 64 MiB; 1 MiB to 16 GiB.
    /// </summary>
    public long WalSizeLimitBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How long a truncating checkpoint waits for readers and writers before it gives up until the next try. Default 200 ms; 0 to 10 s.</summary>
    public TimeSpan TruncateWait { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long other statements wait on a locked database. Default 30 s; 0 to 10 min.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Finished tasks older than this (by finish time) are pruned by <see cref="DatabaseMaintenance.Run"/>. Null (default): no age rule.</summary>
    public TimeSpan? RetainFor { get; init; }

    /// <summary>At most this many finished tasks are kept (the most recently finished) by <see cref="DatabaseMaintenance.Run"/>. Null (default): no count rule.</summary>
    public int? RetainCount { get; init; }

    /// <summary>The clock (for the age rule). Default: the system clock.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Throws <see cref="PrismQException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (WalSizeLimitBytes < 1024 * 1024 || WalSizeLimitBytes > 16L * 1024 * 1024 * 1024)
            throw Invalid(nameof(WalSizeLimitBytes), WalSizeLimitBytes, "must be between 1 MiB (1048576) and 16 GiB");
        if (TruncateWait < TimeSpan.Zero || TruncateWait > TimeSpan.FromSeconds(10)) throw Invalid(nameof(TruncateWait), TruncateWait, "must be between 0 and 10 seconds");
        if (BusyTimeout < TimeSpan.Zero || BusyTimeout > TimeSpan.FromMinutes(10)) throw Invalid(nameof(BusyTimeout), BusyTimeout, "must be between 0 and 10 minutes");
        if (RetainFor is { } age && age < TimeSpan.Zero) throw Invalid(nameof(RetainFor), age, "must be zero or more");
        if (RetainCount is { } count && count < 0) throw Invalid(nameof(RetainCount), count, "must be zero or more");
        if (TimeProvider is null) throw Invalid(nameof(TimeProvider), null, "must not be null");
    }

    private static PrismQException Invalid(string name, object? value, string rule) =>
        new(PrismQErrorCode.InvalidOption, $"MaintenanceOptions.{name} is '{value}'; it {rule}.", name, value);
}
