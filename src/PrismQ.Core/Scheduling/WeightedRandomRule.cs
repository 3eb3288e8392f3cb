using System;

namespace PrismQ.Scheduling;

/// <summary>
/// The Weighted Random rule. A task of priority <c>p</c> has weight <c>w(p) = p + 1</c> for <c>p &gt;= 0</c> and
/// <c>1 / (1 - p)</c> for <c>p &lt; 0</c>; each claim picks a ready task with probability <c>w_i / sum(w_j)</c>.
/// It is implemented as an exponential race: every queued task holds a key <c>V + E / w</c>, where <c>V</c> is its
/// queue's clock and <c>E</c> a unit exponential variate, and a claim takes the smallest key (docs/architecture.md).
/// </summary>
internal static class WeightedRandomRule
{
    /// <summary>The weight of a priority.</summary>
    public static double Weight(int priority) => priority >= 0 ? priority + 1.0 : 1.0 / (1.0 - priority);

    /// <summary>A unit exponential variate from <paramref name="uniform"/> in [0, 1).</summary>
    public static double UnitExponential(double uniform)
    {
        if (uniform < 0 || uniform >= 1 || double.IsNaN(uniform)) uniform = 0.5;
        return -Math.Log(1.0 - uniform);
    }

    /// <summary>The key offset above the queue clock for a task of this priority.</summary>
    public static double Draw(int priority, double uniform) => UnitExponential(uniform) / Weight(priority);

    /// <summary>The same weight as SQL, over a column named <c>priority</c> (its reciprocal, to multiply a unit exponential).</summary>
    public const string InverseWeightSql = "(CASE WHEN priority >= 0 THEN 1.0 / (priority + 1) ELSE 1.0 - priority END)";
}
