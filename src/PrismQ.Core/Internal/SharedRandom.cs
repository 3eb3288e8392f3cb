using System;
using System.Threading;

namespace PrismQ;

/// <summary>A thread-safe source of doubles in [0, 1): one <see cref="Random"/> per thread, seeded from a shared generator.</summary>
internal static class SharedRandom
{
    private static readonly Random Seeder = new();
    private static readonly ThreadLocal<Random> PerThread = new(() =>
    {
        lock (Seeder) return new Random(Seeder.Next());
    });

    public static double NextDouble() => PerThread.Value!.NextDouble();
}
