namespace PrismQ;

/// <summary>How a claim chooses among ready tasks. The numeric values are stable.</summary>
public enum SchedulingStrategy
{
    /// <summary>First ready, first out: the task that became ready earliest (not-before, then id).</summary>
    Fifo = 0,
    /// <summary>Last ready, first out: the task that became ready most recently.</summary>
    Lifo = 1,
    /// <summary>Highest priority first; FIFO within a priority. Optional aging: see <see cref="ClaimRequest.PriorityAging"/>.</summary>
    Priority = 2,
    /// <summary>Random, each ready task with probability proportional to the weight of its priority (docs/architecture.md states the rule).</summary>
    WeightedRandom = 3,
}
