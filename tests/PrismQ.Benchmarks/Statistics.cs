using System.Collections.Generic;

namespace PrismQ.Benchmarks;

/// <summary>Summaries of the custom measurements (worker report, claim scaling).</summary>
internal static class Statistics
{
    /// <summary>The median (the upper one of an even count); sorts <paramref name="values"/> in place.</summary>
    public static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
