namespace PrismQ;

/// <summary>Sort order of a task query.</summary>
public enum TaskOrder
{
    /// <summary>Lowest id (oldest) first.</summary>
    OldestFirst = 0,
    /// <summary>Highest id (newest) first.</summary>
    NewestFirst = 1,
}

/// <summary>A filtered, paged query. Paging is by key: pass the last id of a page as <see cref="AfterId"/> to get the next.</summary>
public sealed class TaskQuery
{
    /// <summary>Which tasks.</summary>
    public TaskFilter Filter { get; init; } = new();

    /// <summary>Sort order. Default oldest first.</summary>
    public TaskOrder Order { get; init; } = TaskOrder.OldestFirst;

    /// <summary>At most this many (1-100,000). Default 100.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>Continue after this id (exclusive), in the direction of <see cref="Order"/>.</summary>
    public long? AfterId { get; init; }
}
