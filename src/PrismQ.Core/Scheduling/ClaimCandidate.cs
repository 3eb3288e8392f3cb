using System;
using System.Collections.Generic;

namespace PrismQ.Scheduling;

/// <summary>A ready task considered by a claim that merges several queues (or priority levels under aging).</summary>
internal readonly struct ClaimCandidate
{
    public ClaimCandidate(long id, int priority, long notBefore, double key)
    {
        Id = id;
        Priority = priority;
        NotBefore = notBefore;
        Key = key;
    }

    public long Id { get; }
    public int Priority { get; }
    public long NotBefore { get; }

    /// <summary>Weighted Random: the residual key above its queue's clock. Priority with aging: the effective priority.</summary>
    public double Key { get; }

    /// <summary>The order in which candidates are claimed, best first.</summary>
    public static Comparison<ClaimCandidate> Order(SchedulingStrategy strategy, bool aging) => strategy switch
    {
        SchedulingStrategy.Lifo => static (a, b) =>
        {
            int c = b.NotBefore.CompareTo(a.NotBefore);
            return c != 0 ? c : b.Id.CompareTo(a.Id);
        },
        SchedulingStrategy.Priority when aging => static (a, b) =>
        {
            int c = b.Key.CompareTo(a.Key);
            if (c != 0) return c;
            c = b.Priority.CompareTo(a.Priority);
            return c != 0 ? c : Fifo(a, b);
        },
        SchedulingStrategy.Priority => static (a, b) =>
        {
            int c = b.Priority.CompareTo(a.Priority);
            return c != 0 ? c : Fifo(a, b);
        },
        SchedulingStrategy.WeightedRandom => static (a, b) =>
        {
            int c = a.Key.CompareTo(b.Key);
            return c != 0 ? c : a.Id.CompareTo(b.Id);
        },
        _ => Fifo,
    };

    private static int Fifo(ClaimCandidate a, ClaimCandidate b)
    {
        int c = a.NotBefore.CompareTo(b.NotBefore);
        return c != 0 ? c : a.Id.CompareTo(b.Id);
    }

    /// <summary>The effective priority under aging: <c>priority + (now - notBefore) / step</c>.</summary>
    public static double EffectivePriority(int priority, long notBefore, long now, long stepMs) =>
        priority + (double)Math.Max(0, now - notBefore) / stepMs;

    /// <summary>Sorts <paramref name="candidates"/> best first and keeps at most <paramref name="count"/>.</summary>
    public static void SortAndTrim(List<ClaimCandidate> candidates, Comparison<ClaimCandidate> order, int count)
    {
        candidates.Sort(order);
        if (candidates.Count > count) candidates.RemoveRange(count, candidates.Count - count);
    }
}
