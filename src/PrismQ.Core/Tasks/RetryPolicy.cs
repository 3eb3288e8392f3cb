using System;

namespace PrismQ;

/// <summary>
/// Exponential backoff with jitter. After failed attempt <c>n</c> (1-based) the task waits
/// <c>min(MaxDelay, BaseDelay * Factor^(n-1)) * (1 - Jitter + 2 * Jitter * u)</c>, with <c>u</c> uniform in [0, 1)
/// from the queue's random source, and never more than <see cref="MaxDelay"/>.
/// </summary>
public sealed class RetryPolicy
{
    /// <summary>The policy used when none is configured: base 1 s, factor 2, cap 1 h, jitter 0.2.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>The delay after the first failed attempt. Default 1 second. Must be at least zero.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Growth per attempt. Default 2. Must be at least 1.</summary>
    public double Factor { get; init; } = 2.0;

    /// <summary>The largest delay. Default 1 hour. Must be at least <see cref="BaseDelay"/>.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Relative jitter in [0, 1]: 0.2 spreads each delay over ±20 %. Default 0.2.</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>The delay after failed attempt <paramref name="attempt"/> (1-based), given <paramref name="random"/> in [0, 1).</summary>
    public TimeSpan ComputeDelay(int attempt, double random)
    {
        if (attempt < 1) attempt = 1;
        double baseMs = BaseDelay.TotalMilliseconds;
        double capMs = MaxDelay.TotalMilliseconds;
        double raw = baseMs * Math.Pow(Factor, attempt - 1);
        if (double.IsInfinity(raw) || double.IsNaN(raw) || raw > capMs) raw = capMs;
        double jittered = raw * (1 - Jitter + 2 * Jitter * random);
        if (jittered > capMs) jittered = capMs;
        if (jittered < 0) jittered = 0;
        return TimeSpan.FromMilliseconds(jittered);
    }

    /// <summary>Throws <see cref="PrismQException"/> (<see cref="PrismQErrorCode.InvalidOption"/>) when a value is out of range.</summary>
    public void Validate()
    {
        if (BaseDelay < TimeSpan.Zero)
            throw new PrismQException(PrismQErrorCode.InvalidOption, $"RetryPolicy.BaseDelay is {BaseDelay}; it must be zero or more.", nameof(BaseDelay), BaseDelay);
        if (double.IsNaN(Factor) || Factor < 1 || Factor > 100)
            throw new PrismQException(PrismQErrorCode.InvalidOption, $"RetryPolicy.Factor is {Factor}; it must be between 1 and 100.", nameof(Factor), Factor);
        if (MaxDelay < BaseDelay)
            throw new PrismQException(PrismQErrorCode.InvalidOption, $"RetryPolicy.MaxDelay is {MaxDelay}; it must be at least BaseDelay ({BaseDelay}).", nameof(MaxDelay), MaxDelay);
        if (double.IsNaN(Jitter) || Jitter < 0 || Jitter > 1)
            throw new PrismQException(PrismQErrorCode.InvalidOption, $"RetryPolicy.Jitter is {Jitter}; it must be between 0 and 1.", nameof(Jitter), Jitter);
    }
}
