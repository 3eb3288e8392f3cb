using System;

namespace PrismQ;

/// <summary>
/// Proof of ownership of a running task's current attempt. Every claim issues a new token; complete, fail,
/// extend, release and progress succeed only with the current one.
/// </summary>
public readonly struct LeaseToken : IEquatable<LeaseToken>
{
    /// <summary>Wraps a token value.</summary>
    public LeaseToken(Guid value) => Value = value;

    /// <summary>The token value.</summary>
    public Guid Value { get; }

    /// <summary>A new random token.</summary>
    public static LeaseToken NewToken() => new(Guid.NewGuid());

    /// <inheritdoc />
    public bool Equals(LeaseToken other) => Value.Equals(other.Value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is LeaseToken other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => Value.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => Value.ToString("N");

    /// <summary>Equality.</summary>
    public static bool operator ==(LeaseToken left, LeaseToken right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(LeaseToken left, LeaseToken right) => !left.Equals(right);
}
